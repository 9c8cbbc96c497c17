// Package sqlitevfs is an SQLite VFS (for github.com/ncruces/go-sqlite3)
// that lays one database, its WAL and its rollback journal onto a
// block.Device, so every byte SQLite stores — and every Sync it asks for —
// goes through the block driver.
//
// # Layout
//
// Sector 0 is the metadata sector: a magic, the three fixed regions (main
// database, WAL, journal: 1/2, 3/8 and 1/8 of the rest of the device) and,
// per file, whether it exists and its durable size, with a CRC. Each file's
// bytes live at offset 0 of its region. Temporary files (sort spills, temp
// databases, sub-journals) never need to survive a crash and stay in memory.
//
// # Durability
//
// Writes go to a per-file dirty-sector cache (SQLite's writes are small and
// unaligned: a WAL frame is a 24-byte header plus a page at an offset that
// is not a multiple of 512). Sync writes the dirty sectors in runs with
// WriteSectors, then — if the file's size or existence changed — the
// metadata sector, then calls the driver's Flush; when everything to make
// durable fits one request it uses WRITE_FUA instead of the FLUSH, so a
// typical commit under synchronous=FULL is a single FUA request. Only the
// file being synced has its size made durable, so the metadata never
// claims bytes of another file that were not synced (the WAL excepted, see
// Sync). A partial-sector write is read-modify-write of the whole sector
// with the untouched bytes unchanged.
//
// # Device characteristics claimed
//
// IOCAP_POWERSAFE_OVERWRITE only. The device writes whole sectors (the
// smallest unit of every request) and never changes a sector nobody wrote,
// and this VFS's read-modify-write rewrites neighbouring bytes with their
// own values, so a crash during a write cannot damage bytes outside the
// written range. Not claimed:
//   - IOCAP_SEQUENTIAL: under the sync policy writes that completed before a
//     FLUSH reach the medium in any order; only FLUSH orders them.
//   - IOCAP_SAFE_APPEND: a file's size is in the metadata sector, written in
//     the same flush epoch as the data, so after a crash the size may cover
//     bytes that did not make it (SQLite's WAL checksums reject those).
//   - IOCAP_ATOMIC*, IOCAP_BATCH_ATOMIC: a multi-sector request can be cut
//     part-way by a power failure (a power-fail flush that misses its
//     deadline, or a sync-policy write in flight), so no write larger than a
//     sector is atomic. Even ATOMIC512 is left out: it buys nothing with
//     4 KiB pages.
//
// # Locking
//
// One connection owns the device, and the VFS enforces it rather than
// implementing locks: a second connection to the database, or an ATTACH of
// any other database, fails to open with a message that says so. Real
// locking would buy nothing here: the device has one owner process (its
// backend refuses a second one), and with PRAGMA locking_mode=EXCLUSIVE
// before journal_mode=WAL, as Pragmas does, SQLite keeps the WAL index in
// the connection's heap, where a second connection could never see it.
// Locks are therefore tracked but never contended.
package sqlitevfs

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/vfs"

	"github.com/drvsynth/drvsynth/os-interface/block"
)

const (
	sector     = block.SectorSize
	metaMagic  = "VBLKFS01"
	slotDB     = 0
	slotWAL    = 1
	slotJrnl   = 2
	nSlots     = 3
	dirtyLimit = 4 << 20 // write dirty sectors out (without a flush) past this
	cleanLimit = 256     // sectors kept after write-out for read-modify-write
	// walCache: sectors of the WAL kept after write-out. A checkpoint
	// reads back every frame written since the last one; with the frames
	// still here it reads none from the device, and a commit costs one
	// request, not two. 32 MiB covers SQLite's default auto-checkpoint
	// (1000 pages) many times over.
	walCache = 32 << 20 / sector
	walChunk = 1 << 20 // WAL durable-size granularity, see Sync
	// mediumSector is the sector size SQLite is told: the image under the
	// device lives on a file system (and flash) that writes 4 KiB units,
	// so that is the unit a crash can tear.
	mediumSector = 4096
)

// VFS maps one database onto one block device.
type VFS struct {
	dev block.Device
	ctx context.Context

	mu    sync.Mutex
	files [nSlots]*fileState
	buf   []byte // scratch for runs, MaxSectors long
	// name is the one database this device holds, bound at the first
	// open; mainOpen says a connection has it open.
	name     string
	mainOpen bool
}

// fileState is one of the three files. It outlives open handles, like an
// OS page cache: bytes written but not synced stay readable after Close.
type fileState struct {
	start, sectors    uint64 // region on the device
	exists, durExists bool
	size, durSize     int64
	// cache holds every dirty sector of the file and, after write-out,
	// clean ones for read-modify-write and reads; dirty lists the dirty
	// ones in the order they were first written, with their entries, so
	// writing them out looks none up again. One entry per sector, written
	// in place: a commit's WAL frame reuses the sectors of the frame that
	// held its place before the last checkpoint, and costs no allocation
	// and one map lookup per sector.
	cache map[uint64]*cached
	dirty []dirtySector
	// unflushed: sectors of this file were written to the device outside
	// a Sync and no FLUSH has covered them yet.
	unflushed bool
	// walChunk: durable sizes are rounded up to this (WAL only, see Sync).
	walChunk int64
	// keep: most sectors kept in the cache after write-out.
	keep int
}

// dirtySector is sector s of a file and its cache entry.
type dirtySector struct {
	s uint64
	c *cached
}

// cached is one sector of a file in the VFS cache.
type cached struct {
	b     [sector]byte
	dirty bool // written since the last write-out, and in fileState.dirty
}

// New reads (or, on a blank device, writes) the metadata sector.
func New(ctx context.Context, dev block.Device) (*VFS, error) {
	capacity, err := dev.Capacity(ctx)
	if err != nil {
		return nil, err
	}
	if capacity < 64 {
		return nil, fmt.Errorf("sqlitevfs: device of %d sectors is too small", capacity)
	}
	v := &VFS{dev: dev, ctx: ctx, buf: make([]byte, dev.MaxSectors()*sector)}
	meta := make([]byte, sector)
	if err := dev.ReadSectors(ctx, 0, meta); err != nil {
		return nil, err
	}
	switch {
	case string(meta[:8]) == metaMagic:
		if crc32.ChecksumIEEE(meta[:sector-4]) != binary.LittleEndian.Uint32(meta[sector-4:]) {
			return nil, errors.New("sqlitevfs: metadata sector fails its checksum")
		}
		for i := range nSlots {
			e := meta[16+32*i:]
			f := &fileState{
				start:   binary.LittleEndian.Uint64(e[0:]),
				sectors: binary.LittleEndian.Uint64(e[8:]),
				exists:  e[16] != 0,
				size:    int64(binary.LittleEndian.Uint64(e[24:])),
			}
			if f.start == 0 || f.start+f.sectors > capacity || f.size < 0 || uint64(f.size) > f.sectors*sector {
				return nil, errors.New("sqlitevfs: metadata sector describes regions outside the device")
			}
			f.durExists, f.durSize = f.exists, f.size
			v.files[i] = f
		}
	case allZero(meta):
		usable := capacity - 1
		db := usable / 2
		wal := usable * 3 / 8
		starts := [nSlots]uint64{1, 1 + db, 1 + db + wal}
		lens := [nSlots]uint64{db, wal, usable - db - wal}
		for i := range nSlots {
			v.files[i] = &fileState{start: starts[i], sectors: lens[i]}
		}
		if err := v.writeMeta(false); err != nil {
			return nil, err
		}
		if err := dev.Flush(ctx); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("sqlitevfs: device holds something else (no metadata magic, not blank)")
	}
	for _, f := range v.files {
		f.cache = map[uint64]*cached{}
		f.keep = cleanLimit
	}
	v.files[slotWAL].walChunk = walChunk
	v.files[slotWAL].keep = walCache
	return v, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// writeMeta writes the durable view of all files (mu held), with FUA when
// fua is set.
func (v *VFS) writeMeta(fua bool) error {
	meta := make([]byte, sector)
	copy(meta, metaMagic)
	binary.LittleEndian.PutUint32(meta[8:], 1)
	for i, f := range v.files {
		e := meta[16+32*i:]
		binary.LittleEndian.PutUint64(e[0:], f.start)
		binary.LittleEndian.PutUint64(e[8:], f.sectors)
		if f.durExists {
			e[16] = 1
		}
		binary.LittleEndian.PutUint64(e[24:], uint64(f.durSize))
	}
	binary.LittleEndian.PutUint32(meta[sector-4:], crc32.ChecksumIEEE(meta[:sector-4]))
	if fua {
		return v.dev.WriteSectorsFUA(v.ctx, 0, meta)
	}
	return v.dev.WriteSectors(v.ctx, 0, meta)
}

// Register makes the VFS available to SQLite under name
// (open with "file:NAME.db?vfs=name").
func (v *VFS) Register(name string) { vfs.Register(name, v) }

func slotOf(name string) int {
	switch {
	case strings.HasSuffix(name, "-wal"):
		return slotWAL
	case strings.HasSuffix(name, "-journal"):
		return slotJrnl
	}
	return slotDB
}

// baseName is the database a file name belongs to.
func baseName(name string) string {
	return strings.TrimSuffix(strings.TrimSuffix(name, "-wal"), "-journal")
}

// slot returns the file for name, or nil if name belongs to a database
// other than the one on this device (mu held). The first name seen binds
// the device.
func (v *VFS) slot(name string) *fileState {
	if v.name == "" {
		v.name = baseName(name)
	}
	if baseName(name) != v.name {
		return nil
	}
	return v.files[slotOf(name)]
}

// errOtherDB and errSecondConn are how the VFS refuses a second owner.
// The device holds one database for one connection: its locks are not
// shared with anyone, and with locking_mode=EXCLUSIVE the WAL index lives
// in that connection's heap, so a second connection could only corrupt it.
var (
	errOtherDB    = errors.New("sqlitevfs: this device holds one database")
	errSecondConn = errors.New("sqlitevfs: the database is already open on this device (one connection per device)")
)

// Open opens the main database, its WAL or its journal on the device, and
// anything else (temporary files) in memory.
func (v *VFS) Open(name string, flags vfs.OpenFlag) (vfs.File, vfs.OpenFlag, error) {
	if flags&(vfs.OPEN_MAIN_DB|vfs.OPEN_WAL|vfs.OPEN_MAIN_JOURNAL) == 0 {
		return &memFile{}, flags, nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	f := v.slot(name)
	if f == nil {
		return nil, flags, vfs.SystemError(fmt.Errorf("%w (%s), not %s", errOtherDB, v.name, name), sqlite3.CANTOPEN)
	}
	main := flags&vfs.OPEN_MAIN_DB != 0
	if main && v.mainOpen {
		return nil, flags, vfs.SystemError(errSecondConn, sqlite3.CANTOPEN)
	}
	if !f.exists {
		if flags&vfs.OPEN_CREATE == 0 {
			return nil, flags, sqlite3.CANTOPEN
		}
		f.exists = true
	}
	if main {
		v.mainOpen = true
	}
	return &file{v: v, f: f, main: main}, flags, nil
}

// Delete removes a file, durably at once.
func (v *VFS) Delete(name string, syncDir bool) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	f := v.slot(name)
	if f == nil {
		return nil // not on this device: there is nothing to delete
	}
	f.exists, f.size = false, 0
	clear(f.cache)
	f.dirty = f.dirty[:0]
	if !f.durExists && f.durSize == 0 {
		return nil
	}
	oldExists, oldSize := f.durExists, f.durSize
	f.durExists, f.durSize = false, 0
	if err := v.writeMeta(false); err != nil {
		f.durExists, f.durSize = oldExists, oldSize // written again next time
		return vfs.SystemError(err, sqlite3.IOERR_DELETE)
	}
	if err := v.dev.Flush(v.ctx); err != nil {
		return vfs.SystemError(err, sqlite3.IOERR_DELETE)
	}
	return nil
}

// Access reports whether a file exists.
func (v *VFS) Access(name string, flags vfs.AccessFlag) (bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f := v.slot(name)
	return f != nil && f.exists, nil
}

// FullPathname keeps names as they are: there are no directories.
func (v *VFS) FullPathname(name string) (string, error) { return name, nil }

// ---- one file ---------------------------------------------------------------

type file struct {
	v    *VFS
	f    *fileState
	main bool // the connection's main database handle
	lock vfs.LockLevel
}

var _ vfs.File = (*file)(nil)

// sectorFor returns the cache entry of file sector s for modification,
// filling a new one with the sector's current contents unless whole is
// set (the caller overwrites all of it), and marks it dirty (mu held).
// Bytes at or past the file size read as zero.
func (h *file) sectorFor(s uint64, whole bool) (*cached, error) {
	f := h.f
	c := f.cache[s]
	if c == nil {
		c = new(cached)
		base := int64(s) * sector
		if !whole && base < f.size {
			if err := h.v.dev.ReadSectors(h.v.ctx, f.start+s, c.b[:]); err != nil {
				return nil, err
			}
			if end := f.size - base; end < sector {
				clear(c.b[end:])
			}
		}
		f.cache[s] = c
	}
	if !c.dirty {
		c.dirty = true
		f.dirty = append(f.dirty, dirtySector{s, c})
	}
	return c, nil
}

// ReadAt reads from the dirty cache or the device, batching device reads
// of runs of sectors that are not cached.
func (h *file) ReadAt(p []byte, off int64) (int, error) {
	v, f := h.v, h.f
	v.mu.Lock()
	defer v.mu.Unlock()
	if off >= f.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), f.size-off))
	first := uint64(off / sector)
	last := uint64((off + int64(n) - 1) / sector)
	for s := first; s <= last; {
		if c := f.cache[s]; c != nil {
			copySector(p, off, s, c.b[:])
			s++
			continue
		}
		// A run of uncached sectors, read in one request per MaxSectors.
		e := s
		for e < last && e-s+1 < uint64(v.dev.MaxSectors()) {
			if f.cache[e+1] != nil {
				break
			}
			e++
		}
		buf := v.buf[:(e-s+1)*sector]
		if err := v.dev.ReadSectors(v.ctx, f.start+s, buf); err != nil {
			return 0, vfs.SystemError(err, sqlite3.IOERR_READ)
		}
		for i := s; i <= e; i++ {
			copySector(p, off, i, buf[(i-s)*sector:(i-s+1)*sector])
		}
		s = e + 1
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// copySector copies the part of sector s (contents b) that overlaps the
// file range [off, off+len(p)) into p.
func copySector(p []byte, off int64, s uint64, b []byte) {
	base := int64(s) * sector
	lo := max(base, off)
	hi := min(base+sector, off+int64(len(p)))
	copy(p[lo-off:hi-off], b[lo-base:hi-base])
}

// WriteAt puts p into the dirty cache.
func (h *file) WriteAt(p []byte, off int64) (int, error) {
	v, f := h.v, h.f
	v.mu.Lock()
	defer v.mu.Unlock()
	end := off + int64(len(p))
	if off < 0 || uint64(end) > f.sectors*sector {
		return 0, sqlite3.FULL
	}
	if off > f.size {
		if err := h.fill(f.size, off); err != nil {
			return 0, err
		}
	}
	if err := h.put(p, off); err != nil {
		return 0, err
	}
	f.size = max(f.size, end)
	if len(f.dirty)*sector > dirtyLimit {
		if err := h.writeDirty(false); err != nil {
			return 0, vfs.SystemError(err, sqlite3.IOERR_WRITE)
		}
		f.unflushed = true
	}
	return len(p), nil
}

// put copies p to file offset off through the dirty cache (mu held).
func (h *file) put(p []byte, off int64) error {
	for len(p) > 0 {
		s := uint64(off / sector)
		in := int(off % sector)
		n := min(len(p), sector-in)
		c, err := h.sectorFor(s, n == sector)
		if err != nil {
			return vfs.SystemError(err, sqlite3.IOERR_READ)
		}
		copy(c.b[in:], p[:n])
		p, off = p[n:], off+int64(n)
	}
	return nil
}

// fill writes zeros over [from, to) so a file that grows never exposes
// stale device contents (mu held).
func (h *file) fill(from, to int64) error {
	zero := make([]byte, 64<<10)
	for from < to {
		n := min(to-from, int64(len(zero)))
		if err := h.put(zero[:n], from); err != nil {
			return err
		}
		from += n
		h.f.size = max(h.f.size, from)
	}
	return nil
}

// sortDirty puts the dirty list in ascending order (mu held). SQLite
// writes mostly in ascending order, so it usually is already.
func (f *fileState) sortDirty() {
	bySector := func(a, b dirtySector) int { return cmp.Compare(a.s, b.s) }
	if !slices.IsSortedFunc(f.dirty, bySector) {
		slices.SortFunc(f.dirty, bySector)
	}
}

// dirtyRuns reports how many requests writeDirty will issue.
func (h *file) dirtyRuns() int {
	f := h.f
	f.sortDirty()
	secs := f.dirty
	runs, maxRun := 0, uint64(h.v.dev.MaxSectors())
	for i := 0; i < len(secs); {
		j := i + 1
		for j < len(secs) && secs[j].s == secs[j-1].s+1 && uint64(j-i) < maxRun {
			j++
		}
		runs++
		i = j
	}
	return runs
}

// writeDirty writes the dirty sectors to the device in ascending runs
// (mu held), with FUA when fua is set. It does not flush.
func (h *file) writeDirty(fua bool) error {
	v, f := h.v, h.f
	if len(f.dirty) == 0 {
		return nil
	}
	f.sortDirty()
	secs := f.dirty
	maxRun := uint64(v.dev.MaxSectors())
	for i := 0; i < len(secs); {
		j := i + 1
		for j < len(secs) && secs[j].s == secs[j-1].s+1 && uint64(j-i) < maxRun {
			j++
		}
		buf := v.buf[:(j-i)*sector]
		for k := i; k < j; k++ {
			copy(buf[(k-i)*sector:], secs[k].c.b[:])
		}
		write := v.dev.WriteSectors
		if fua {
			write = v.dev.WriteSectorsFUA
		}
		if err := write(v.ctx, f.start+secs[i].s, buf); err != nil {
			return err
		}
		i = j
	}
	for _, d := range secs {
		d.c.dirty = false
	}
	if len(f.cache) > f.keep {
		// Over the limit: keep only what was just written (as much of
		// it as the limit allows).
		kept := make(map[uint64]*cached, min(len(secs), f.keep))
		for _, d := range secs {
			if len(kept) < f.keep {
				kept[d.s] = d.c
			}
		}
		f.cache = kept
	}
	f.dirty = f.dirty[:0]
	return nil
}

// Truncate sets the size; a grown file reads as zeros past its old end.
func (h *file) Truncate(size int64) error {
	v, f := h.v, h.f
	v.mu.Lock()
	defer v.mu.Unlock()
	if size < 0 || uint64(size) > f.sectors*sector {
		return sqlite3.FULL
	}
	if size > f.size {
		return h.fill(f.size, size)
	}
	keep := uint64((size + sector - 1) / sector)
	for s := range f.cache {
		if s >= keep {
			delete(f.cache, s)
		}
	}
	f.dirty = slices.DeleteFunc(f.dirty, func(d dirtySector) bool { return d.s >= keep })
	if in := size % sector; in != 0 {
		if c := f.cache[uint64(size/sector)]; c != nil {
			clear(c.b[in:])
		}
	}
	f.size = size
	return nil
}

// Sync makes this file durable: its dirty sectors, then its size in the
// metadata sector if that changed, then the driver's FLUSH. When the dirty
// sectors form a single request and nothing of this file was written
// outside a Sync since the last FLUSH, that request goes out as
// WRITE_FUA instead and needs no FLUSH: a typical commit (one run of WAL
// frames) is then one request.
//
// The WAL's durable size is rounded up to walChunk, so the metadata sector
// is rewritten once per walChunk of WAL growth, not on every commit. That
// is safe for the WAL only: after a crash SQLite reads WAL frames until the
// first one whose salt or running checksum does not match, so bytes past
// the last synced frame (zeros, or frames of an older WAL generation with
// other salts) are ignored.
func (h *file) Sync(flags vfs.SyncFlag) error {
	v, f := h.v, h.f
	v.mu.Lock()
	defer v.mu.Unlock()
	durSize := f.size
	if f.walChunk > 0 {
		durSize = min((f.size+f.walChunk-1)/f.walChunk*f.walChunk, int64(f.sectors*sector))
		if durSize <= f.durSize {
			durSize = f.durSize // never shrink: a shrink needs no durability
		}
	}
	metaChanged := durSize != f.durSize || f.exists != f.durExists
	fua := !f.unflushed && h.dirtyRuns() <= 1
	if err := h.writeDirty(fua); err != nil {
		return vfs.SystemError(err, sqlite3.IOERR_FSYNC)
	}
	if metaChanged {
		// The new durable view is remembered only once it is written:
		// after a failed write the next Sync must write it again, or the
		// metadata would keep the old size for good.
		oldSize, oldExists := f.durSize, f.durExists
		f.durSize, f.durExists = durSize, f.exists
		if err := v.writeMeta(fua); err != nil {
			f.durSize, f.durExists = oldSize, oldExists
			return vfs.SystemError(err, sqlite3.IOERR_FSYNC)
		}
	}
	if fua {
		return nil
	}
	if err := v.dev.Flush(v.ctx); err != nil {
		return vfs.SystemError(err, sqlite3.IOERR_FSYNC)
	}
	for _, g := range v.files {
		g.unflushed = false
	}
	return nil
}

// Size is the current (not necessarily durable) size.
func (h *file) Size() (int64, error) {
	h.v.mu.Lock()
	defer h.v.mu.Unlock()
	return h.f.size, nil
}

// Close drops the handle; unsynced data stays cached in the VFS. Closing
// the main database handle lets a new connection open it.
func (h *file) Close() error {
	if h.main {
		h.v.mu.Lock()
		h.v.mainOpen = false
		h.main = false
		h.v.mu.Unlock()
	}
	return nil
}

// Lock records the level: one process owns the device, so it never blocks.
func (h *file) Lock(l vfs.LockLevel) error { h.lock = l; return nil }

// Unlock records the level.
func (h *file) Unlock(l vfs.LockLevel) error { h.lock = l; return nil }

// CheckReservedLock: no other process can hold one.
func (h *file) CheckReservedLock() (bool, error) { return false, nil }

// SectorSize is the medium's write unit (see mediumSector), not the
// device's 512-byte addressing unit.
func (h *file) SectorSize() int { return mediumSector }

// DeviceCharacteristics: see the package comment for why only this.
func (h *file) DeviceCharacteristics() vfs.DeviceCharacteristic {
	return vfs.IOCAP_POWERSAFE_OVERWRITE
}

// ---- temporary files --------------------------------------------------------

// memFile is a temporary file: SQLite deletes those on close and never
// expects them to survive a crash.
type memFile struct {
	data []byte
}

func (m *memFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m.data)) {
		return 0, io.EOF
	}
	n := copy(p, m.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if end := off + int64(len(p)); end > int64(len(m.data)) {
		m.data = append(m.data, make([]byte, end-int64(len(m.data)))...)
	}
	return copy(m.data[off:], p), nil
}

func (m *memFile) Truncate(size int64) error {
	if size < int64(len(m.data)) {
		m.data = m.data[:size]
	} else {
		m.data = append(m.data, make([]byte, size-int64(len(m.data)))...)
	}
	return nil
}

func (m *memFile) Sync(vfs.SyncFlag) error                         { return nil }
func (m *memFile) Size() (int64, error)                            { return int64(len(m.data)), nil }
func (m *memFile) Close() error                                    { return nil }
func (m *memFile) Lock(vfs.LockLevel) error                        { return nil }
func (m *memFile) Unlock(vfs.LockLevel) error                      { return nil }
func (m *memFile) CheckReservedLock() (bool, error)                { return false, nil }
func (m *memFile) SectorSize() int                                 { return mediumSector }
func (m *memFile) DeviceCharacteristics() vfs.DeviceCharacteristic { return 0 }
