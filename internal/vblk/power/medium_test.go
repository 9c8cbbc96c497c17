package power

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fill(c byte) []byte { return bytes.Repeat([]byte{c}, UnitSize) }

// after returns what the medium reads as after a cut with fates ch.
func after(t *testing.T, m *Medium, im *MemImage, ch Chooser) (*MemImage, CutState) {
	t.Helper()
	cs, err := m.Cut(ch)
	require.NoError(t, err)
	out := im.Clone()
	for u, b := range cs.Writes {
		_, err := out.WriteAt(b, u*UnitSize)
		require.NoError(t, err)
	}
	return out, cs
}

func unitOf(t *testing.T, im *MemImage, u int64) []byte {
	t.Helper()
	b := make([]byte, UnitSize)
	_, err := im.ReadAt(b, u*UnitSize)
	require.NoError(t, err)
	return b
}

func TestMediumSyncedSurvivesUnsyncedIsAtRisk(t *testing.T) {
	im := NewMemImage(16 * UnitSize)
	m := NewMedium(im)
	_, err := m.WriteAt(fill('a'), 0)
	require.NoError(t, err)
	m.EndSync(m.BeginSync(), true)
	_, err = m.WriteAt(fill('b'), 0)
	require.NoError(t, err)
	_, err = m.WriteAt(fill('c'), UnitSize)
	require.NoError(t, err)
	assert.Equal(t, 2, m.Volatile())

	dropped, cs := after(t, m, im, AllFates(Dropped))
	assert.Equal(t, fill('a'), unitOf(t, dropped, 0), "the synced version, not the page cache's newest")
	assert.Equal(t, make([]byte, UnitSize), unitOf(t, dropped, 1))
	assert.Equal(t, 2, cs.Dropped)

	kept, cs := after(t, m, im, AllFates(Kept))
	assert.Equal(t, fill('b'), unitOf(t, kept, 0))
	assert.Equal(t, 2, cs.Kept)
	assert.Empty(t, cs.Writes)

	torn, cs := after(t, m, im, AllFates(Torn))
	u := unitOf(t, torn, 0)
	assert.Equal(t, fill('b')[:UnitSize/2], u[:UnitSize/2], "AllFates tears the first half new")
	assert.Equal(t, fill('a')[:UnitSize/2], u[UnitSize/2:])
	assert.Equal(t, 2, cs.Torn)
}

func TestMediumSyncCoversOnlyEarlierWrites(t *testing.T) {
	im := NewMemImage(4 * UnitSize)
	m := NewMedium(im)
	_, _ = m.WriteAt(fill('a'), 0)
	sp := m.BeginSync()
	_, _ = m.WriteAt(fill('b'), 0) // during the sync: not covered
	m.EndSync(sp, true)
	got, _ := after(t, m, im, AllFates(Dropped))
	assert.Equal(t, fill('a'), unitOf(t, got, 0), "the version the sync covered is durable")

	_, _ = m.WriteAt(fill('c'), UnitSize)
	m.EndSync(m.BeginSync(), false) // completed after the deadline
	got, _ = after(t, m, im, AllFates(Dropped))
	assert.Equal(t, make([]byte, UnitSize), unitOf(t, got, 1), "a late sync makes nothing durable")
}

func TestMediumOverlappingSyncsCompleteOutOfOrder(t *testing.T) {
	im := NewMemImage(4 * UnitSize)
	m := NewMedium(im)
	_, _ = m.WriteAt(fill('a'), 0)
	older := m.BeginSync()
	_, _ = m.WriteAt(fill('b'), 0)
	newer := m.BeginSync()
	_, _ = m.WriteAt(fill('c'), 0)
	m.EndSync(newer, true)
	m.EndSync(older, true) // must not move the durable version back to 'a'
	got, _ := after(t, m, im, AllFates(Dropped))
	assert.Equal(t, fill('b'), unitOf(t, got, 0))
}

func TestMediumPartialUnitWrites(t *testing.T) {
	im := NewMemImage(4 * UnitSize)
	_, _ = im.WriteAt(fill('o'), UnitSize)
	m := NewMedium(im)
	_, err := m.WriteAt([]byte("xyz"), UnitSize+100)
	require.NoError(t, err)
	got, _ := after(t, m, im, AllFates(Dropped))
	assert.Equal(t, fill('o'), unitOf(t, got, 1), "the pre-image is the whole unit")
	b := make([]byte, 3)
	_, _ = m.ReadAt(b, UnitSize+100)
	assert.Equal(t, "xyz", string(b), "reads see the newest contents")
}

func TestMediumReorderedAndRandomFates(t *testing.T) {
	im := NewMemImage(64 * UnitSize)
	m := NewMedium(im)
	for u := int64(0); u < 64; u++ {
		_, _ = m.WriteAt(fill(byte(u)), u*UnitSize)
	}
	seen := map[Fate]int{}
	reordered := false
	for seed := uint64(0); seed < 20; seed++ {
		cs, err := m.Cut(RandomFates{Rand: rand.New(rand.NewPCG(seed, 1))})
		require.NoError(t, err)
		seen[Kept] += cs.Kept
		seen[Dropped] += cs.Dropped
		seen[Torn] += cs.Torn
		reordered = reordered || cs.Reordered
		again, _ := m.Cut(RandomFates{Rand: rand.New(rand.NewPCG(seed, 1))})
		assert.Equal(t, cs, again, "a seed gives one state")
	}
	for _, f := range []Fate{Kept, Dropped, Torn} {
		assert.Positive(t, seen[f], f.String())
	}
	assert.True(t, reordered)
	inOrder, err := m.Cut(prefix(10))
	require.NoError(t, err)
	assert.False(t, inOrder.Reordered, "losing a suffix keeps write order")
}

// prefix keeps the first n units written and drops the rest.
type prefix int64

func (p prefix) Fate(u int64) Fate {
	if u < int64(p) {
		return Kept
	}
	return Dropped
}
func (prefix) Tear(int64) uint8 { return 1 }

func TestFileLateSyncMakesNothingDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "img")
	require.NoError(t, os.WriteFile(path, fill('a'), 0o644))
	p := New(Supply{Holdup: 2 * time.Millisecond, DiskLatency: 500 * time.Millisecond})
	p.Fates = AllFates(Dropped)
	f, err := OpenFile(path, p)
	require.NoError(t, err)
	_, err = f.WriteAt(fill('b'), 0)
	require.NoError(t, err)
	// The cut lands while the sync runs. (Cutting first and syncing
	// after failed beside a CPU hog: the sync began after the 2 ms
	// hold-up, was refused outright and counted no late sync.)
	synced := make(chan error, 1)
	go func() { synced <- f.Sync() }()
	for !f.m.inflight() {
		time.Sleep(100 * time.Microsecond)
	}
	p.Cut()
	assert.ErrorIs(t, <-synced, ErrPowerLost, "the sync ended 500ms into a 2ms hold-up")
	require.NoError(t, f.Close())
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, fill('a'), got, "the write the late sync would have covered is gone")
	reps, err := p.Settle()
	require.NoError(t, err)
	require.Len(t, reps, 1)
	assert.Equal(t, int64(1), reps[0].LateSyncs)
	assert.Equal(t, 1, reps[0].Dropped)
}

func TestFileSettleKeepsSynced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "img")
	require.NoError(t, os.WriteFile(path, make([]byte, 2*UnitSize), 0o644))
	p := New(Supply{Holdup: time.Second})
	p.Fates = AllFates(Dropped)
	f, err := OpenFile(path, p)
	require.NoError(t, err)
	_, _ = f.WriteAt(fill('s'), 0)
	require.NoError(t, f.Sync())
	_, _ = f.WriteAt(fill('u'), UnitSize)
	p.Cut()
	require.NoError(t, f.Close())
	got, _ := os.ReadFile(path)
	assert.Equal(t, append(fill('s'), make([]byte, UnitSize)...), got)
}

func TestFileOrderlyCloseKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "img")
	require.NoError(t, os.WriteFile(path, make([]byte, UnitSize), 0o644))
	p := New(Supply{Holdup: time.Second})
	f, err := OpenFile(path, p)
	require.NoError(t, err)
	_, _ = f.WriteAt(fill('k'), 0)
	require.NoError(t, f.Close())
	got, _ := os.ReadFile(path)
	assert.Equal(t, fill('k'), got, "no cut, nothing lost")
	reps, err := p.Settle()
	require.NoError(t, err)
	assert.Empty(t, reps)
}

func TestCheckBoundNamesTheMeasurement(t *testing.T) {
	ok := Supply{Holdup: 10 * time.Millisecond, Detect: time.Millisecond, Margin: time.Millisecond, Bandwidth: 1e9, SyncLatency: time.Millisecond}
	assert.NoError(t, ok.CheckBound())
	slow := ok
	slow.SyncLatency = 9 * time.Millisecond
	assert.ErrorContains(t, slow.CheckBound(), "fdatasync 9ms")
	none := ok
	none.Bandwidth = 0
	assert.ErrorContains(t, none.CheckBound(), "bandwidth")
}

func TestMeasureWithLatency(t *testing.T) {
	_, lat, err := MeasureWithLatency(t.TempDir(), 1<<20, 1, 5*time.Millisecond)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, lat, 5*time.Millisecond, "the modelled latency is part of every sync")
}

func TestStallCountsOnlyThePowerFailPath(t *testing.T) {
	p := New(Supply{Holdup: time.Second, SyncLatency: time.Millisecond})
	p.noteCall(time.Now().Add(-time.Hour), time.Now().Add(-time.Hour+time.Minute), 0, false)
	var at time.Time
	p.OnNotice = func() {
		at, _ = p.CutAt()
		p.noteCall(at, at.Add(8*time.Millisecond), time.Millisecond, true)
	}
	p.Cut()
	<-p.Notice()
	d, where := p.StallAt()
	assert.Equal(t, "flush", where)
	assert.GreaterOrEqual(t, d, 7*time.Millisecond, "the flush's sync: its excess over the expected latency")
	assert.Less(t, d, 8*time.Millisecond, "calls before the cut do not count")
	// A slow call of another thread (here the test's goroutine, as the
	// write-back would be) is reported but excuses nothing.
	p.noteCall(at, at.Add(20*time.Millisecond), 0, false)
	d2, where := p.StallAt()
	assert.Equal(t, d, d2)
	assert.Equal(t, "flush", where)
	call, _ := p.SlowestCall()
	assert.Equal(t, 20*time.Millisecond, call)
}

func TestExpectedSyncIncludesTheWriteOut(t *testing.T) {
	p := New(Supply{Bandwidth: 1000 * UnitSize, SyncLatency: time.Millisecond})
	assert.Equal(t, time.Millisecond, p.expectedSync(0))
	assert.Equal(t, 11*time.Millisecond, p.expectedSync(10), "ten units at 1000 units/s, then the fixed cost")
}

func TestRunqueueWaitIsReadable(t *testing.T) {
	s := openSchedstat()
	defer s.close()
	d, ok := s.runqueueWait()
	if !ok {
		t.Skip("no /proc/thread-self/schedstat")
	}
	assert.GreaterOrEqual(t, d, time.Duration(0))
	busy := time.Now().Add(20 * time.Millisecond)
	for time.Now().Before(busy) {
	}
	d2, _ := s.runqueueWait()
	assert.GreaterOrEqual(t, d2, d, "a total only grows")
	p := New(Supply{Holdup: time.Second})
	p.OnNotice = func() {}
	p.ArmWith(func() time.Time { return time.Now() })
	<-p.Notice()
	_, where := p.StallAt()
	assert.NotEqual(t, "write", where, "no image call was made")
}

func TestStallSumsTheFlushsOwnCalls(t *testing.T) {
	p := New(Supply{Holdup: time.Second})
	p.OnNotice = func() {
		at, _ := p.CutAt()
		for i := range 3 {
			start := at.Add(time.Duration(i) * 3 * time.Millisecond)
			p.noteCall(start, start.Add(3*time.Millisecond), 0, false)
		}
	}
	p.Cut()
	<-p.Notice()
	d, where := p.StallAt()
	assert.Equal(t, "flush", where, "three 3 ms stalls of the flush add up")
	assert.GreaterOrEqual(t, d, 9*time.Millisecond)
}

// TestMediumReusedPreImages: units that became durable are reused, pre-image
// buffer and all, for the next units written; every cut must still see
// the durable version of each.
func TestMediumReusedPreImages(t *testing.T) {
	const units = 16
	im := NewMemImage(units * UnitSize)
	m := NewMedium(im)
	durable := make([][]byte, units) // what a sync made durable, per unit
	newest := make([][]byte, units)
	for u := range durable {
		durable[u], newest[u] = make([]byte, UnitSize), make([]byte, UnitSize)
	}
	for round := range 30 {
		for k := range 8 {
			u := (round*5 + k) % units
			newest[u] = fill(byte('a' + round))
			_, err := m.WriteAt(newest[u], int64(u)*UnitSize)
			require.NoError(t, err)
		}
		if round%3 != 2 {
			m.EndSync(m.BeginSync(), true)
			for u := range durable {
				durable[u] = newest[u]
			}
			continue
		}
		dropped, _ := after(t, m, im, AllFates(Dropped))
		for u := range int64(units) {
			assert.Equal(t, durable[u], unitOf(t, dropped, u), "round %d unit %d", round, u)
		}
	}
	m.mu.Lock()
	free := len(m.free)
	m.mu.Unlock()
	assert.Positive(t, free, "durable units were kept for reuse")
}
