package sqlitevfs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/vfs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/os-interface/block"
)

// memDev is a block device with a volatile write cache: completed writes
// are visible to reads but reach the durable medium only at Flush (or FUA).
// crash applies an arbitrary subset of the pending sectors in arbitrary
// order — the weakest device the block contract allows — and drops the rest.
type memDev struct {
	mu       sync.Mutex
	durable  []byte
	pending  map[uint64][]byte // sector -> contents, not yet durable
	flushes  int
	fuas     int
	requests int
	reads    int
	frozen   bool // after crash: the old process's writes go nowhere
	// failWrite, when set, is asked before every write and makes it fail
	// (writing nothing) when it returns true.
	failWrite func(lba uint64) bool
}

func newMemDev(sectors int) *memDev {
	return &memDev{durable: make([]byte, sectors*block.SectorSize), pending: map[uint64][]byte{}}
}

func (m *memDev) Init(context.Context) error { return nil }
func (m *memDev) Capacity(context.Context) (uint64, error) {
	return uint64(len(m.durable) / block.SectorSize), nil
}
func (m *memDev) MaxSectors() int { return 128 }

func (m *memDev) ReadSectors(_ context.Context, lba uint64, buf []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests++
	m.reads++
	for i := 0; i < len(buf)/block.SectorSize; i++ {
		s := lba + uint64(i)
		if p, ok := m.pending[s]; ok {
			copy(buf[i*block.SectorSize:], p)
		} else {
			copy(buf[i*block.SectorSize:(i+1)*block.SectorSize], m.durable[s*block.SectorSize:])
		}
	}
	return nil
}

func (m *memDev) WriteSectors(_ context.Context, lba uint64, buf []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests++
	if m.frozen {
		return fmt.Errorf("device gone")
	}
	if int(lba)*block.SectorSize+len(buf) > len(m.durable) {
		return fmt.Errorf("write past the end")
	}
	if m.failWrite != nil && m.failWrite(lba) {
		return fmt.Errorf("transient write error at sector %d", lba)
	}
	for i := 0; i < len(buf)/block.SectorSize; i++ {
		m.pending[lba+uint64(i)] = append([]byte(nil), buf[i*block.SectorSize:(i+1)*block.SectorSize]...)
	}
	return nil
}

func (m *memDev) WriteSectorsFUA(ctx context.Context, lba uint64, buf []byte) error {
	if err := m.WriteSectors(ctx, lba, buf); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fuas++
	for i := 0; i < len(buf)/block.SectorSize; i++ {
		s := lba + uint64(i)
		copy(m.durable[s*block.SectorSize:], m.pending[s])
		delete(m.pending, s)
	}
	return nil
}

func (m *memDev) Flush(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests++
	if m.frozen {
		return fmt.Errorf("device gone")
	}
	m.flushes++
	for s, p := range m.pending {
		copy(m.durable[s*block.SectorSize:], p)
	}
	clear(m.pending)
	return nil
}

func (m *memDev) crash(rng *rand.Rand) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for s, p := range m.pending { // map order: arbitrary
		if rng.IntN(2) == 0 {
			copy(m.durable[s*block.SectorSize:], p)
		}
	}
	clear(m.pending)
	m.frozen = true
}

func (m *memDev) revive() {
	m.mu.Lock()
	m.frozen = false
	m.mu.Unlock()
}

var ctx = context.Background()

func TestFileRoundTrip(t *testing.T) {
	dev := newMemDev(4096)
	v, err := New(ctx, dev)
	require.NoError(t, err)
	f, _, err := v.Open("x.db", vfs.OPEN_MAIN_DB|vfs.OPEN_CREATE|vfs.OPEN_READWRITE)
	require.NoError(t, err)
	ref := []byte{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		off := rng.IntN(200000)
		n := 1 + rng.IntN(9000)
		p := make([]byte, n)
		for j := range p {
			p[j] = byte(rng.Uint32())
		}
		_, err := f.WriteAt(p, int64(off))
		require.NoError(t, err)
		if off+n > len(ref) {
			ref = append(ref, make([]byte, off+n-len(ref))...)
		}
		copy(ref[off:], p)
		if i%50 == 0 {
			require.NoError(t, f.Sync(vfs.SYNC_FULL))
		}
	}
	size, _ := f.Size()
	assert.Equal(t, int64(len(ref)), size)
	got := make([]byte, len(ref))
	n, err := f.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, len(ref), n)
	assert.True(t, bytes.Equal(ref, got))

	// Short read past the end.
	tail := make([]byte, 100)
	n, err = f.ReadAt(tail, int64(len(ref)-10))
	assert.Equal(t, 10, n)
	assert.Equal(t, io.EOF, err)

	// Truncate then grow: the regrown part reads as zeros.
	require.NoError(t, f.Truncate(1000))
	require.NoError(t, f.Truncate(5000))
	got = make([]byte, 5000)
	_, err = f.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, ref[:1000], got[:1000])
	assert.Equal(t, make([]byte, 4000), got[1000:])
	require.NoError(t, f.Sync(vfs.SYNC_FULL))

	// A fresh VFS on the same device sees the synced file.
	v2, err := New(ctx, dev)
	require.NoError(t, err)
	f2, _, err := v2.Open("x.db", vfs.OPEN_MAIN_DB|vfs.OPEN_READWRITE)
	require.NoError(t, err)
	size, _ = f2.Size()
	assert.Equal(t, int64(5000), size)
	got2 := make([]byte, 5000)
	_, err = f2.ReadAt(got2, 0)
	require.NoError(t, err)
	assert.Equal(t, got, got2)

	// Writes beyond the region are SQLITE_FULL, not corruption.
	_, err = f2.WriteAt([]byte{1}, 1<<40)
	assert.Error(t, err)
}

func TestSyncEndsInFlush(t *testing.T) {
	dev := newMemDev(1 << 15)
	v, err := New(ctx, dev)
	require.NoError(t, err)
	f, _, err := v.Open("x.db-wal", vfs.OPEN_WAL|vfs.OPEN_CREATE|vfs.OPEN_READWRITE)
	require.NoError(t, err)
	_, err = f.WriteAt(make([]byte, 4120), 32)
	require.NoError(t, err)
	before := dev.requests
	require.NoError(t, f.Sync(vfs.SYNC_FULL))
	assert.Equal(t, before+2, dev.requests, "one FUA write of the frames, one FUA metadata write, no FLUSH")
	// Grow past the first WAL chunk with many runs: FLUSH path.
	for off := int64(0); off < 3<<20; off += 8192 {
		_, err = f.WriteAt(make([]byte, 100), off)
		require.NoError(t, err)
	}
	flushes := dev.flushes
	require.NoError(t, f.Sync(vfs.SYNC_FULL))
	assert.Equal(t, flushes+1, dev.flushes)
	dev.mu.Lock()
	assert.Empty(t, dev.pending, "everything written is durable after Sync")
	dev.mu.Unlock()
	// Unsynced writes are not durable: a crash may drop them.
	_, err = f.WriteAt(bytes.Repeat([]byte{7}, 512), 8192)
	require.NoError(t, err)
	dev.crash(rand.New(rand.NewPCG(3, 4)))
	dev.revive()
	v2, err := New(ctx, dev)
	require.NoError(t, err)
	assert.Equal(t, int64(3<<20), v2.files[slotWAL].size, "durable WAL size is the synced one, in whole chunks")
}

// TestMetadataWriteFailureIsRetried: a Sync whose metadata write fails
// must not remember the new durable size as written. Otherwise every later
// Sync finds nothing to change, the metadata keeps the old size for good,
// and after a crash everything synced past it is gone.
func TestMetadataWriteFailureIsRetried(t *testing.T) {
	dev := newMemDev(1 << 15)
	v, err := New(ctx, dev)
	require.NoError(t, err)
	f, _, err := v.Open("x.db-wal", vfs.OPEN_WAL|vfs.OPEN_CREATE|vfs.OPEN_READWRITE)
	require.NoError(t, err)
	_, err = f.WriteAt(bytes.Repeat([]byte{1}, 4096), 0)
	require.NoError(t, err)
	failed := false
	dev.failWrite = func(lba uint64) bool {
		if lba == 0 && !failed {
			failed = true
			return true
		}
		return false
	}
	assert.Error(t, f.Sync(vfs.SYNC_FULL), "the metadata write failed")
	require.True(t, failed)
	_, err = f.WriteAt(bytes.Repeat([]byte{2}, 4096), 4096)
	require.NoError(t, err)
	require.NoError(t, f.Sync(vfs.SYNC_FULL))

	dev.crash(rand.New(rand.NewPCG(7, 8)))
	dev.revive()
	v2, err := New(ctx, dev)
	require.NoError(t, err)
	ok, _ := v2.Access("x.db-wal", vfs.ACCESS_EXISTS)
	require.True(t, ok, "the synced WAL exists after the crash")
	f2, _, err := v2.Open("x.db-wal", vfs.OPEN_WAL|vfs.OPEN_READWRITE)
	require.NoError(t, err)
	got := make([]byte, 8192)
	_, err = f2.ReadAt(got, 0)
	require.NoError(t, err)
	assert.Equal(t, append(bytes.Repeat([]byte{1}, 4096), bytes.Repeat([]byte{2}, 4096)...), got, "both synced writes survive")
}

func TestDeleteAndAccess(t *testing.T) {
	dev := newMemDev(4096)
	v, err := New(ctx, dev)
	require.NoError(t, err)
	ok, _ := v.Access("x.db-journal", vfs.ACCESS_EXISTS)
	assert.False(t, ok)
	_, _, err = v.Open("x.db-journal", vfs.OPEN_MAIN_JOURNAL|vfs.OPEN_READWRITE)
	assert.Error(t, err, "no create flag, no file")
	f, _, err := v.Open("x.db-journal", vfs.OPEN_MAIN_JOURNAL|vfs.OPEN_CREATE|vfs.OPEN_READWRITE)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("hello"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync(vfs.SYNC_FULL))
	ok, _ = v.Access("x.db-journal", vfs.ACCESS_EXISTS)
	assert.True(t, ok)
	require.NoError(t, v.Delete("x.db-journal", true))
	v2, err := New(ctx, dev)
	require.NoError(t, err)
	ok, _ = v2.Access("x.db-journal", vfs.ACCESS_EXISTS)
	assert.False(t, ok, "a delete is durable")
}

func TestDeviceCharacteristics(t *testing.T) {
	v, err := New(ctx, newMemDev(4096))
	require.NoError(t, err)
	f, _, err := v.Open("x.db", vfs.OPEN_MAIN_DB|vfs.OPEN_CREATE|vfs.OPEN_READWRITE)
	require.NoError(t, err)
	assert.Equal(t, vfs.IOCAP_POWERSAFE_OVERWRITE, f.DeviceCharacteristics())
	assert.Equal(t, 4096, f.SectorSize(), "the medium's 4 KiB write unit")
}

func TestForeignDeviceRefused(t *testing.T) {
	dev := newMemDev(4096)
	dev.durable[3] = 1
	_, err := New(ctx, dev)
	assert.Error(t, err)
}

// TestSQLiteCrashes commits transactions through SQLite on a device that
// loses or reorders everything not flushed, crashes it at random points,
// and checks that every committed row survives and the database is intact.
func TestSQLiteCrashes(t *testing.T) {
	dev := newMemDev(1 << 15)
	rng := rand.New(rand.NewPCG(5, 6))
	committed := 0
	for round := 0; round < 20; round++ {
		db, err := OpenDB(ctx, dev)
		require.NoError(t, err)
		require.NoError(t, db.Exec(`CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v BLOB)`))
		var n int
		st, _, err := db.Prepare(`SELECT count(*), coalesce(max(id),0) FROM t`)
		require.NoError(t, err)
		require.True(t, st.Step())
		n = st.ColumnInt(0)
		assert.Equal(t, committed, st.ColumnInt(1), "round %d: last committed id present", round)
		require.NoError(t, st.Close())
		assert.GreaterOrEqual(t, n, committed)
		ic, _, err := db.Prepare(`PRAGMA integrity_check`)
		require.NoError(t, err)
		require.True(t, ic.Step())
		assert.Equal(t, "ok", ic.ColumnText(0))
		require.NoError(t, ic.Close())

		ins, _, err := db.Prepare(`INSERT INTO t(id, v) VALUES(?, randomblob(200))`)
		require.NoError(t, err)
		k := 20 + rng.IntN(200)
		for i := 0; i < k; i++ {
			require.NoError(t, ins.BindInt(1, committed+1))
			require.NoError(t, ins.Exec())
			committed++
		}
		require.NoError(t, ins.Close())
		// Leave a transaction half-written, then crash without closing.
		require.NoError(t, db.Exec(`BEGIN; INSERT INTO t(v) VALUES(randomblob(5000));`))
		dev.crash(rng)
		// The connection is abandoned like a killed process's.
		_ = db.Close()
		dev.revive()
	}
}

// TestCheckpointReadsNothing: a checkpoint copies the WAL's frames into
// the database; they are still in the VFS's cache, so across thousands of
// commits and several checkpoints the device sees no read at all and
// close to one request per commit.
func TestCheckpointReadsNothing(t *testing.T) {
	dev := newMemDev(1 << 16)
	db, err := OpenDB(ctx, dev)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)`))
	reads, reqs := dev.reads, dev.requests
	const commits = 3000
	ins, _, err := db.Prepare(`INSERT INTO t(v) VALUES(randomblob(100))`)
	require.NoError(t, err)
	for range commits {
		require.NoError(t, ins.Exec())
	}
	require.NoError(t, ins.Close())
	assert.Zero(t, dev.reads-reads, "no device reads")
	perCommit := float64(dev.requests-reqs) / commits
	t.Logf("%.3f requests per commit", perCommit)
	assert.Less(t, perCommit, 1.05)
}

// TestOneConnectionPerDevice: a second connection, or an ATTACH of another
// database, is refused with a message that says why; the first connection
// goes on working.
func TestOneConnectionPerDevice(t *testing.T) {
	dev := newMemDev(1 << 14)
	db, err := OpenDB(ctx, dev)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Exec(`CREATE TABLE t(x)`))
	c2, err := sqlite3.Open("file:/vblk.db?vfs=" + db.name)
	if err == nil {
		err = c2.Exec(`SELECT count(*) FROM t`)
		c2.Close()
	}
	require.Error(t, err, "a second connection")
	assert.Contains(t, err.Error(), "already open on this device")
	err = db.Exec(`ATTACH 'other.db' AS o`)
	require.Error(t, err, "ATTACH")
	assert.Contains(t, err.Error(), "holds one database")
	require.NoError(t, db.Exec(`INSERT INTO t VALUES(1)`))
}

func TestSQLiteThroughVFS(t *testing.T) {
	dev := newMemDev(1 << 14)
	db, err := OpenDB(ctx, dev)
	require.NoError(t, err)
	var mode string
	st, _, err := db.Prepare(`PRAGMA journal_mode`)
	require.NoError(t, err)
	require.True(t, st.Step())
	mode = st.ColumnText(0)
	require.NoError(t, st.Close())
	assert.Equal(t, "wal", mode)
	require.NoError(t, db.Exec(`CREATE TABLE t(x)`))
	flushes, fuas, reqs := dev.flushes, dev.fuas, dev.requests
	for i := 0; i < 10; i++ {
		require.NoError(t, db.Exec(`INSERT INTO t VALUES(randomblob(100))`))
	}
	assert.Equal(t, 0, dev.flushes-flushes, "no FLUSH needed")
	assert.Equal(t, 10, dev.fuas-fuas, "one FUA write per commit")
	assert.Equal(t, 10, dev.requests-reqs, "one request per commit")
	require.NoError(t, db.Close())
	db, err = OpenDB(ctx, dev)
	require.NoError(t, err)
	st, _, err = db.Prepare(`SELECT count(*) FROM t`)
	require.NoError(t, err)
	require.True(t, st.Step())
	assert.Equal(t, 10, st.ColumnInt(0))
	require.NoError(t, st.Close())
	require.NoError(t, db.Close())
}

// TestCachedSectorsRewrittenInPlace: a sector written out stays cached and
// is modified in place by the next write; a dirty sector cut off by a
// truncation is never written.
func TestCachedSectorsRewrittenInPlace(t *testing.T) {
	dev := newMemDev(4096)
	v, err := New(ctx, dev)
	require.NoError(t, err)
	f, _, err := v.Open("x.db", vfs.OPEN_MAIN_DB|vfs.OPEN_CREATE|vfs.OPEN_READWRITE)
	require.NoError(t, err)
	_, err = f.WriteAt(bytes.Repeat([]byte{1}, 2048), 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync(vfs.SYNC_FULL))
	reads := dev.reads
	_, err = f.WriteAt([]byte{2, 2, 2}, 700) // inside the cached second sector
	require.NoError(t, err)
	assert.Equal(t, reads, dev.reads, "read-modify-write from the cache, not the device")
	_, err = f.WriteAt(bytes.Repeat([]byte{3}, 1024), 4096) // sectors 8 and 9, dirty
	require.NoError(t, err)
	require.NoError(t, f.Truncate(2048))
	requests := dev.requests
	require.NoError(t, f.Sync(vfs.SYNC_FULL))
	assert.Equal(t, 1, dev.requests-requests, "one FUA write of sector 1, nothing past the truncation")

	v2, err := New(ctx, dev)
	require.NoError(t, err)
	f2, _, err := v2.Open("x.db", vfs.OPEN_MAIN_DB|vfs.OPEN_READWRITE)
	require.NoError(t, err)
	got := make([]byte, 2048)
	_, err = f2.ReadAt(got, 0)
	require.NoError(t, err)
	want := bytes.Repeat([]byte{1}, 2048)
	copy(want[700:], []byte{2, 2, 2})
	assert.Equal(t, want, got)
	size, _ := f2.Size()
	assert.Equal(t, int64(2048), size)
}
