package backend

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/internal/vblk/transport"
)

// fileStore is an in-memory image for the write-back's own tests.
type fileStore struct {
	mu   sync.Mutex
	data []byte
}

func (s *fileStore) ReadAt(b []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copy(b, s.data[off:]), nil
}

func (s *fileStore) WriteAt(b []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copy(s.data[off:], b), nil
}

func (s *fileStore) Sync() error { return nil }

func (s *fileStore) Size() (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.data)), nil
}

func (s *fileStore) sector(lba int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.data[lba*512:(lba+1)*512]...)
}

// TestPowerFlushRace: the power-fail notice lands after the write-back has
// taken a batch (version 1 of a sector) but before its first pwrite, and
// version 2 of the same sector was acknowledged in between. The flush
// writes version 2; the write-back must then not write its stale batch
// over it.
func TestPowerFlushRace(t *testing.T) {
	store := &fileStore{data: make([]byte, 64*512)}
	inGap := make(chan struct{})
	resume := make(chan struct{})
	var once sync.Once
	testHookBatch = func() {
		once.Do(func() {
			close(inGap)
			<-resume
		})
	}
	defer func() { testHookBatch = nil }()
	d, err := New(Config{Policy: Buffered, Store: store, Capacity: 64, Bound: 1 << 20, WriteBackAge: time.Millisecond})
	require.NoError(t, err)
	v1, v2 := bytes.Repeat([]byte{1}, 512), bytes.Repeat([]byte{2}, 512)
	require.Equal(t, transport.ErrNone, d.wb.write(7, v1))
	<-inGap // the write-back holds a batch with version 1
	require.Equal(t, transport.ErrNone, d.wb.write(7, v2))

	flushed := make(chan error, 1)
	go func() {
		_, err := d.PowerFail()
		flushed <- err
	}()
	// Let the write-back go on once the flush has done its work, or after
	// a while if the flush waits for the write-back.
	select {
	case err := <-flushed:
		require.NoError(t, err)
		close(resume)
	case <-time.After(2 * time.Second):
		close(resume)
		require.NoError(t, <-flushed)
	}
	<-d.wb.done
	got := store.sector(7)
	assert.True(t, bytes.Equal(v2, got), "the image holds version %d of the sector, not the acknowledged 2", got[0])
}

func TestBudgetFollowsTheWorstRecentBatch(t *testing.T) {
	const total = 8 * time.Millisecond
	b := newBudget(total, 500e6, 100*time.Microsecond)
	assert.True(t, b.fits(2<<20, 1), "2 MiB at 500 MB/s: 4.2 ms of 8")

	// A batch at 190 MB/s: the same 2 MiB no longer fits.
	b.observe(4<<20, 4, 20*time.Millisecond, 2*time.Millisecond)
	assert.False(t, b.fits(2<<20, 1))
	assert.InDelta(t, 192e6, b.estimate().Bandwidth, 1e6)
	// Once the slow batch is out of the window, the start-up figures hold again.
	b.refresh(time.Now().Add(b.window + time.Second))
	assert.True(t, b.fits(2<<20, 1))

	// A slow fdatasync of a small batch is reserved for the final one.
	b.observe(4096, 1, 10*time.Microsecond, 5*time.Millisecond)
	assert.InDelta(t, float64(5*time.Millisecond), float64(b.estimate().Sync), float64(100*time.Microsecond))
	assert.False(t, b.fits(2<<20, 1))
	assert.True(t, b.fits(1<<20, 1))
	b.refresh(time.Now().Add(b.window + time.Second))

	// Scattered writes count: 1.6 MB fits in one pwrite, not in 400.
	assert.True(t, b.fits(400*4096, 1))
	assert.False(t, b.fits(400*4096, 400))

	// A batch slower than any bound is a host stall: counted, not applied.
	before := b.estimate()
	b.observe(4096, 1, 10*time.Microsecond, 140*time.Millisecond)
	after := b.estimate()
	assert.Equal(t, int64(1), after.Stalls)
	after.Stalls = 0
	assert.Equal(t, before, after)

	// Slow pwrites (a disk adding latency to each) raise the per-pwrite cost.
	b.observe(64<<10, 8, 8*time.Millisecond, 100*time.Microsecond)
	assert.GreaterOrEqual(t, b.estimate().PerIO, 900*time.Microsecond)
	assert.False(t, b.fits(64<<10, 8))
}

func TestFlushBudgetTooSmallIsAStartupError(t *testing.T) {
	store := &fileStore{data: make([]byte, 64*512)}
	_, err := New(Config{Policy: Buffered, Store: store, Capacity: 64, Bound: 1 << 20,
		FlushBudget: 2 * time.Millisecond, Bandwidth: 100e6, SyncLatency: 3 * time.Millisecond})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "fdatasync", "the error names the measurement")
}

// gatedStore holds its first WriteAt until released and records the size
// of every WriteAt.
type gatedStore struct {
	fileStore
	entered, release chan struct{}
	once             sync.Once
	sizesMu          sync.Mutex
	sizes            []int
}

func (s *gatedStore) WriteAt(b []byte, off int64) (int, error) {
	s.sizesMu.Lock()
	s.sizes = append(s.sizes, len(b))
	s.sizesMu.Unlock()
	s.once.Do(func() {
		close(s.entered)
		<-s.release
	})
	return s.fileStore.WriteAt(b, off)
}

// TestFlushWaitsForOnePieceAtMost: a write-back of a 1 MiB run is in
// flight at the notice. It has at most one piece (64 KiB) in flight, and
// stops after it, so the flush waits for that piece only.
func TestFlushWaitsForOnePieceAtMost(t *testing.T) {
	const sectors = 4096
	store := &gatedStore{fileStore: fileStore{data: make([]byte, sectors*512)}, entered: make(chan struct{}), release: make(chan struct{})}
	d, err := New(Config{Policy: Buffered, Store: store, Capacity: sectors, Bound: 4 << 20, WriteBackAge: time.Millisecond})
	require.NoError(t, err)
	ext := bytes.Repeat([]byte{7}, 64<<10)
	for i := range 16 { // one contiguous 1 MiB run
		require.Equal(t, transport.ErrNone, d.wb.write(uint64(i*128), ext))
	}
	select {
	case <-store.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the write-back never wrote")
	}
	flushed := make(chan error, 1)
	go func() {
		_, err := d.PowerFail()
		flushed <- err
	}()
	// The flush writes everything, then waits for the piece in flight.
	time.Sleep(50 * time.Millisecond)
	close(store.release)
	select {
	case err := <-flushed:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the flush never finished")
	}
	store.sizesMu.Lock()
	defer store.sizesMu.Unlock()
	assert.LessOrEqual(t, store.sizes[0], pieceSize, "the write-back has one piece in flight, not its whole run")
	var flushed1M int
	for _, n := range store.sizes[1:] {
		flushed1M += n
	}
	assert.GreaterOrEqual(t, flushed1M, 1<<20, "the flush wrote the whole run itself")
	assert.Equal(t, ext[:512], store.sector(2047), "the run's last sector is on the image")
}

// A backend restarted on the same image starts from what the last one
// measured inside the window, not from the start-up figures alone.
func TestFlushHistorySeedsTheNextBackend(t *testing.T) {
	store := &fileStore{data: make([]byte, 64*512)}
	cfg := Config{Policy: Buffered, Store: store, Capacity: 64, Bound: 4 << 20,
		FlushBudget: 8 * time.Millisecond, Bandwidth: 500e6, SyncLatency: 100 * time.Microsecond}
	fresh, err := New(cfg)
	require.NoError(t, err)
	defer fresh.Close()
	assert.Equal(t, 100*time.Microsecond, fresh.Stats().Estimate.Sync)

	now := time.Now()
	cfg.History = []FlushSample{
		{At: now.Add(-time.Second), Bytes: 4096, IOs: 1, Write: 10 * time.Microsecond, Sync: 5 * time.Millisecond},
		{At: now.Add(-time.Minute), Bytes: 4096, IOs: 1, Write: 10 * time.Microsecond, Sync: 7 * time.Millisecond}, // out of the window
	}
	seeded, err := New(cfg)
	require.NoError(t, err)
	defer seeded.Close()
	est := seeded.Stats().Estimate
	assert.InDelta(t, float64(5*time.Millisecond), float64(est.Sync), float64(100*time.Microsecond), "the slow fdatasync of a second ago is reserved")
	h, observed := seeded.FlushHistory()
	require.Len(t, h, 1, "only the sample inside the window is kept")
	assert.Equal(t, int64(0), observed, "seeded samples are not this backend's own")
	assert.Equal(t, 5*time.Millisecond, h[0].Sync)
}

func TestFlushHistoryFileRoundTrip(t *testing.T) {
	store := &fileStore{data: make([]byte, 64*512)}
	cfg := Config{Policy: Buffered, Store: store, Capacity: 64, Bound: 4 << 20,
		FlushBudget: 8 * time.Millisecond, Bandwidth: 500e6, SyncLatency: 100 * time.Microsecond,
		History: []FlushSample{{At: time.Now().Add(-time.Second), Bytes: 4096, IOs: 1, Write: time.Microsecond, Sync: 3 * time.Millisecond}}}
	d, err := New(cfg)
	require.NoError(t, err)
	defer d.Close()
	path := historyPath(filepath.Join(t.TempDir(), "img"))
	h, err := loadHistory(path)
	require.NoError(t, err)
	assert.Empty(t, h, "no file, no history")
	saveHistory(d, path, t.Logf)
	h, err = loadHistory(path)
	require.NoError(t, err)
	require.Len(t, h, 1)
	assert.Equal(t, 3*time.Millisecond, h[0].Sync)
	require.NoError(t, os.WriteFile(path, []byte("{"), 0o644))
	_, err = loadHistory(path)
	assert.Error(t, err, "a damaged file is an error (serve logs it and starts without)")
}

// TestReusedBuffersKeepEveryVersion: the write-back reuses the buffers of
// released extents for new writes; every sector must still end up with
// the newest version written to it, and reads along the way must see it.
func TestReusedBuffersKeepEveryVersion(t *testing.T) {
	const sectors = 256
	store := &fileStore{data: make([]byte, sectors*512)}
	d, err := New(Config{Policy: Buffered, Store: store, Capacity: sectors, Bound: 1 << 20, WriteBackAge: time.Millisecond})
	require.NoError(t, err)
	want := make([]byte, sectors*512)
	got := make([]byte, 9*512)
	for i := range 2000 {
		lba := uint64(i*7) % (sectors - 9)
		buf := bytes.Repeat([]byte{byte(i), byte(i >> 8)}, 9*256)
		require.Equal(t, transport.ErrNone, d.wb.write(lba, buf))
		copy(want[lba*512:], buf)
		require.Equal(t, transport.ErrNone, d.wb.read(lba, int64(lba)*512, got))
		require.Equal(t, want[lba*512:(lba+9)*512], got, "write %d", i)
		if i%100 == 99 {
			time.Sleep(2 * time.Millisecond) // let batches go and buffers come back
		}
	}
	d.wb.freeMu.Lock()
	reused := d.wb.reused
	d.wb.freeMu.Unlock()
	assert.Positive(t, reused, "writes got buffers of released extents")
	require.NoError(t, d.Close())
	assert.Equal(t, want, store.data)
}

// TestNoReuseOnceStopped: once the power-fail flush has begun it may be
// writing the sectors of an extent the write-back releases, so released
// buffers no longer go back for reuse.
func TestNoReuseOnceStopped(t *testing.T) {
	store := &fileStore{data: make([]byte, 64*512)}
	w := newWriteback(store, 1<<20, 1<<20, nil, time.Hour, false, func(string, ...any) {})
	e := &extent{lba: 1, data: make([]byte, 512)}
	w.mu.Lock()
	w.recycle([]*extent{e})
	n := len(w.free[1])
	w.stopped = true
	w.recycle([]*extent{{lba: 2, data: make([]byte, 512)}})
	w.mu.Unlock()
	assert.Equal(t, 1, n, "reused while writes are taken")
	assert.Len(t, w.free[1], 1, "nothing more once stopped")
	w.stop()
}
