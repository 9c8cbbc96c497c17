// Package power models the power supply under a vblk backend: the hold-up
// time a supply keeps the machine running after the mains fail, the delay
// before the failure is detected, and the disk write bandwidth available in
// between. It derives the RapiLog bound on buffered dirty data
//
//	max_dirty = bandwidth × (holdup − detect − margin − one fdatasync)
//
// injects cuts at any instant, and wraps the backing file in a model of a
// disk with a volatile write cache (Medium): every write after the deadline
// is refused, only syncs completed before it make anything durable, and at
// the cut every other write since the last sync is kept, dropped or torn,
// unit by unit. The image then holds what a real cut could leave, whatever
// the host's page cache kept.
package power

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Supply describes the power supply and the disk behind the backend.
type Supply struct {
	Holdup time.Duration // supply keeps running this long after the cut
	Detect time.Duration // the cut is noticed this long after it happens
	Margin time.Duration // safety margin kept unused
	// Bandwidth is sustained write bandwidth to the backing file, bytes/s,
	// including the fdatasync that makes it durable.
	Bandwidth float64
	// SyncLatency is the fixed cost of one fdatasync; the final one of a
	// power-fail flush must also fit in the budget.
	SyncLatency time.Duration
	// DiskLatency is added by the image wrapper to every sync (and so to
	// the write-back's, the power flush's and the measurement's): a
	// disk's cache-flush latency, which the host's fdatasync here lacks.
	// 1 ms is a consumer SSD.
	DiskLatency time.Duration
	// CrashSeed seeds the medium's choice, at a cut, of what becomes of
	// each unit written since the last sync (RandomFates); 0 seeds it
	// from the clock. Power.Fates overrides it.
	CrashSeed uint64
	// ExcludeStalls measures hold-up and detection in time the machine
	// actually ran. A shared VM's vCPU is sometimes descheduled by its host
	// for 10-25 ms; a physical machine on hold-up power is not. After a cut
	// a watcher thread (SCHED_FIFO, spinning) reads the clock continuously;
	// every gap over StallThreshold between two of its readings is a stall
	// and moves the notice and the deadline later by its length.
	//
	// Off by default: on a 2-vCPU machine the spinning watcher takes a whole
	// CPU from the flush and the notice; in a 1000-cut campaign it turned
	// 3 late flushes into 110.
	ExcludeStalls bool
}

// StallThreshold is the smallest gap in the watcher's clock readings that
// counts as a stall.
const StallThreshold = time.Millisecond

// Budget is the time available for the power-fail flush.
func (s Supply) Budget() time.Duration {
	return s.Holdup - s.Detect - s.Margin - s.SyncLatency
}

// Bound is the largest amount of dirty data, in bytes, that the flush can
// write within Budget. Zero means buffering is impossible with this supply.
func (s Supply) Bound() int64 {
	b := s.Budget()
	if b <= 0 || s.Bandwidth <= 0 {
		return 0
	}
	return int64(s.Bandwidth * b.Seconds())
}

// CheckBound returns an error naming the measurement at fault when the
// supply leaves no room to buffer anything (a bound of 0 or less).
func (s Supply) CheckBound() error {
	switch {
	case s.Bandwidth <= 0:
		return fmt.Errorf("power: measured write bandwidth is %.1f MB/s: no dirty data can be protected", s.Bandwidth/1e6)
	case s.Budget() <= 0:
		return fmt.Errorf("power: no flush budget: holdup %v − detect %v − margin %v − fdatasync %v (measured, disk latency %v included) = %v",
			s.Holdup, s.Detect, s.Margin, s.SyncLatency, s.DiskLatency, s.Budget())
	case s.Bound() <= 0:
		return fmt.Errorf("power: dirty bound is %d bytes (bandwidth %.1f MB/s × budget %v)", s.Bound(), s.Bandwidth/1e6, s.Budget())
	}
	return nil
}

func (s Supply) String() string {
	lat := ""
	if s.DiskLatency > 0 {
		lat = fmt.Sprintf(" disk-latency=%v", s.DiskLatency)
	}
	return fmt.Sprintf("holdup=%v detect=%v margin=%v bandwidth=%.1fMB/s fdatasync=%v%s budget=%v bound=%dKiB exclude-stalls=%v",
		s.Holdup, s.Detect, s.Margin, s.Bandwidth/1e6, s.SyncLatency, lat, s.Budget(), s.Bound()>>10, s.ExcludeStalls)
}

// Measure writes size bytes in 64 KiB chunks to a scratch file in dir,
// through the medium model, fdatasyncs them, and times a few small
// write+fdatasync pairs. It reports the bandwidth of the whole (including
// the sync) and the median latency of one small sync. The scratch file lives on the same file system as the
// image so the numbers are the image's.
func Measure(dir string, size int) (bandwidth float64, syncLatency time.Duration, err error) {
	return measure(dir, size, 0)
}

// measure is Measure with a modelled disk latency added to every fdatasync,
// as the image wrapper adds it.
func measure(dir string, size int, diskLatency time.Duration) (bandwidth float64, syncLatency time.Duration, err error) {
	f, err := os.CreateTemp(dir, ".vblk-bw-*")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	// Through the medium model, as the image is written: its pre-image
	// reads are part of what the bound must pay for.
	m := NewMedium(f)
	fdatasync := func() error {
		sp := m.BeginSync()
		err := unix.Fdatasync(int(f.Fd()))
		if diskLatency > 0 {
			diskWait(diskLatency)
		}
		m.EndSync(sp, err == nil)
		return err
	}
	chunk := make([]byte, 64<<10)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	// One warm-up pass allocates the blocks, so the timed pass measures
	// overwrites, which is what a write-back does to an image.
	for pass := 0; pass < 2; pass++ {
		start := time.Now()
		for off := 0; off < size; off += len(chunk) {
			if _, err := m.WriteAt(chunk, int64(off)); err != nil {
				return 0, 0, err
			}
		}
		if err := fdatasync(); err != nil {
			return 0, 0, err
		}
		bandwidth = float64(size) / time.Since(start).Seconds()
	}
	var lat []time.Duration
	for i := 0; i < 5; i++ {
		start := time.Now()
		if _, err := m.WriteAt(chunk[:4096], int64(i)*4096); err != nil {
			return 0, 0, err
		}
		if err := fdatasync(); err != nil {
			return 0, 0, err
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return bandwidth, lat[len(lat)/2], nil
}

// MeasureFor measures on the file system of path (an image file). It
// measures three times and keeps the lowest bandwidth and the highest sync
// latency: the bound must hold on a bad moment, not an average one.
func MeasureFor(path string) (float64, time.Duration, error) {
	return MeasureConservative(filepath.Dir(path), 16<<20, 3)
}

// MeasureConservative is Measure repeated n times, keeping the worst.
func MeasureConservative(dir string, size, n int) (float64, time.Duration, error) {
	return MeasureWithLatency(dir, size, n, 0)
}

// MeasureWithLatency is MeasureConservative on a disk whose every sync
// costs diskLatency more (see Supply.DiskLatency).
func MeasureWithLatency(dir string, size, n int, diskLatency time.Duration) (float64, time.Duration, error) {
	var bw float64
	var lat time.Duration
	for i := 0; i < n; i++ {
		b, l, err := measure(dir, size, diskLatency)
		if err != nil {
			return 0, 0, err
		}
		if i == 0 || b < bw {
			bw = b
		}
		lat = max(lat, l)
	}
	return bw, lat, nil
}

// Power is the supply's state: powered until Cut, then a notice after
// Detect, then dead at Holdup.
type Power struct {
	Supply
	cutAt    atomic.Int64 // UnixNano of the cut, 0 while powered
	stall    atomic.Int64 // ns of stalls seen since the cut (ExcludeStalls)
	lastObs  atomic.Int64 // UnixNano of the watcher's latest clock reading
	watching atomic.Bool
	once     sync.Once
	notice   chan struct{}
	// What the host took from the power-fail path, in ns (see StallAt):
	// how much later than due (cut + Detect + stalls) the notice was
	// handled; the notice thread's run-queue wait from the cut to the end
	// of the flush; the longest image call in the hold-up beyond its
	// expected time (and the longest sync); the sum of those excesses over
	// the calls made on the notice thread, which runs the flush.
	noticeLate atomic.Int64
	runqWait   atomic.Int64
	callStall  atomic.Int64
	syncStall  atomic.Int64
	pathStall  atomic.Int64
	noticeTid  atomic.Int64
	// When the armed detector came back from its wait, and how long of
	// its wait (from arming) it spent runnable but not running.
	wokeAt   atomic.Int64
	wakeRunq atomic.Int64
	filesMu  sync.Mutex
	files    []*File
	// Fates decides, at a cut, what happens to each unit written since
	// the last sync (see Medium.Cut). Nil: RandomFates seeded with
	// CrashSeed.
	Fates Chooser
	// OnNotice, if set before the cut, runs at the notice on the thread
	// that detected it (SCHED_FIFO), before Notice is closed: the
	// power-fail path then never waits for the Go scheduler to wake a
	// goroutine of normal priority.
	OnNotice func()
}

// New returns a powered supply.
func New(s Supply) *Power {
	return &Power{Supply: s, notice: make(chan struct{})}
}

// Cut cuts the mains now. Only the first call counts. The notice channel
// closes Detect later; writes are refused from Holdup later on (both moved
// by stalls when ExcludeStalls is set).
func (p *Power) Cut() time.Time { return p.CutFrom(time.Now()) }

// CutFrom cuts the mains as of t0 (at most now): a harness that cut the
// database process first passes the instant it did so, so the time the
// news took to reach the backend counts against the hold-up.
func (p *Power) CutFrom(t0 time.Time) time.Time {
	if p.record(t0) {
		go func() {
			// Never unlocked: the thread ends with the goroutine
			// instead of going back to the Go scheduler at real-time
			// priority, where it would run any goroutine.
			runtime.LockOSThread()
			Realtime()
			p.detectWith(time.Unix(0, p.cutAt.Load()), schedstat{fd: -1})
		}()
	}
	return time.Unix(0, p.cutAt.Load())
}

// record stores the cut once; it reports whether this call did.
func (p *Power) record(t0 time.Time) bool {
	did := false
	p.once.Do(func() {
		did = true
		if now := time.Now(); t0.After(now) {
			t0 = now
		}
		if p.ExcludeStalls {
			p.lastObs.Store(t0.UnixNano())
			p.watching.Store(true)
			go p.watch(t0)
		}
		p.cutAt.Store(t0.UnixNano())
	})
	return did
}

// ArmWith starts the detector ahead of the cut: a goroutine locked to its
// own OS thread at real-time priority that blocks in wait (for vblk, a
// futex on the region's power-fail word) and handles the cut the moment
// wait returns its instant. Waking a blocked real-time thread is
// immediate; a signal handler or a goroutine started at the cut would wait
// for the Go scheduler and the CPU scheduler first.
func (p *Power) ArmWith(wait func() time.Time) {
	ready := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked, as in CutFrom
		Realtime()
		// Opened now, on this thread, so that reading it at the cut is
		// one raw pread: no allocation, and no system call that hands the
		// thread's P to the Go scheduler (getting it back can take a
		// time slice on a busy machine).
		sched := openSchedstat()
		defer sched.close()
		armed, _ := sched.runqueueWait()
		close(ready)
		t0 := wait()
		p.wokeAt.Store(time.Now().UnixNano())
		if woke, ok := sched.runqueueWait(); ok {
			p.wakeRunq.Store(int64(woke - armed))
		}
		if p.record(t0) {
			p.detectWith(time.Unix(0, p.cutAt.Load()), sched)
		}
	}()
	<-ready
}

// detectWith spins until the detection delay has passed, then runs
// OnNotice and closes Notice. sched, if open, measures the time this thread
// was runnable but not running from here to the end of OnNotice.
func (p *Power) detectWith(t0 time.Time, sched schedstat) {
	p.noticeTid.Store(int64(unix.Gettid()))
	before, ok := sched.runqueueWait()
	// Spin rather than sleep: a timer here fires up to a millisecond
	// late, which is the whole detection delay.
	due := t0.Add(p.Detect + p.Stalled())
	for time.Now().Before(due) {
	}
	p.noticeLate.Store(int64(time.Since(due)))
	if p.OnNotice != nil {
		p.OnNotice()
	}
	if after, ok2 := sched.runqueueWait(); ok && ok2 {
		p.runqWait.Store(int64(after - before))
	}
	p.noticeTid.Store(0) // the thread may run other goroutines from here on
	close(p.notice)
}

// watch is the stall watcher (see Supply.ExcludeStalls). It runs until the
// (stall-extended) deadline has passed.
func (p *Power) watch(cut time.Time) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	Realtime()
	prev := cut
	for {
		now := time.Now()
		if gap := now.Sub(prev); gap > StallThreshold {
			p.stall.Add(int64(gap))
		}
		p.lastObs.Store(now.UnixNano())
		prev = now
		if now.After(cut.Add(p.Holdup + p.Stalled() + 2*time.Millisecond)) {
			p.watching.Store(false)
			return
		}
	}
}

// Realtime moves the calling OS thread to SCHED_FIFO, or failing that to
// the highest nice level (best effort: both need CAP_SYS_NICE).
func Realtime() {
	attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: 1 /* SCHED_FIFO */, Priority: 50}
	if unix.SchedSetAttr(0, &attr, 0) == nil {
		return
	}
	_ = unix.Setpriority(unix.PRIO_PROCESS, 0, -20)
}

// Woke is when the armed detector's wait returned (zero if it has not),
// and how long of its wait it spent on a run queue: the time from the
// line being raised to Woke is the kernel's and the Go runtime's.
func (p *Power) Woke() (time.Time, time.Duration) {
	ns := p.wokeAt.Load()
	if ns == 0 {
		return time.Time{}, 0
	}
	return time.Unix(0, ns), time.Duration(p.wakeRunq.Load())
}

// Stalled is the stall time excluded so far.
func (p *Power) Stalled() time.Duration { return time.Duration(p.stall.Load()) }

// Notice is closed once the cut has been detected.
func (p *Power) Notice() <-chan struct{} { return p.notice }

// CutAt reports when the cut happened, if it has.
func (p *Power) CutAt() (time.Time, bool) {
	c := p.cutAt.Load()
	return time.Unix(0, c), c != 0
}

// Deadline is the instant the supply dies (cut + holdup + stalls), if cut.
func (p *Power) Deadline() (time.Time, bool) {
	c, ok := p.CutAt()
	return c.Add(p.Holdup + p.Stalled()), ok
}

// WallDeadline is cut + holdup, stalls not excluded.
func (p *Power) WallDeadline() (time.Time, bool) {
	c, ok := p.CutAt()
	return c.Add(p.Holdup), ok
}

// Dead reports whether the supply is dead at t. With ExcludeStalls, a t
// past the deadline is only judged once the watcher has read the clock at
// or after t, so a stall that has just ended is counted first.
func (p *Power) Dead(t time.Time) bool {
	d, ok := p.Deadline()
	if !ok || t.Before(d) {
		return false
	}
	if p.ExcludeStalls {
		limit := time.Now().Add(50 * time.Millisecond)
		for p.watching.Load() && p.lastObs.Load() < t.UnixNano() && time.Now().Before(limit) {
		}
		d, _ = p.Deadline()
	}
	return !t.Before(d)
}

// noteCall records one image call from start to end that should have taken
// about expected: the part beyond that, if the call overlaps the hold-up,
// is time the host did not give the power-fail path.
func (p *Power) noteCall(start, end time.Time, expected time.Duration, isSync bool) {
	cut, ok := p.CutAt()
	if !ok || end.Before(cut) {
		return
	}
	if d, _ := p.Deadline(); start.After(d) {
		return
	}
	excess := int64(end.Sub(start) - expected)
	raise(&p.callStall, excess)
	if isSync {
		raise(&p.syncStall, excess)
	}
	if excess > 0 && int64(unix.Gettid()) == p.noticeTid.Load() {
		p.pathStall.Add(excess)
	}
}

// onNoticeThread reports whether the caller runs on the thread handling
// the notice (the power-fail flush runs there, in OnNotice).
func (p *Power) onNoticeThread() bool {
	tid := p.noticeTid.Load()
	return tid != 0 && int64(unix.Gettid()) == tid
}

// expectedSync is how long a sync should take that begins with units
// volatile: the fixed cost, and their write-out at the supply's bandwidth
// (which was measured with the sync included).
func (p *Power) expectedSync(units int) time.Duration {
	return p.SyncLatency + p.expectedWrite(units*UnitSize)
}

// expectedWrite is how long a write of n bytes should take at the
// supply's bandwidth.
func (p *Power) expectedWrite(n int) time.Duration {
	if p.Bandwidth <= 0 {
		return 0
	}
	return time.Duration(float64(n) / p.Bandwidth * 1e9)
}

// raise stores v in a if it is larger.
func raise(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// Stall is how long, between the cut and the deadline, the host kept the
// power-fail path from making progress (see StallAt). A stall as long as
// the flush budget is outside what any bound can promise (see
// CutReport.Stalled).
func (p *Power) Stall() time.Duration {
	d, _ := p.StallAt()
	return d
}

// StallAt is Stall and where it was seen, the largest of:
//   - "notice": the detector thread handled the notice this late;
//   - "cpu": the detector thread, which runs the flush, was runnable but
//     not running this long from the cut to the end of the flush;
//   - "flush": the notice's lateness plus, over the image calls the flush
//     made, the time each took beyond its expected time (a write chunk at
//     the supply's bandwidth; a sync at SyncLatency plus writing out, at
//     the supply's bandwidth, every unit volatile when it began).
//
// The run-queue wait overlaps the others, so it is never added to them.
// Only the power-fail path's own calls count: a slow call of another
// thread (the write-back's) matters only if the flush waited for it, and
// such a wait is the backend's doing, not the host's. So is the time a
// sync spends writing out data: a flush at the bound is expected to take
// its whole budget, and taking it is no stall.
func (p *Power) StallAt() (time.Duration, string) {
	n, r, f := p.noticeLate.Load(), p.runqWait.Load(), p.pathStall.Load()
	best, where := int64(0), ""
	for _, k := range []struct {
		v     int64
		where string
	}{{n, "notice"}, {r, "cpu"}, {max(n, 0) + f, "flush"}} {
		if k.v > best {
			best, where = k.v, k.where
		}
	}
	return time.Duration(best), where
}

// SlowestCall is the excess of the single longest image call of any
// thread in the hold-up, and of the longest sync: what the write-back's
// I/O looked like while the flush ran. Reported, never a stall.
func (p *Power) SlowestCall() (call, sync time.Duration) {
	return time.Duration(p.callStall.Load()), time.Duration(p.syncStall.Load())
}

// RunqueueClock reads one thread's total time spent waiting on a run
// queue: runnable, but another thread had the CPU. Open it on the thread
// it measures (locked with runtime.LockOSThread).
type RunqueueClock struct{ s schedstat }

// OpenRunqueueClock opens the calling thread's clock. Where the kernel
// keeps no such figure, Wait reports false.
func OpenRunqueueClock() RunqueueClock { return RunqueueClock{openSchedstat()} }

// Wait is the thread's run-queue wait so far, and whether it is known.
func (c RunqueueClock) Wait() (time.Duration, bool) { return c.s.runqueueWait() }

// Close releases the clock.
func (c RunqueueClock) Close() { c.s.close() }

// schedstat is this thread's /proc/thread-self/schedstat, opened ahead.
type schedstat struct{ fd int }

func openSchedstat() schedstat {
	fd, err := unix.Open("/proc/thread-self/schedstat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return schedstat{fd: -1}
	}
	return schedstat{fd: fd}
}

func (s schedstat) close() {
	if s.fd >= 0 {
		unix.Close(s.fd)
	}
}

// runqueueWait is the thread's total time spent waiting on a run queue
// (the second field of schedstat), read with one raw pread.
func (s schedstat) runqueueWait() (time.Duration, bool) {
	if s.fd < 0 {
		return 0, false
	}
	var buf [96]byte
	n, _, errno := unix.RawSyscall6(unix.SYS_PREAD64, uintptr(s.fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0, 0)
	if errno != 0 {
		return 0, false
	}
	field, v, digits := 0, int64(0), false
	for _, c := range buf[:n] {
		switch {
		case c >= '0' && c <= '9' && field == 1:
			v, digits = v*10+int64(c-'0'), true
		case c == ' ':
			field++
		}
	}
	return time.Duration(v), digits
}

func (p *Power) addFile(f *File) {
	p.filesMu.Lock()
	defer p.filesMu.Unlock()
	p.files = append(p.files, f)
}

// Settle settles every image opened on this supply (see File.Settle) and
// returns the reports of those a cut applied to.
func (p *Power) Settle() ([]CutReport, error) {
	p.filesMu.Lock()
	files := append([]*File(nil), p.files...)
	p.filesMu.Unlock()
	var reps []CutReport
	var first error
	for _, f := range files {
		r, cut, err := f.Settle()
		if cut {
			reps = append(reps, r)
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return reps, first
}
