package backend_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/internal/vblk/attach"
	"github.com/drvsynth/drvsynth/internal/vblk/backend"
	"github.com/drvsynth/drvsynth/internal/vblk/power"
	"github.com/drvsynth/drvsynth/internal/vblk/transport"
	"github.com/drvsynth/drvsynth/os-interface/block"
	"github.com/drvsynth/drvsynth/os-interface/driver"
)

// memStore is an in-memory image. gate, when set, blocks every write until
// it is closed, so a test can hold data in the buffer.
type memStore struct {
	mu     sync.Mutex
	data   []byte
	gate   chan struct{}
	writes int
	syncs  int
	// waiting: a write is blocked at the gate.
	waiting bool
}

func newMemStore(sectors int) *memStore { return &memStore{data: make([]byte, sectors*512)} }

func (m *memStore) ReadAt(b []byte, off int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if off >= int64(len(m.data)) {
		return 0, errors.New("EOF")
	}
	n := copy(b, m.data[off:])
	if n < len(b) {
		return n, errors.New("EOF")
	}
	return n, nil
}

func (m *memStore) WriteAt(b []byte, off int64) (int, error) {
	m.mu.Lock()
	g := m.gate
	m.mu.Unlock()
	if g != nil {
		m.mu.Lock()
		m.waiting = true
		m.mu.Unlock()
		<-g
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.waiting = false
	m.writes++
	if end := off + int64(len(b)); end > int64(len(m.data)) {
		m.data = append(m.data, make([]byte, end-int64(len(m.data)))...)
	}
	return copy(m.data[off:], b), nil
}

func (m *memStore) Sync() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.syncs++
	return nil
}

func (m *memStore) Size() (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.data)), nil
}

func (m *memStore) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.data)
}

func (m *memStore) snapshot(off, n int) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]byte(nil), m.data[off:off+n]...)
}

// rig runs a Device behind an anonymous region with the same doorbell loop
// as Serve, and attaches the stand-in driver to it.
type rig struct {
	dev    *backend.Device
	region *transport.Region
	conn   *attach.Conn
	stop   chan struct{}
	done   chan struct{}
}

func newRig(t *testing.T, cfg backend.Config) *rig {
	t.Helper()
	dev, err := backend.New(cfg)
	require.NoError(t, err)
	r, err := transport.NewAnonymous()
	require.NoError(t, err)
	r.SetIdentity(cfg.Capacity)
	last := r.Doorbells()
	r.SetOnline(true)
	g := &rig{dev: dev, region: r, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(g.done)
		stop := func() bool {
			select {
			case <-g.stop:
				return true
			default:
				return false
			}
		}
		for {
			seq, err := r.WaitDoorbell(last, stop)
			if err != nil {
				return
			}
			last = seq
			r.Serve(dev.Handle)
		}
	}()
	g.conn, err = attach.OnRegion(context.Background(), r)
	require.NoError(t, err)
	t.Cleanup(func() {
		close(g.stop)
		r.WakeBackend()
		<-g.done
		r.Close()
	})
	return g
}

// raw issues one command through the bus and returns STATUS and ERRCODE.
func (g *rig) raw(cmd uint32, lba uint64, count uint32) (uint32, transport.ErrCode) {
	b := g.conn.Bus
	b.Write32(transport.RegLBALo, uint32(lba))
	b.Write32(transport.RegLBAHi, uint32(lba>>32))
	b.Write32(transport.RegCount, count)
	b.Write32(transport.RegCmd, cmd)
	return g.waitIdle()
}

func (g *rig) waitIdle() (uint32, transport.ErrCode) {
	b := g.conn.Bus
	for i := 0; ; i++ {
		st := b.Read32(transport.RegStatus)
		if st&transport.StatusBusy == 0 {
			return st, transport.ErrCode(b.Read32(transport.RegErrCode))
		}
		b.Pause(i)
	}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

var ctx = context.Background()

func TestRequestValidation(t *testing.T) {
	const capacity = 1000
	store := newMemStore(capacity)
	g := newRig(t, backend.Config{Policy: backend.Sync, Store: store, Capacity: capacity})
	d := g.conn.Device
	good := randBytes(4 * 512)
	require.NoError(t, d.WriteSectors(ctx, 10, good))
	before := store.snapshot(0, capacity*512)

	cases := []struct {
		name  string
		cmd   uint32
		lba   uint64
		count uint32
		want  transport.ErrCode
	}{
		{"cmd 0", 0, 0, 1, transport.ErrBadCmd},
		{"cmd 5", 5, 0, 1, transport.ErrBadCmd},
		{"cmd all ones", 0xffffffff, 0, 1, transport.ErrBadCmd},
		{"read count 0", transport.CmdRead, 0, 0, transport.ErrBadCount},
		{"write count 0", transport.CmdWrite, 0, 0, transport.ErrBadCount},
		{"write count 129", transport.CmdWrite, 0, 129, transport.ErrBadCount},
		{"fua count huge", transport.CmdWriteFUA, 0, 0xffffffff, transport.ErrBadCount},
		{"read at capacity", transport.CmdRead, capacity, 1, transport.ErrRange},
		{"write past the end", transport.CmdWrite, capacity - 1, 2, transport.ErrRange},
		{"write lba high word", transport.CmdWrite, 1 << 32, 1, transport.ErrRange},
		{"write lba overflow", transport.CmdWrite, ^uint64(0), 128, transport.ErrRange},
	}
	for _, c := range cases {
		st, code := g.raw(c.cmd, c.lba, c.count)
		assert.Equal(t, c.want, code, c.name)
		assert.NotZero(t, st&transport.StatusErr, c.name+": ERR set")
		assert.NotZero(t, st&transport.StatusReady, c.name+": still READY")
	}
	// FLUSH ignores LBA and COUNT entirely.
	st, code := g.raw(transport.CmdFlush, ^uint64(0), 0xffffffff)
	assert.Equal(t, transport.ErrNone, code)
	assert.Zero(t, st&transport.StatusErr)

	// A command while disabled.
	g.conn.Bus.Write32(transport.RegCtrl, 0)
	assert.Zero(t, g.conn.Bus.Read32(transport.RegStatus)&transport.StatusReady)
	_, code = g.raw(transport.CmdWrite, 0, 1)
	assert.Equal(t, transport.ErrDisabled, code)
	g.conn.Bus.Write32(transport.RegCtrl, transport.CtrlEnable)
	assert.NotZero(t, g.conn.Bus.Read32(transport.RegStatus)&transport.StatusReady)

	// Writes to read-only registers are ignored.
	g.conn.Bus.Write32(transport.RegMagic, 0)
	g.conn.Bus.Write32(transport.RegCapLo, 7)
	g.conn.Bus.Write32(transport.RegStatus, transport.StatusBusy)
	assert.Equal(t, uint32(transport.Magic), g.conn.Bus.Read32(transport.RegMagic))
	assert.Equal(t, uint32(capacity), g.conn.Bus.Read32(transport.RegCapLo))
	assert.Zero(t, g.conn.Bus.Read32(transport.RegStatus)&transport.StatusBusy)

	assert.Equal(t, before, store.snapshot(0, capacity*512), "no bad request changed the image")
	got := make([]byte, len(good))
	require.NoError(t, d.ReadSectors(ctx, 10, got))
	assert.Equal(t, good, got)

	// The driver sees device errors as typed errors.
	err := d.ReadSectors(ctx, capacity, make([]byte, 512))
	// The synthesized driver reports the spec's fault; ERRCODE says which.
	var de *driver.DeviceError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "REQUEST_FAILED", de.Fault)
	assert.Equal(t, transport.ErrRange, transport.ErrCode(g.conn.Bus.Read32(transport.RegErrCode)))
}

func TestDoorbellWhileBusy(t *testing.T) {
	store := newMemStore(100)
	gate := make(chan struct{})
	store.gate = gate
	g := newRig(t, backend.Config{Policy: backend.Sync, Store: store, Capacity: 100})
	b := g.conn.Bus
	data := randBytes(512)
	b.WriteStream(transport.DataWindow, 4, data)
	b.Write32(transport.RegLBALo, 5)
	b.Write32(transport.RegLBAHi, 0)
	b.Write32(transport.RegCount, 1)
	b.Write32(transport.RegCmd, transport.CmdWrite)
	// STATUS right after the doorbell is never a stale "not busy".
	require.NotZero(t, b.Read32(transport.RegStatus)&transport.StatusBusy)
	// Wait until the backend is writing (blocked at the gate).
	for {
		store.mu.Lock()
		w := store.waiting
		store.mu.Unlock()
		if w {
			break
		}
		time.Sleep(time.Millisecond)
	}
	// A second doorbell while the first is executing: a driver bug. It is
	// ignored; the first request's status is what it did, not an error
	// for a write that reached the image.
	b.Write32(transport.RegLBALo, 50)
	b.Write32(transport.RegCmd, transport.CmdWrite)
	close(gate)
	st, code := g.waitIdle()
	assert.Equal(t, transport.ErrNone, code, "the write was done, and the status says so")
	assert.Zero(t, st&transport.StatusErr)
	// The first request went where it was latched, the second nowhere.
	assert.Equal(t, data, store.snapshot(5*512, 512))
	assert.Equal(t, make([]byte, 512), store.snapshot(50*512, 512))
	// The device is usable afterwards.
	_, code = g.raw(transport.CmdFlush, 0, 0)
	assert.Equal(t, transport.ErrNone, code)
}

func TestTruncatedImage(t *testing.T) {
	// The image claims 100 sectors but only 10 are there.
	store := newMemStore(10)
	g := newRig(t, backend.Config{Policy: backend.Sync, Store: store, Capacity: 100})
	_, code := g.raw(transport.CmdRead, 20, 4)
	assert.Equal(t, transport.ErrIO, code)
	_, code = g.raw(transport.CmdRead, 8, 4) // straddles the end
	assert.Equal(t, transport.ErrIO, code)
	_, code = g.raw(transport.CmdRead, 0, 4)
	assert.Equal(t, transport.ErrNone, code)

	// A write past the end fails and does not grow the image.
	for _, cmd := range []uint32{transport.CmdWrite, transport.CmdWriteFUA} {
		_, code = g.raw(cmd, 20, 4)
		assert.Equal(t, transport.ErrIO, code)
		_, code = g.raw(cmd, 8, 4)
		assert.Equal(t, transport.ErrIO, code)
	}
	assert.Equal(t, 10*512, store.len(), "the image did not grow")
	_, code = g.raw(transport.CmdWrite, 0, 4)
	assert.Equal(t, transport.ErrNone, code)

	// Buffered and unsafe: the same, at the write and at the write-back.
	for _, p := range []backend.Policy{backend.Buffered, backend.Unsafe} {
		store := newMemStore(10)
		g := newRig(t, backend.Config{Policy: p, Store: store, Capacity: 100, Bound: 1 << 20})
		_, code = g.raw(transport.CmdRead, 20, 4)
		assert.Equal(t, transport.ErrIO, code, p)
		_, code = g.raw(transport.CmdWrite, 20, 4)
		assert.Equal(t, transport.ErrIO, code, p)
		_, code = g.raw(transport.CmdWriteFUA, 8, 4)
		assert.Equal(t, transport.ErrIO, code, p)
		_, code = g.raw(transport.CmdWrite, 2, 4)
		assert.Equal(t, transport.ErrNone, code, p)
		require.NoError(t, g.dev.Close())
		assert.Equal(t, 10*512, store.len(), "%v: the image did not grow", p)
	}
}

func TestPoliciesRoundTrip(t *testing.T) {
	for _, p := range []backend.Policy{backend.Sync, backend.Buffered, backend.Unsafe} {
		t.Run(p.String(), func(t *testing.T) {
			store := newMemStore(4096)
			g := newRig(t, backend.Config{Policy: p, Store: store, Capacity: 4096, Bound: 4 << 20})
			d := g.conn.Device
			want := make([]byte, 4096*512)
			for i := 0; i < 200; i++ {
				n := 1 + i%200
				lba := uint64(i*37) % (4096 - uint64(n))
				buf := randBytes(n * 512)
				if i%3 == 0 {
					require.NoError(t, d.WriteSectorsFUA(ctx, lba, buf))
				} else {
					require.NoError(t, d.WriteSectors(ctx, lba, buf))
				}
				copy(want[lba*512:], buf)
			}
			require.NoError(t, d.Flush(ctx))
			got := make([]byte, len(want))
			require.NoError(t, d.ReadSectors(ctx, 0, got))
			assert.True(t, bytes.Equal(want, got), "device reads back what was written")
			require.NoError(t, g.dev.Close())
			assert.True(t, bytes.Equal(want, store.snapshot(0, len(want))), "image holds everything after an orderly close")
			if p == backend.Sync {
				assert.Positive(t, store.syncs)
			}
		})
	}
}

func TestBufferedReadsSeeBufferedData(t *testing.T) {
	store := newMemStore(256)
	store.gate = make(chan struct{}) // write-back cannot finish
	g := newRig(t, backend.Config{Policy: backend.Buffered, Store: store, Capacity: 256, Bound: 1 << 20})
	a, b := randBytes(8*512), randBytes(2*512)
	require.NoError(t, g.conn.WriteSectors(ctx, 100, a))
	require.NoError(t, g.conn.WriteSectorsFUA(ctx, 103, b)) // overwrites part of a
	require.NoError(t, g.conn.Flush(ctx))
	want := append([]byte(nil), a...)
	copy(want[3*512:], b)
	got := make([]byte, 10*512)
	require.NoError(t, g.conn.ReadSectors(ctx, 98, got))
	assert.Equal(t, make([]byte, 1024), got[:1024])
	assert.Equal(t, want, got[1024:])
	assert.Equal(t, make([]byte, 8*512), store.snapshot(100*512, 8*512), "nothing reached the image yet")
	close(store.gate)
	require.NoError(t, g.dev.Close())
	assert.Equal(t, want, store.snapshot(100*512, 8*512))
}

func TestThrottleAtBound(t *testing.T) {
	store := newMemStore(4096)
	store.gate = make(chan struct{})
	const bound = 4 * 64 << 10
	g := newRig(t, backend.Config{Policy: backend.Buffered, Store: store, Capacity: 4096, Bound: bound})
	chunk := randBytes(64 << 10)
	for i := 0; i < 4; i++ {
		require.NoError(t, g.conn.WriteSectors(ctx, uint64(i*128), chunk))
	}
	// The fifth write does not fit: its completion waits for write-back.
	done := make(chan error, 1)
	go func() { done <- g.conn.WriteSectors(ctx, 4*128, chunk) }()
	select {
	case err := <-done:
		t.Fatalf("write past the bound completed while nothing could be written back (err=%v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	st := g.dev.Stats()
	assert.Equal(t, int64(bound), st.Dirty)
	assert.Equal(t, int64(1), st.Throttled)
	close(store.gate)
	require.NoError(t, <-done, "a throttled write is delayed, never failed")
	require.NoError(t, g.dev.Close())
	st = g.dev.Stats()
	assert.LessOrEqual(t, st.MaxDirty, int64(bound))
	assert.Positive(t, st.ThrottleTime)
	for i := 0; i < 5; i++ {
		assert.True(t, bytes.Equal(chunk, store.snapshot(i*128*512, len(chunk))))
	}
}

func TestCoalescing(t *testing.T) {
	store := newMemStore(4096)
	store.gate = make(chan struct{})
	g := newRig(t, backend.Config{Policy: backend.Buffered, Store: store, Capacity: 4096, Bound: 8 << 20})
	// The first write-back batch may start with only the first extent;
	// the rest queue up behind the gate and coalesce.
	for i := 0; i < 64; i++ {
		require.NoError(t, g.conn.WriteSectors(ctx, uint64(i*8), randBytes(8*512)))
	}
	close(store.gate)
	require.NoError(t, g.dev.Close())
	st := g.dev.Stats()
	assert.LessOrEqual(t, st.Runs, int64(3), "64 contiguous extents go out in a few pwrites")
}

// TestCoalescingOverlaps: WAL commits rewrite the sector the previous one
// ended in. Such extents join one pwrite, the newest copy of the shared
// sector wins, and the flush cost counts one pwrite, not one per commit.
func TestCoalescingOverlaps(t *testing.T) {
	store := newMemStore(4096)
	store.gate = make(chan struct{})
	g := newRig(t, backend.Config{Policy: backend.Buffered, Store: store, Capacity: 4096, Bound: 8 << 20})
	want := make([]byte, 4096*512)
	for i := 0; i < 64; i++ {
		lba := uint64(i * 8) // 9 sectors: the last one is the next write's first
		buf := randBytes(9 * 512)
		require.NoError(t, g.conn.WriteSectorsFUA(ctx, lba, buf))
		copy(want[lba*512:], buf)
	}
	assert.LessOrEqual(t, g.dev.Stats().DirtyIOs, int64(2), "the queued commits are one or two pwrites")
	close(store.gate)
	require.NoError(t, g.dev.Close())
	st := g.dev.Stats()
	assert.LessOrEqual(t, st.Runs, int64(3), "64 overlapping extents go out in a few pwrites")
	assert.True(t, bytes.Equal(want[:65*8*512], store.snapshot(0, 65*8*512)), "the newest copy of every sector is on the image")
}

func TestBoundTooSmall(t *testing.T) {
	_, err := backend.New(backend.Config{Policy: backend.Buffered, Store: newMemStore(10), Capacity: 10, Bound: 1000})
	assert.Error(t, err)
}

// ---- power cuts against a real file --------------------------------------

// powerRig is a rig on an image behind a supply; age is the write-back's
// WriteBackAge (0: the default).
func powerRig(t *testing.T, policy backend.Policy, s power.Supply, age ...time.Duration) (*rig, *power.Power, *power.File, string) {
	t.Helper()
	img := filepath.Join(t.TempDir(), "img")
	require.NoError(t, backend.PrepareImage(img, 8192))
	p := power.New(s)
	f, err := power.OpenFile(img, p)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	cfg := backend.Config{Policy: policy, Store: f, Capacity: 8192, Bound: s.Bound()}
	if len(age) > 0 {
		cfg.WriteBackAge = age[0]
	}
	g := newRig(t, cfg)
	return g, p, f, img
}

func TestPowerCutBufferedFlushesEverything(t *testing.T) {
	s := power.Supply{Holdup: 500 * time.Millisecond, Detect: time.Millisecond, Margin: time.Millisecond, Bandwidth: 20e6}
	g, p, f, img := powerRig(t, backend.Buffered, s, time.Hour)
	want := map[uint64][]byte{}
	// Under a quarter of the bound, with an hour's write-back age: the
	// write-back takes none of it, so the flush has all of it to write
	// (with 40 writes, a busy machine let the write-back drain them all
	// before the cut now and then, and the flush wrote 0 bytes).
	for i := 0; i < 30; i++ {
		lba := uint64(i * 128)
		want[lba] = randBytes(64 << 10)
		require.NoError(t, g.conn.WriteSectors(ctx, lba, want[lba]))
	}
	p.Cut()
	<-p.Notice()
	flushed, err := g.dev.PowerFail()
	require.NoError(t, err)
	assert.Equal(t, int64(30<<16), flushed.Bytes)
	deadline, _ := p.Deadline()
	assert.True(t, time.Now().Before(deadline), "flush finished before the deadline")
	// After the notice the device takes no more requests.
	err = g.conn.WriteSectors(ctx, 0, randBytes(512))
	var de *driver.DeviceError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "REQUEST_FAILED", de.Fault)
	assert.Equal(t, transport.ErrPowerFail, transport.ErrCode(g.conn.Bus.Read32(transport.RegErrCode)))
	// Wait out the hold-up: the store now refuses everything.
	for !p.Dead(time.Now()) {
	}
	_, werr := f.WriteAt(make([]byte, 512), 0)
	assert.ErrorIs(t, werr, power.ErrPowerLost)
	assert.ErrorIs(t, f.Sync(), power.ErrPowerLost)
	assert.True(t, f.LastWriteStart().Before(deadline))
	img2, err := os.ReadFile(img)
	require.NoError(t, err)
	for lba, data := range want {
		assert.True(t, bytes.Equal(data, img2[lba*512:lba*512+uint64(len(data))]), "acknowledged write at %d survived", lba)
	}
}

func TestPowerCutNothingWrittenAfterDeadline(t *testing.T) {
	// A supply that claims far more than the disk can do: the flush cannot
	// finish, and the image must stop changing at the deadline.
	s := power.Supply{Holdup: 2 * time.Millisecond, Detect: time.Millisecond, Bandwidth: 1e12}
	g, p, f, img := powerRig(t, backend.Buffered, s)
	// Slow the write-back down so the drain is still running at the deadline.
	for i := 0; i < 60; i++ {
		require.NoError(t, g.conn.WriteSectors(ctx, uint64(i*128), randBytes(64<<10)))
	}
	p.Cut()
	<-p.Notice()
	_, err := g.dev.PowerFail()
	deadline, _ := p.Deadline()
	if err != nil && !errors.Is(err, backend.ErrLateSync) {
		assert.ErrorIs(t, err, power.ErrPowerLost)
	}
	assert.True(t, f.LastWriteStart().Before(deadline), "no write issued after the deadline")
	snap, rerr := os.ReadFile(img)
	require.NoError(t, rerr)
	for !p.Dead(time.Now().Add(-time.Millisecond)) {
	}
	// Nothing changes the image afterwards either.
	_, _ = f.WriteAt(randBytes(512), 0)
	snap2, _ := os.ReadFile(img)
	assert.True(t, bytes.Equal(snap, snap2))
}

func TestPowerCutUnsafeLoses(t *testing.T) {
	s := power.Supply{Holdup: 10 * time.Millisecond, Detect: time.Millisecond, Bandwidth: 100e6}
	g, p, _, img := powerRig(t, backend.Unsafe, s)
	data := randBytes(64 << 10)
	require.NoError(t, g.conn.WriteSectorsFUA(ctx, 0, data))
	require.NoError(t, g.conn.Flush(ctx))
	p.Cut()
	<-p.Notice()
	_, err := g.dev.PowerFail()
	require.NoError(t, err)
	got, err := os.ReadFile(img)
	require.NoError(t, err)
	assert.False(t, bytes.Equal(data, got[:len(data)]), "unsafe acknowledged a flushed write and lost it")
}

func TestPowerCutSyncKeepsFlushed(t *testing.T) {
	s := power.Supply{Holdup: 10 * time.Millisecond, Detect: time.Millisecond}
	g, p, _, img := powerRig(t, backend.Sync, s)
	data := randBytes(64 << 10)
	require.NoError(t, g.conn.WriteSectors(ctx, 0, data))
	require.NoError(t, g.conn.Flush(ctx))
	p.Cut()
	<-p.Notice()
	_, err := g.dev.PowerFail()
	require.NoError(t, err)
	got, err := os.ReadFile(img)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got[:len(data)]))
}

var _ block.Device = (*attach.Conn)(nil)

func TestOneBackendPerImageAndRegion(t *testing.T) {
	dir := t.TempDir()
	img, shm := filepath.Join(dir, "img"), filepath.Join(dir, "shm")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- backend.Serve(ctx, backend.ServeConfig{Image: img, Policy: backend.Sync, Shm: shm, CreateSectors: 256,
			Ready: func(uint64, int64) { close(ready) }}, power.New(power.Supply{}))
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("first backend: %v", err)
	}
	err := backend.Serve(ctx, backend.ServeConfig{Image: img, Policy: backend.Sync, Shm: filepath.Join(dir, "shm2")}, power.New(power.Supply{}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "in use by another vblk backend")
	err = backend.Serve(ctx, backend.ServeConfig{Image: filepath.Join(dir, "img2"), Policy: backend.Sync, Shm: shm, CreateSectors: 256}, power.New(power.Supply{}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "in use by another backend")
	// The first backend is untouched: a driver still attaches to it.
	c, err := attach.Open(ctx, shm)
	require.NoError(t, err)
	require.NoError(t, c.WriteSectorsFUA(ctx, 3, randBytes(512)))
	c.Close()
	cancel()
	require.NoError(t, <-done)
}
