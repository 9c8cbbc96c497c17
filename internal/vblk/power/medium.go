package power

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"sync"
)

// UnitSize is the medium's unit of atomicity and of loss: a disk's
// physical block. At a cut, each unit written since the last sync that
// covered it survives whole, is lost whole, or is torn (some of its
// 512-byte sectors new, the others old).
const UnitSize = 4096

// sectorSize is the granularity of a torn unit.
const sectorSize = 512

// Backing is what a Medium stores its newest contents in: the image file,
// or memory in a simulation.
type Backing interface {
	io.ReaderAt
	io.WriterAt
}

// Medium models the non-volatile medium of a disk with a volatile write
// cache, over a Backing that holds the newest contents (what reads see).
// For every unit written since the last completed sync that covers it, the
// Medium keeps what the medium held before: its pre-image. A cut (see Cut)
// then decides, unit by unit, what the medium holds. Nothing about this
// relies on the host's page cache: a completed write is volatile until a
// sync that began after it completes.
//
// The Medium serialises writes (a disk executes one at a time); reads go
// straight to the Backing.
type Medium struct {
	back Backing
	// Spin, if set, reports whether the calling thread must take the
	// Medium's lock without parking: the power-fail flush's (see
	// File.lock).
	Spin func() bool

	mu    sync.Mutex
	gen   uint64 // incremented by every write
	units map[int64]*unit
	syncs map[*SyncPoint]struct{}
	// scratch receives the current contents of the units a write
	// touches; free holds units that became durable, pre-image and all,
	// for reuse. The backend runs mostly without garbage collection, so
	// a fresh pre-image per unit was fresh memory, and its page faults
	// cost the write-back more than the write itself.
	scratch []byte
	free    []*unit
}

// maxFreeUnits bounds the units kept for reuse (16 MiB of pre-images).
const maxFreeUnits = 4096

// unit is a volatile unit: written since its last durable version.
type unit struct {
	pre    []byte // what the medium holds of it (UnitSize bytes)
	gen    uint64 // the write that produced the newest contents
	durGen uint64 // the write pre stands for (0: before this Medium)
	// owned: pre is this unit's own buffer, not a sync's saved copy, and
	// can be reused with the unit.
	owned bool
}

// newUnit returns a volatile unit whose pre-image is a copy of cur (mu
// held).
func (m *Medium) newUnit(cur []byte, durGen uint64) *unit {
	var un *unit
	if k := len(m.free); k > 0 {
		un = m.free[k-1]
		m.free[k-1] = nil
		m.free = m.free[:k-1]
	} else {
		un = &unit{pre: make([]byte, UnitSize)}
	}
	copy(un.pre, cur)
	un.gen, un.durGen, un.owned = 0, durGen, true
	return un
}

// recycle keeps a unit that left the volatile set for reuse (mu held).
func (m *Medium) recycle(un *unit) {
	if un.owned && len(m.free) < maxFreeUnits {
		m.free = append(m.free, un)
	}
}

// SyncPoint is one sync in flight: the versions it makes durable when it
// completes in time.
type SyncPoint struct {
	covers map[int64]uint64 // unit -> gen current when the sync began
	saved  map[int64][]byte // contents of covered versions overwritten since
}

// NewMedium models a medium whose current contents are those of back, all
// durable.
func NewMedium(back Backing) *Medium {
	return &Medium{back: back, units: map[int64]*unit{}, syncs: map[*SyncPoint]struct{}{}}
}

// lock takes mu, spinning instead of parking when Spin says so.
func (m *Medium) lock() {
	if m.Spin != nil && m.Spin() {
		for !m.mu.TryLock() {
		}
		return
	}
	m.mu.Lock()
}

// ReadAt reads the newest contents.
func (m *Medium) ReadAt(b []byte, off int64) (int, error) { return m.back.ReadAt(b, off) }

// WriteAt writes b at off. Each unit it touches becomes volatile; the first
// write to a unit since it was durable reads the unit's pre-image first.
func (m *Medium) WriteAt(b []byte, off int64) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	m.lock()
	defer m.mu.Unlock()
	first, last := off/UnitSize, (off+int64(len(b))-1)/UnitSize
	// Current contents are needed for units that become volatile now and
	// for versions an in-flight sync covers that this write replaces.
	need := false
	for u := first; u <= last && !need; u++ {
		un := m.units[u]
		need = un == nil || m.coveredUnsaved(u, un.gen)
	}
	if need {
		n := int(last-first+1) * UnitSize
		if cap(m.scratch) < n {
			m.scratch = make([]byte, n)
		}
		cur := m.scratch[:n]
		if err := readFull(m.back, cur, first*UnitSize); err != nil {
			return 0, err
		}
		for u := first; u <= last; u++ {
			c := cur[(u-first)*UnitSize : (u-first+1)*UnitSize]
			un := m.units[u]
			if un == nil {
				m.units[u] = m.newUnit(c, m.gen)
				continue
			}
			for sp := range m.syncs {
				if g, ok := sp.covers[u]; ok && g == un.gen {
					if _, done := sp.saved[u]; !done {
						sp.saved[u] = append([]byte(nil), c...)
					}
				}
			}
		}
	}
	m.gen++
	for u := first; u <= last; u++ {
		m.units[u].gen = m.gen
	}
	return m.back.WriteAt(b, off)
}

// coveredUnsaved reports whether an in-flight sync covers the version gen
// of unit u without having saved its contents.
func (m *Medium) coveredUnsaved(u int64, gen uint64) bool {
	for sp := range m.syncs {
		if g, ok := sp.covers[u]; ok && g == gen {
			if _, done := sp.saved[u]; !done {
				return true
			}
		}
	}
	return false
}

// readFull reads len(b) bytes at off; bytes past the end of the backing
// read as zeros (a unit that straddles the end of the image).
func readFull(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if errors.Is(err, io.EOF) {
		clear(b[n:])
		return nil
	}
	return err
}

// BeginSync starts a sync: every write completed so far is covered.
func (m *Medium) BeginSync() *SyncPoint {
	m.lock()
	defer m.mu.Unlock()
	sp := &SyncPoint{covers: make(map[int64]uint64, len(m.units)), saved: map[int64][]byte{}}
	for u, un := range m.units {
		sp.covers[u] = un.gen
	}
	m.syncs[sp] = struct{}{}
	return sp
}

// EndSync ends a sync. If durable (it completed, before the supply died)
// every version it covers is on the medium; otherwise it changed nothing.
func (m *Medium) EndSync(sp *SyncPoint, durable bool) {
	m.lock()
	defer m.mu.Unlock()
	delete(m.syncs, sp)
	if !durable {
		return
	}
	for u, g := range sp.covers {
		un := m.units[u]
		switch {
		case un == nil || g <= un.durGen:
			// Already durable in this or a newer version.
		case un.gen == g:
			delete(m.units, u)
			m.recycle(un)
		default:
			// Rewritten while the sync ran: the covered version is
			// durable, the newer one is not.
			if un.owned && len(m.free) < maxFreeUnits {
				m.free = append(m.free, &unit{pre: un.pre})
			}
			un.pre, un.durGen, un.owned = sp.saved[u], g, false
		}
	}
}

// Volatile is the number of units not yet durable.
func (m *Medium) Volatile() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.units)
}

// Fate is what a cut does to one volatile unit.
type Fate int

// The fates of a volatile unit.
const (
	Kept    Fate = iota // the newest contents reached the medium
	Dropped             // the medium still holds the pre-image
	Torn                // some sectors new, the others old
)

func (f Fate) String() string {
	switch f {
	case Kept:
		return "kept"
	case Dropped:
		return "dropped"
	case Torn:
		return "torn"
	}
	return fmt.Sprintf("fate(%d)", int(f))
}

// Chooser picks the fate of each volatile unit at a cut (it may also use
// rng to tear a unit).
type Chooser interface {
	Fate(unit int64) Fate
	// Tear picks, for a torn unit, which of its sectors are new: bit i set
	// means sector i holds the newest contents. Never all or none.
	Tear(unit int64) uint8
}

// RandomFates is the crash model of SQLite's test6.c, per unit: kept,
// dropped or torn with equal odds, and a torn unit's sectors new or old at
// random.
type RandomFates struct{ Rand *rand.Rand }

// Fate implements Chooser.
func (r RandomFates) Fate(int64) Fate { return Fate(r.Rand.IntN(3)) }

// Tear implements Chooser.
func (r RandomFates) Tear(int64) uint8 {
	const all = 1<<(UnitSize/sectorSize) - 1
	return uint8(1 + r.Rand.IntN(all-1))
}

// AllFates gives every volatile unit the same fate (a torn unit has its
// first half new).
type AllFates Fate

// Fate implements Chooser.
func (a AllFates) Fate(int64) Fate { return Fate(a) }

// Tear implements Chooser.
func (a AllFates) Tear(int64) uint8 { return 0x0f }

// CutState is what a cut leaves: the units whose medium contents differ
// from the newest contents, and counts.
type CutState struct {
	// Writes holds, per unit index, the UnitSize bytes the medium holds
	// where that differs from the newest contents.
	Writes              map[int64][]byte
	Kept, Dropped, Torn int
	// Reordered: a unit survived whole although a unit written before it
	// was lost or torn; a disk that kept write order would never do that.
	Reordered bool
}

func (c CutState) String() string {
	return fmt.Sprintf("volatile=%d kept=%d dropped=%d torn=%d reordered=%v",
		c.Kept+c.Dropped+c.Torn, c.Kept, c.Dropped, c.Torn, c.Reordered)
}

// Cut decides what the medium holds if the power fails now, without
// changing the Medium (a simulation may try several fates of one state).
// The state shares the Medium's pre-images: use it before the Medium
// writes or syncs again.
func (m *Medium) Cut(ch Chooser) (CutState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cs := CutState{Writes: map[int64][]byte{}}
	idx := make([]int64, 0, len(m.units))
	for u := range m.units {
		idx = append(idx, u)
	}
	// In unit order, so a seeded chooser gives the same state every run.
	sort.Slice(idx, func(i, j int) bool { return idx[i] < idx[j] })
	var newestKept, oldestLost uint64
	for _, u := range idx {
		un := m.units[u]
		switch ch.Fate(u) {
		case Kept:
			cs.Kept++
			newestKept = max(newestKept, un.gen)
			continue
		case Dropped:
			cs.Dropped++
			cs.Writes[u] = un.pre
		case Torn:
			cs.Torn++
			cur := make([]byte, UnitSize)
			if err := readFull(m.back, cur, u*UnitSize); err != nil {
				return cs, err
			}
			mask := ch.Tear(u)
			for s := 0; s < UnitSize/sectorSize; s++ {
				if mask&(1<<s) == 0 {
					copy(cur[s*sectorSize:(s+1)*sectorSize], un.pre[s*sectorSize:])
				}
			}
			cs.Writes[u] = cur
		}
		if oldestLost == 0 || un.gen < oldestLost {
			oldestLost = un.gen
		}
	}
	cs.Reordered = oldestLost != 0 && newestKept > oldestLost
	return cs, nil
}

// Apply writes a cut's outcome into the backing, after which the Medium
// holds no volatile unit: it is what the machine reads after it restarts.
func (m *Medium) Apply(cs CutState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	idx := make([]int64, 0, len(cs.Writes))
	for u := range cs.Writes {
		idx = append(idx, u)
	}
	sort.Slice(idx, func(i, j int) bool { return idx[i] < idx[j] })
	for _, u := range idx {
		if _, err := m.back.WriteAt(cs.Writes[u], u*UnitSize); err != nil {
			return err
		}
	}
	clear(m.units)
	return nil
}

// MemImage is a sparse in-memory Backing of a fixed size; unwritten bytes
// read as zeros.
type MemImage struct {
	size  int64
	units map[int64][]byte
}

// NewMemImage returns a zeroed image of size bytes.
func NewMemImage(size int64) *MemImage { return &MemImage{size: size, units: map[int64][]byte{}} }

// Size is the image's size in bytes.
func (im *MemImage) Size() int64 { return im.size }

// Clone is an independent copy.
func (im *MemImage) Clone() *MemImage {
	c := &MemImage{size: im.size, units: make(map[int64][]byte, len(im.units))}
	for u, b := range im.units {
		c.units[u] = append([]byte(nil), b...)
	}
	return c
}

// ReadAt implements io.ReaderAt.
func (im *MemImage) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 || off >= im.size {
		return 0, io.EOF
	}
	n := len(b)
	if rest := im.size - off; int64(n) > rest {
		n = int(rest)
	}
	for done := 0; done < n; {
		u, in := (off+int64(done))/UnitSize, int((off+int64(done))%UnitSize)
		k := min(n-done, UnitSize-in)
		if src := im.units[u]; src != nil {
			copy(b[done:done+k], src[in:])
		} else {
			clear(b[done : done+k])
		}
		done += k
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt implements io.WriterAt; writes past the end are refused.
func (im *MemImage) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(b)) > im.size {
		return 0, fmt.Errorf("power: write of %d bytes at %d past the end of a %d-byte image", len(b), off, im.size)
	}
	for done := 0; done < len(b); {
		u, in := (off+int64(done))/UnitSize, int((off+int64(done))%UnitSize)
		k := min(len(b)-done, UnitSize-in)
		dst := im.units[u]
		if dst == nil {
			dst = make([]byte, UnitSize)
			im.units[u] = dst
		}
		copy(dst[in:], b[done:done+k])
		done += k
	}
	return len(b), nil
}
