package transport

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Region is the shared-memory image of one vblk device. Both processes map
// the same file; all cross-process synchronisation goes through atomic
// operations on 32-bit words of it and through futexes on those words
// (shared, not FUTEX_PRIVATE, so a wake in one process reaches a waiter in
// the other).
type Region struct {
	mem    []byte
	file   *os.File
	driver bool // the backend page is mapped read-only
	// live guards mem against Close for WaitPowerCut, which runs on a
	// thread of its own for as long as the backend does.
	live   sync.RWMutex
	closed bool

	// Spin is how long a waiter polls a word before it sleeps in
	// FUTEX_WAIT. Measured on the 2-core development machine (see the commit
	// that introduced this file): a futex wake-up across processes costs
	// ~10-20 µs, so a short spin catches most completions of small requests
	// without the sleep; past the spin the CPU goes back to the other side.
	Spin time.Duration

	// dedicated: the backend's doorbell loop runs on an OS thread of its
	// own that WaitDoorbell may move between cpus (see DedicateThread).
	dedicated, restricted bool
	cpus                  unix.CPUSet
	// wokeDriver: the last Complete had to wake a sleeping driver thread
	// (backend side only).
	wokeDriver bool
}

// DefaultSpin is the spin budget before sleeping in FUTEX_WAIT.
const DefaultSpin = 20 * time.Microsecond

// Create makes (or replaces) the shared file at path, maps it and resets the
// register file. The backend calls it; drivers call OpenDriver. The backend
// holds an exclusive flock on the file while the region is open, so a
// second backend on the same path fails instead of taking the region over.
func Create(path string) (*Region, error) {
	if old, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
		err := unix.Flock(int(old.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		old.Close() // drops the lock if this call got it
		if err != nil {
			return nil, fmt.Errorf("vblk region %s is in use by another backend", path)
		}
	}
	// A fresh inode: drivers still mapping an older region keep theirs and
	// can never mistake it for this device.
	_ = os.Remove(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("vblk region %s is being created by another backend", path)
		}
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("vblk region %s is in use by another backend", path)
	}
	if err := f.Truncate(RegionSize); err != nil {
		f.Close()
		return nil, err
	}
	r, err := mapFile(f)
	if err != nil {
		return nil, err
	}
	atomic.StoreUint32(r.word(bckLayout), layoutVersion)
	return r, nil
}

// Open maps an existing region created by a backend with every page
// writable: for a harness that drives the power-fail line. A driver uses
// OpenDriver.
func Open(path string) (*Region, error) { return open(path, false) }

// OpenDriver maps an existing region for a driver: the backend page
// (online, layout, the power-fail line) is read-only in this process, so a
// stray or hostile store there faults instead of faking a power cut.
func OpenDriver(path string) (*Region, error) { return open(path, true) }

func open(path string, driver bool) (*Region, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.Size() != RegionSize {
		f.Close()
		return nil, fmt.Errorf("vblk region %s: size %d, want %d", path, st.Size(), RegionSize)
	}
	r, err := mapFile(f)
	if err != nil {
		return nil, err
	}
	if atomic.LoadUint32(r.word(bckLayout)) != layoutVersion {
		r.Close()
		return nil, fmt.Errorf("vblk region %s: not formatted by a backend", path)
	}
	if driver {
		if err := unix.Mprotect(r.mem[backPage:RegionSize], unix.PROT_READ); err != nil {
			r.Close()
			return nil, fmt.Errorf("vblk region %s: making the backend page read-only: %w", path, err)
		}
		r.driver = true
	}
	return r, nil
}

// NewAnonymous returns a region in shared anonymous memory, for a driver and
// a backend in the same process (unit tests).
func NewAnonymous() (*Region, error) {
	mem, err := unix.Mmap(-1, 0, RegionSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANON)
	if err != nil {
		return nil, err
	}
	r := &Region{mem: mem, Spin: DefaultSpin}
	atomic.StoreUint32(r.word(bckLayout), layoutVersion)
	return r, nil
}

func mapFile(f *os.File) (*Region, error) {
	mem, err := unix.Mmap(int(f.Fd()), 0, RegionSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Region{mem: mem, file: f, Spin: DefaultSpin}, nil
}

// Close unmaps the region. A WaitPowerCut in progress stops touching it
// first (and never returns).
func (r *Region) Close() error {
	r.live.Lock()
	r.closed = true
	r.live.Unlock()
	futexWake(r.word(bckPowerFlag))
	err := unix.Munmap(r.mem)
	if r.file != nil {
		if cerr := r.file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func (r *Region) word(off uint32) *uint32 {
	return (*uint32)(unsafe.Pointer(&r.mem[off]))
}

// ---- driver side: what the bus calls -------------------------------------

// ReadReg is a 32-bit load from the register page. Offsets outside the
// register file read as zero, write-only CMD reads as zero.
func (r *Region) ReadReg(off uint32) uint32 {
	switch off {
	case RegStatus:
		v := atomic.LoadUint32(r.word(ctlState))
		if v&StatusBusy == 0 {
			// The driver is running and has seen the completion: the
			// backend's spin for the next doorbell is worth its CPU
			// (see WaitDoorbell).
			if saw := r.word(ctlDrvSaw); atomic.LoadUint32(saw) == 0 {
				atomic.StoreUint32(saw, 1)
			}
		}
		return v & statusMask
	case RegErrCode:
		return atomic.LoadUint32(r.word(ctlState)) >> errCodeShift
	case RegCmd:
		return 0
	case RegMagic, RegCapLo, RegCapHi, RegMaxSec, RegCtrl, RegLBALo, RegLBAHi, RegCount:
		return atomic.LoadUint32(r.word(off))
	}
	return 0
}

// WriteReg is a 32-bit store to the register page. Writes to read-only
// registers and to unmapped offsets are ignored, as on real hardware. A write
// to CMD is the trap: it runs the doorbell logic of the device model.
func (r *Region) WriteReg(off uint32, v uint32) {
	switch off {
	case RegCtrl:
		atomic.StoreUint32(r.word(off), v&CtrlEnable)
		r.updateReady()
	case RegLBALo, RegLBAHi, RegCount:
		atomic.StoreUint32(r.word(off), v)
	case RegCmd:
		r.doorbell(v)
	}
}

// doorbell is the device side of a write to CMD, executed at the instant of
// the write. If no request is in flight it starts one (BUSY=1, ERR cleared,
// request latched, backend woken). A doorbell while BUSY is a driver bug;
// it never executes anything and never makes a status lie about what was
// done:
//   - before the backend has claimed the request, it cancels it: the
//     backend's Claim fails and the request completes with ERR/BUSY,
//     having done nothing;
//   - once the backend is executing the request, the doorbell is ignored
//     (and counted), and the request completes with its own outcome.
//
// The latched copy means the backend never sees LBA/COUNT changing under it.
//
// The trap runs in the driver's process, in two steps: post makes the
// request exist (latch and BUSY, one compare-and-swap), announce bumps the
// doorbell counter and wakes the backend. A driver process killed between
// the two leaves a request in flight that no counter announces; the
// backend finds it all the same (see WaitDoorbell), as a device would,
// whose doorbell write is one bus cycle.
func (r *Region) doorbell(cmd uint32) {
	if r.post(cmd) {
		r.announce()
	}
}

// post latches the request and sets BUSY, or handles a doorbell while busy
// as doorbell describes; it reports whether it started a request.
func (r *Region) post(cmd uint32) bool {
	st := r.word(ctlState)
	for {
		old := atomic.LoadUint32(st)
		if old&StatusBusy != 0 {
			if old&stateRunning != 0 {
				atomic.AddUint32(r.word(ctlDropped), 1)
				return false
			}
			nv := old&^(0xff<<errCodeShift) | StatusErr | uint32(ErrBusy)<<errCodeShift
			if atomic.CompareAndSwapUint32(st, old, nv) {
				return false
			}
			continue
		}
		atomic.StoreUint32(r.word(ctlDrvSaw), 0)
		atomic.StoreUint32(r.word(ctlLatchCmd), cmd)
		atomic.StoreUint32(r.word(ctlLatchCtrl), atomic.LoadUint32(r.word(RegCtrl)))
		atomic.StoreUint32(r.word(ctlLatchLBALo), atomic.LoadUint32(r.word(RegLBALo)))
		atomic.StoreUint32(r.word(ctlLatchLBAHi), atomic.LoadUint32(r.word(RegLBAHi)))
		atomic.StoreUint32(r.word(ctlLatchCount), atomic.LoadUint32(r.word(RegCount)))
		// A new request lowers the line, before it is posted: the
		// backend may complete it, raising the line, before announce.
		atomic.StoreUint32(r.word(ctlIRQ), 0)
		nv := (old | StatusBusy) &^ (StatusErr | stateRunning | 0xff<<errCodeShift)
		if atomic.CompareAndSwapUint32(st, old, nv) {
			return true
		}
	}
}

// announce tells the backend that a request was posted.
func (r *Region) announce() {
	atomic.AddUint32(r.word(ctlDoorbell), 1)
	if atomic.LoadUint32(r.word(bckBackWait)) != 0 {
		atomic.AddUint32(r.word(ctlBackWakes), 1)
		futexWake(r.word(ctlDoorbell))
	}
}

// Wakeups counts how often each side of the region slept in FUTEX_WAIT
// and how often the other side had to wake it: a round trip that neither
// side's spin covered costs a wake-up on the critical path (tens of
// microseconds on a loaded virtual machine). For benchmarks and logs; the
// driver can write the counters it keeps itself.
type Wakeups struct {
	Doorbells    uint32 // doorbells accepted
	BackSleeps   uint32 // the backend went to sleep waiting for a doorbell
	BackWakes    uint32 // a doorbell had to wake the backend
	DriverSleeps uint32 // a driver thread went to sleep waiting for a completion
	DriverWakes  uint32 // a completion had to wake a driver thread
	BackMoves    uint32 // the backend's thread moved off the driver's CPU (DedicateThread)
}

// Wakeups returns the counters since the region was created.
func (r *Region) Wakeups() Wakeups {
	return Wakeups{
		Doorbells:    atomic.LoadUint32(r.word(ctlDoorbell)),
		BackSleeps:   atomic.LoadUint32(r.word(bckSleeps)),
		BackWakes:    atomic.LoadUint32(r.word(ctlBackWakes)),
		DriverSleeps: atomic.LoadUint32(r.word(ctlDrvSleeps)),
		DriverWakes:  atomic.LoadUint32(r.word(bckDrvWakes)),
		BackMoves:    atomic.LoadUint32(r.word(bckMoves)),
	}
}

// Sub is the counts from o to w.
func (w Wakeups) Sub(o Wakeups) Wakeups {
	return Wakeups{w.Doorbells - o.Doorbells, w.BackSleeps - o.BackSleeps, w.BackWakes - o.BackWakes,
		w.DriverSleeps - o.DriverSleeps, w.DriverWakes - o.DriverWakes, w.BackMoves - o.BackMoves}
}

func (w Wakeups) String() string {
	per := func(n uint32) float64 { return float64(n) / float64(max(w.Doorbells, 1)) }
	return fmt.Sprintf("per request: backend slept %.2f, woken %.2f, moved off the driver's CPU %.2f; driver slept %.2f, woken %.2f (%d requests)",
		per(w.BackSleeps), per(w.BackWakes), per(w.BackMoves), per(w.DriverSleeps), per(w.DriverWakes), w.Doorbells)
}

// DroppedDoorbells counts doorbells ignored because a request was executing.
func (r *Region) DroppedDoorbells() uint32 { return atomic.LoadUint32(r.word(ctlDropped)) }

// Window is the DATA window (driver and backend both use it).
func (r *Region) Window() []byte { return r.mem[DataWindow : DataWindow+DataSize] }

// MMIO is the driver-visible address space: register page and DATA window.
func (r *Region) MMIO() []byte { return r.mem[:MMIOSize] }

// IRQRaised reports whether the interrupt line is high.
func (r *Region) IRQRaised() bool { return atomic.LoadUint32(r.word(ctlIRQ)) != 0 }

// SleepIRQ sleeps until the interrupt line is raised or d passes, without
// spinning. It returns at once when the line is already high.
func (r *Region) SleepIRQ(d time.Duration) {
	w := r.word(ctlDrvWait)
	atomic.AddUint32(w, 1)
	atomic.AddUint32(r.word(ctlDrvSleeps), 1)
	futexWait(r.word(ctlIRQ), 0, d)
	atomic.AddUint32(w, ^uint32(0))
}

// WaitIRQ spins for r.Spin, then sleeps, until the interrupt line is high.
func (r *Region) WaitIRQ(ctx context.Context) error {
	if spinUntil(r.Spin, r.IRQRaised) {
		return nil
	}
	for !r.IRQRaised() {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.SleepIRQ(5 * time.Millisecond)
	}
	return nil
}

// ---- backend side ---------------------------------------------------------

// Request is one command latched at the doorbell.
type Request struct {
	Cmd     uint32
	Enabled bool // CTRL.ENABLE when the doorbell rang
	LBA     uint64
	Count   uint32
}

// SetIdentity fills the read-only identification registers.
func (r *Region) SetIdentity(capacity uint64) {
	atomic.StoreUint32(r.word(RegMagic), Magic)
	atomic.StoreUint32(r.word(RegCapLo), uint32(capacity))
	atomic.StoreUint32(r.word(RegCapHi), uint32(capacity>>32))
	atomic.StoreUint32(r.word(RegMaxSec), MaxSectors)
}

// SetOnline tells the driver whether the device is powered with its image
// open (STATUS.READY follows it together with CTRL.ENABLE).
func (r *Region) SetOnline(on bool) {
	var v uint32
	if on {
		v = 1
	}
	atomic.StoreUint32(r.word(bckOnline), v)
	r.updateReady()
}

// updateReady recomputes STATUS.READY from CTRL.ENABLE and the backend's
// online word. Both sides call it after storing their input, so whichever
// runs last sees both inputs.
func (r *Region) updateReady() {
	st := r.word(ctlState)
	for {
		old := atomic.LoadUint32(st)
		nv := old &^ StatusReady
		if atomic.LoadUint32(r.word(RegCtrl))&CtrlEnable != 0 && atomic.LoadUint32(r.word(bckOnline)) != 0 {
			nv |= StatusReady
		}
		if nv == old || atomic.CompareAndSwapUint32(st, old, nv) {
			return
		}
	}
}

// Doorbells returns the doorbell counter; pass it to WaitDoorbell.
func (r *Region) Doorbells() uint32 { return atomic.LoadUint32(r.word(ctlDoorbell)) }

// ErrStopped is returned by WaitDoorbell when stop reported true.
var ErrStopped = errors.New("vblk transport: stopped")

// driverSeen is how long the backend's spin waits, after a completion, to
// see the driver read it (ctlDrvSaw) before it gives up and sleeps. A
// driver polling STATUS on another CPU reads it within a microsecond.
const driverSeen = 5 * time.Microsecond

// WaitDoorbell waits until the doorbell counter differs from last, spinning
// for r.Spin and then sleeping in FUTEX_WAIT, or until a request is posted
// that no counter announced (its driver died in the doorbell: see
// doorbell); such a request is found when the sleep would begin and at
// every wake-up, within idleCheck. stop is checked before every sleep,
// after every WakeBackend and at least every idleCheck. It returns the
// counter value.
//
// The spin goes on past driverSeen only if the driver has read the last
// completion by then. If it has not, it is not running, most likely
// because this thread (real-time, woken onto the CPU the driver was
// using) took its CPU: spinning on would keep the driver from issuing the
// very doorbell it waits for. On the loaded 2-CPU machine that cost an
// 8 KiB write's round trip the whole 20 µs spin, often. A dedicated
// thread (DedicateThread) then moves off that CPU and spins there; any
// other sleeps at once, and so does one whose completion had to wake the
// driver from its futex (that driver is slow because it is waking up:
// under sync, after every fdatasync).
func (r *Region) WaitDoorbell(last uint32, stop func() bool) (uint32, error) {
	db := r.word(ctlDoorbell)
	changed := func() bool { return atomic.LoadUint32(db) != last }
	saw := r.word(ctlDrvSaw)
	seen := func() bool { return atomic.LoadUint32(saw) != 0 || changed() }
	first := min(r.Spin, driverSeen)
	if spinUntil(first, seen) {
		if changed() || spinUntil(r.Spin-first, changed) {
			return atomic.LoadUint32(db), nil
		}
	} else if !r.wokeDriver && r.leaveCPU() && spinUntil(r.Spin, changed) {
		return atomic.LoadUint32(db), nil
	}
	r.unrestrict()
	bw := r.word(bckBackWait)
	for !changed() && !r.unclaimed() {
		if stop() {
			return last, ErrStopped
		}
		atomic.StoreUint32(bw, 1)
		atomic.AddUint32(r.word(bckSleeps), 1)
		futexWait(db, last, idleCheck)
		atomic.StoreUint32(bw, 0)
	}
	return atomic.LoadUint32(db), nil
}

// idleCheck bounds how long WaitDoorbell sleeps without looking at its stop
// function or for a request no doorbell announced. Whoever makes stop true
// calls WakeBackend, so for stop this only covers a wake that lands between
// the check and the sleep; an unannounced request (a driver killed in the
// doorbell) waits this long for its backend. It used to be 2 ms: an
// idle backend's real-time thread then woke 500 times a second, each time
// on whichever CPU it last ran on, preempting what ran there (in a bench,
// the other configurations' drivers).
const idleCheck = 20 * time.Millisecond

// WakeBackend wakes a WaitDoorbell asleep in FUTEX_WAIT, so that it checks
// its stop function now.
func (r *Region) WakeBackend() { futexWake(r.word(ctlDoorbell)) }

// DedicateThread tells WaitDoorbell that the calling goroutine is locked
// to its OS thread (runtime.LockOSThread) and does nothing but serve this
// region, so it may restrict that thread's cpus. Call it on that thread.
//
// Why: a real-time thread woken from a futex goes back to the CPU it last
// ran on when every CPU runs ordinary threads, as on a loaded machine, so
// once the doorbell thread has run on the driver's CPU it keeps waking
// there, preempting the driver it serves: each round trip then costs a
// futex wake-up and two context switches on one CPU while the other runs
// something else. In the first bench runs with the move (load average
// 11-15) unsafe's p50 went from 16-17 µs to 6.5-7.5 µs, and the doorbells
// that had to wake the backend from 0.5-0.7 to 0.06-0.15 per request.
func (r *Region) DedicateThread() {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err == nil && set.Count() > 1 {
		r.cpus, r.dedicated = set, true
	}
}

// leaveCPU moves a dedicated thread to the cpus it may use other than the
// one it runs on (the driver's, as WaitDoorbell found) and reports whether
// it did. On two cpus that pins it to the other one until it sleeps.
func (r *Region) leaveCPU() bool {
	if !r.dedicated {
		return false
	}
	set := r.cpus
	set.Clear(int(getcpu()))
	if set.Count() == 0 || unix.SchedSetaffinity(0, &set) != nil {
		return false
	}
	r.restricted = true
	atomic.AddUint32(r.word(bckMoves), 1)
	return true
}

// unrestrict gives a thread that leaveCPU moved all its cpus back before
// it sleeps. It stays where it is (the CPU it last ran on is where a
// real-time wake-up puts it again), but the scheduler may wake it
// elsewhere when that CPU is taken by a real-time thread of the same or
// higher priority, such as another device's doorbell thread, which a
// thread pinned there would have to wait out.
func (r *Region) unrestrict() {
	if r.restricted && unix.SchedSetaffinity(0, &r.cpus) == nil {
		r.restricted = false
	}
}

// getcpu is the CPU the calling thread runs on.
func getcpu() uint32 {
	var cpu uint32
	_, _, _ = unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0)
	return cpu
}

// Latched returns the request latched by the last accepted doorbell.
func (r *Region) Latched() Request {
	return Request{
		Cmd:     atomic.LoadUint32(r.word(ctlLatchCmd)),
		Enabled: atomic.LoadUint32(r.word(ctlLatchCtrl))&CtrlEnable != 0,
		LBA:     uint64(atomic.LoadUint32(r.word(ctlLatchLBALo))) | uint64(atomic.LoadUint32(r.word(ctlLatchLBAHi)))<<32,
		Count:   atomic.LoadUint32(r.word(ctlLatchCount)),
	}
}

// Claim starts executing the request latched by the last doorbell. It
// reports false if there is none in flight (a doorbell counter moved by
// something other than a doorbell: nothing to replay) or a second doorbell
// cancelled it; the caller then completes it with ErrBusy, or not at all,
// without executing it. After a successful Claim a doorbell can no longer
// change or cancel the request.
func (r *Region) Claim() (Request, bool) {
	st := r.word(ctlState)
	for {
		old := atomic.LoadUint32(st)
		if old&StatusBusy == 0 || old&(StatusErr|stateRunning) != 0 {
			return Request{}, false
		}
		// Read the latch before the claim: once BUSY is set the driver's
		// doorbell logic never writes it again.
		req := r.Latched()
		if atomic.CompareAndSwapUint32(st, old, old|stateRunning) {
			return req, true
		}
	}
}

// unclaimed reports whether a request is posted and not yet claimed.
func (r *Region) unclaimed() bool {
	return atomic.LoadUint32(r.word(ctlState))&(StatusBusy|stateRunning) == StatusBusy
}

// InFlight reports whether a request is waiting for its completion
// (BUSY), claimed or not.
func (r *Region) InFlight() bool { return atomic.LoadUint32(r.word(ctlState))&StatusBusy != 0 }

// Complete ends the in-flight request with code (ErrNone for success):
// BUSY 1→0 and, on failure, ERR with ERRCODE in the same atomic step, then
// the interrupt line goes up. A request cancelled by a second doorbell
// before its Claim keeps the ERR/BUSY that doorbell recorded.
func (r *Region) Complete(code ErrCode) {
	st := r.word(ctlState)
	for {
		old := atomic.LoadUint32(st)
		var nv uint32
		switch {
		case old&StatusErr != 0: // cancelled by doorbell()
			nv = old &^ (StatusBusy | stateRunning)
		case code != ErrNone:
			nv = old&^(StatusBusy|stateRunning|0xff<<errCodeShift) | StatusErr | uint32(code)<<errCodeShift
		default:
			nv = old &^ (StatusBusy | stateRunning)
		}
		if atomic.CompareAndSwapUint32(st, old, nv) {
			break
		}
	}
	atomic.StoreUint32(r.word(ctlIRQ), 1)
	r.wokeDriver = atomic.LoadUint32(r.word(ctlDrvWait)) != 0
	if r.wokeDriver {
		atomic.AddUint32(r.word(bckDrvWakes), 1)
		futexWake(r.word(ctlIRQ))
	}
}

// Serve executes one doorbell: claim the request and complete it with what
// handle did, or, if a second doorbell cancelled it, complete it with
// ErrBusy without executing it. A doorbell counter that moved with no
// request in flight executes nothing, and it does not touch a request the
// driver posts meanwhile: such a counter is the announce of a request
// WaitDoorbell found and Serve executed before it was announced.
func (r *Region) Serve(handle func(Request, []byte) ErrCode) {
	req, ok := r.Claim()
	if !ok {
		if testHookUnclaimed != nil {
			testHookUnclaimed()
		}
		// Only a cancelled request: BUSY and ERR stay until Complete,
		// so this cannot be a request posted since Claim looked.
		if r.cancelled() {
			r.Complete(ErrBusy)
		}
		return
	}
	r.Complete(handle(req, r.Window()))
}

// testHookUnclaimed, when set, runs in Serve after a Claim that found
// nothing to execute.
var testHookUnclaimed func()

// cancelled reports whether the request in flight was cancelled by a
// second doorbell before it was claimed.
func (r *Region) cancelled() bool {
	return atomic.LoadUint32(r.word(ctlState))&(StatusBusy|StatusErr|stateRunning) == StatusBusy|StatusErr
}

// ---- waiting primitives ---------------------------------------------------

// spinUntil polls cond for up to d. time.Now is read only every 64 polls:
// it costs more than the atomic load being polled.
func spinUntil(d time.Duration, cond func() bool) bool {
	if d <= 0 {
		return cond()
	}
	deadline := time.Now().Add(d)
	for i := 0; ; i++ {
		if cond() {
			return true
		}
		if i&63 == 63 && time.Now().After(deadline) {
			return cond()
		}
	}
}

const (
	futexWaitOp = 0 // FUTEX_WAIT, shared (no FUTEX_PRIVATE_FLAG): works across processes
	futexWakeOp = 1 // FUTEX_WAKE
)

// futexWait sleeps while *addr == val, at most d.
func futexWait(addr *uint32, val uint32, d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	_, _, _ = unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitOp, uintptr(val), uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// futexWake wakes every waiter on addr.
func futexWake(addr *uint32) {
	_, _, _ = unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakeOp, uintptr(1<<30), 0, 0, 0)
}

// ---- the power-fail line ----------------------------------------------------

// PowerCut signals a power cut at t0 to the backend, like the power-good
// line of a supply dropping: the backend's detector thread sleeps on this
// word and wakes at once (it runs at real-time priority). A harness calls
// it from its own mapping of the region (Open) right after killing the
// database process; "vblk serve" calls it on SIGUSR1. A driver's mapping
// (OpenDriver) cannot: the line is on the read-only backend page.
func (r *Region) PowerCut(t0 time.Time) {
	if r.driver {
		panic("vblk transport: PowerCut through a driver's mapping of the region")
	}
	atomic.StoreInt64((*int64)(unsafe.Pointer(&r.mem[bckPowerCut])), t0.UnixNano())
	atomic.StoreInt64((*int64)(unsafe.Pointer(&r.mem[bckPowerRise])), time.Now().UnixNano())
	atomic.StoreUint32(r.word(bckPowerFlag), 1)
	futexWake(r.word(bckPowerFlag))
}

// PowerRaised is when PowerCut raised the line (zero before it): the time
// from the cut to this instant is the harness's, not the backend's.
func (r *Region) PowerRaised() time.Time {
	r.live.RLock()
	defer r.live.RUnlock()
	if r.closed {
		return time.Time{}
	}
	ns := atomic.LoadInt64((*int64)(unsafe.Pointer(&r.mem[bckPowerRise])))
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// WaitPowerCut blocks until PowerCut and returns its instant. If the
// region is closed first it never returns: there is no cut to report, and
// the memory it watched is gone.
func (r *Region) WaitPowerCut() time.Time {
	flag := r.word(bckPowerFlag)
	for {
		r.live.RLock()
		if r.closed {
			r.live.RUnlock()
			select {}
		}
		if atomic.LoadUint32(flag) != 0 {
			t := time.Unix(0, atomic.LoadInt64((*int64)(unsafe.Pointer(&r.mem[bckPowerCut]))))
			r.live.RUnlock()
			return t
		}
		r.live.RUnlock()
		// On memory unmapped meanwhile the futex call fails (EFAULT)
		// or sleeps on whatever is mapped there now; it touches
		// nothing, and the check above ends the loop.
		futexWait(flag, 0, time.Second)
	}
}
