package power

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrPowerLost is returned by every write and sync after the deadline, and
// by a sync that completed after it (which made nothing durable).
var ErrPowerLost = errors.New("power: backing store is unpowered")

// File is the image behind a Power, modelled as a disk with a volatile
// write cache (see Medium). Reads always work (the image is read back
// after the machine restarts). Writes are issued in chunks of at most
// ChunkSize and each chunk checks the clock first, so a long write stops at
// the deadline like a disk losing power mid-transfer. A sync makes durable
// the writes completed before it began, and only if it completes before
// the deadline. When the power has been cut, Close (or Power.Settle)
// decides with the Power's Chooser what the medium holds of every other
// write and leaves exactly that in the image file.
type File struct {
	f   *os.File
	p   *Power
	m   *Medium
	lat time.Duration // modelled disk latency added to each sync

	mu        sync.Mutex
	lastStart time.Time // start of the latest write chunk that was issued
	refused   int64
	lateSyncs int64 // syncs that completed after the deadline
	settled   bool
	report    CutReport
}

// ChunkSize is the largest single pwrite the File issues.
const ChunkSize = 64 << 10

// OpenFile opens the image at path for the backend.
func OpenFile(path string, p *Power) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	file := &File{f: f, p: p, m: NewMedium(f), lat: p.DiskLatency}
	file.m.Spin = p.onNoticeThread
	p.addFile(file)
	return file, nil
}

// ReadAt reads the newest contents of the image.
func (f *File) ReadAt(b []byte, off int64) (int, error) { return f.m.ReadAt(b, off) }

// WriteAt writes to the image's volatile cache unless the supply is dead.
func (f *File) WriteAt(b []byte, off int64) (int, error) {
	done := 0
	for done < len(b) {
		n := min(len(b)-done, ChunkSize)
		now := time.Now()
		f.lock()
		if f.settled || f.p.Dead(now) {
			f.refused++
			f.mu.Unlock()
			return done, ErrPowerLost
		}
		if now.After(f.lastStart) {
			f.lastStart = now
		}
		f.mu.Unlock()
		w, err := f.m.WriteAt(b[done:done+n], off+int64(done))
		f.p.noteCall(now, time.Now(), f.p.expectedWrite(n), false)
		done += w
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// Sync is fdatasync plus the modelled disk latency. It is refused once the
// supply is dead, and makes nothing durable if it completes after the
// deadline.
func (f *File) Sync() error {
	start := time.Now()
	if f.isSettled() || f.p.Dead(start) {
		return ErrPowerLost
	}
	sp := f.m.BeginSync()
	err := unix.Fdatasync(int(f.f.Fd()))
	if f.lat > 0 {
		diskWait(f.lat)
	}
	end := time.Now()
	f.p.noteCall(start, end, f.p.expectedSync(len(sp.covers)), true)
	late := f.p.Dead(end)
	f.m.EndSync(sp, err == nil && !late)
	if err != nil {
		return err
	}
	if late {
		f.lock()
		f.lateSyncs++
		f.mu.Unlock()
		return ErrPowerLost
	}
	return nil
}

func (f *File) isSettled() bool {
	f.lock()
	defer f.mu.Unlock()
	return f.settled
}

// lock takes mu. On the power-fail path's thread it spins instead of
// parking: a parked goroutine is woken through the Go scheduler, whose
// spare threads run at normal priority and, on a loaded host, wait for a
// CPU like everything else, while the hold-up runs out. The other holders
// are the write-back's real-time thread and, after the hold-up, Settle.
func (f *File) lock() {
	if f.p.onNoticeThread() {
		for !f.mu.TryLock() {
		}
		return
	}
	f.mu.Lock()
}

// Size is the image's current size in bytes.
func (f *File) Size() (int64, error) {
	st, err := f.f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Close closes the image, first settling what a cut left on it.
func (f *File) Close() error {
	_, _, err := f.Settle()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// CutReport describes what a cut left on one image.
type CutReport struct {
	CutState
	// Stall is the longest the host kept the power-fail path from making
	// progress (see Power.Stall); Budget is the flush's budget.
	Stall, Budget time.Duration
	StallAt       string // where the stall was seen (see Power.StallAt)
	LateSyncs     int64  // syncs that completed after the deadline
	Refused       int64  // writes refused at the deadline
}

// Stalled reports whether the host stalled for the whole flush budget or
// longer: no bound on dirty data could have saved that cut.
func (r CutReport) Stalled() bool { return r.Budget > 0 && r.Stall >= r.Budget }

func (r CutReport) String() string {
	at := ""
	if r.StallAt != "" {
		at = " stall-at=" + r.StallAt
	}
	return fmt.Sprintf("%v stall=%v%s budget=%v late-syncs=%d refused=%d",
		r.CutState, r.Stall.Round(time.Microsecond), at, r.Budget.Round(time.Microsecond), r.LateSyncs, r.Refused)
}

// Settle applies the cut to the image, once: every unit not made durable
// gets its fate from the Power's Chooser and the image file is left holding
// what the medium holds, fdatasynced. It reports false if the power was
// never cut (an orderly close: the image keeps its newest contents).
func (f *File) Settle() (CutReport, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.settled {
		return f.report, true, nil
	}
	if _, cut := f.p.CutAt(); !cut {
		return CutReport{}, false, nil
	}
	// A sync in flight may still complete in time: wait for it or for the
	// deadline, whichever comes first.
	for f.m.inflight() && !f.p.Dead(time.Now()) {
		f.mu.Unlock()
		time.Sleep(100 * time.Microsecond)
		f.mu.Lock()
	}
	f.settled = true
	cs, err := f.m.Cut(f.p.chooser())
	stall, at := f.p.StallAt()
	f.report = CutReport{CutState: cs, Stall: stall, StallAt: at, Budget: f.p.Budget(), LateSyncs: f.lateSyncs, Refused: f.refused}
	if err != nil {
		return f.report, true, err
	}
	if err := f.m.Apply(cs); err != nil {
		return f.report, true, err
	}
	return f.report, true, unix.Fdatasync(int(f.f.Fd()))
}

// LastWriteStart is when the latest write chunk was issued.
func (f *File) LastWriteStart() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastStart
}

// Refused counts writes refused because the supply was dead.
func (f *File) Refused() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

// inflight reports whether a sync is in progress.
func (m *Medium) inflight() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.syncs) > 0
}

// chooser is the Power's Chooser, or test6.c's random fates seeded with
// CrashSeed (or the clock).
func (p *Power) chooser() Chooser {
	if p.Fates != nil {
		return p.Fates
	}
	seed := p.CrashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return RandomFates{Rand: rand.New(rand.NewPCG(seed, 0x6d656469756d))}
}

// diskWait is the modelled disk latency: a nanosleep on the calling
// thread, which the kernel ends on time (the write-back and the flush
// run on real-time threads). time.Sleep would park the goroutine and
// leave its wake-up to the Go scheduler: on this loaded 2-vCPU machine a
// 1 ms time.Sleep on a real-time thread took up to 3.6 ms at the 99th
// percentile and 11.7 ms at worst, nanosleep at most 1.16 ms, and every
// such overshoot counted as disk time in the bound.
func diskWait(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	for unix.Nanosleep(&ts, &ts) == unix.EINTR {
	}
}
