package backend

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestLockHoldersRunAtRealTimePriority: the power-fail flush needs the
// write-back's lock at once, so no thread may hold it at normal priority,
// which a loaded host parks for tens of milliseconds (a flush waited 29
// and 39.5 ms for it in a 1000-cut campaign beside go test, missed a
// 10 ms hold-up and lost a commit). The two holders that start out at
// normal priority, the budget's ticker and the reader of the flush cost
// history (run every 100 ms by serve), must hold it at real-time priority.
func TestLockHoldersRunAtRealTimePriority(t *testing.T) {
	probe := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: 1, Priority: 1}
	runtime.LockOSThread()
	prev, err := unix.SchedGetAttr(0, 0)
	require.NoError(t, err)
	permitted := unix.SchedSetAttr(0, &probe, 0) == nil
	require.NoError(t, unix.SchedSetAttr(0, prev, 0))
	runtime.UnlockOSThread()
	if !permitted {
		t.Skip("real-time scheduling is not permitted here (CAP_SYS_NICE)")
	}

	var mu sync.Mutex
	policy := map[string]uint32{}
	seen := make(chan string, 16)
	hook := func(holder string) {
		attr, err := unix.SchedGetAttr(0, 0)
		if err != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if _, ok := policy[holder]; !ok {
			policy[holder] = attr.Policy
			seen <- holder
		}
	}
	testHookHeld.Store(&hook)
	defer testHookHeld.Store(nil)

	store := &fileStore{data: make([]byte, 64*512)}
	d, err := New(Config{Policy: Buffered, Store: store, Capacity: 64, Bound: 4 << 20,
		FlushBudget: 8 * time.Millisecond, Bandwidth: 500e6, SyncLatency: 100 * time.Microsecond})
	require.NoError(t, err)
	defer d.Close()
	runtime.LockOSThread()
	before, err := unix.SchedGetAttr(0, 0)
	require.NoError(t, err)
	d.FlushHistory() // on this thread, at its own priority
	after, err := unix.SchedGetAttr(0, 0)
	require.NoError(t, err)
	runtime.UnlockOSThread()
	assert.Equal(t, before.Policy, after.Policy, "the reader's thread is back at its own priority")
	assert.Equal(t, before.Priority, after.Priority)
	for range 2 {
		select {
		case <-seen:
		case <-time.After(30 * time.Second):
			t.Fatalf("the ticker never took the lock: %v", policy)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	const fifo = 1
	assert.Equal(t, uint32(fifo), policy["history"], "the history reader holds the lock at real-time priority")
	assert.Equal(t, uint32(fifo), policy["ticker"], "the ticker holds the lock at real-time priority")
}
