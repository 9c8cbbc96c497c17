package backend

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drvsynth/drvsynth/internal/vblk/power"
	"github.com/drvsynth/drvsynth/internal/vblk/transport"
)

// extent is one acknowledged write, kept until written back.
type extent struct {
	lba     uint64
	data    []byte
	at      time.Time // when it was acknowledged
	newRun  bool      // starts a pwrite of its own (see planRuns; guarded by mu)
	written bool      // pwritten by the write-back (guarded by mu)
}

// sref names sector i of an extent: the newest buffered copy of a sector.
type sref struct {
	e *extent
	i int
}

// writeback is the buffer of the buffered and unsafe policies. Writes append
// to a FIFO of extents; one goroutine writes the FIFO's head back in arrival
// order, merging extents that continue one another on disk (contiguous or
// overlapping) into a single pwrite. An extent leaves the buffer (and stops counting as dirty) only
// after its write-back — and, when durable is set, the fdatasync after it —
// has finished, so at every instant dirty counts exactly the bytes a
// power-fail flush would still have to write.
//
// No lock is held across I/O. The write-back checks for a power-fail flush
// and announces its pwrite under mu, one run at a time, so the flush (on a
// highest real-time priority) never waits behind the write-back's batch: it
// starts writing at once, and afterwards rewrites the newest copy of the
// sectors of the one run that may still have been in flight.
type writeback struct {
	store   Store
	limit   int64   // dirty bytes allowed
	flush   *budget // time the power-fail flush has, nil: bytes only
	durable bool    // fdatasync after each batch (buffered)
	// A batch starts once lowWater bytes are dirty (or a quarter of the
	// flush budget is used) or the oldest extent is maxAge old. Batching
	// keeps the write-back from waking (and syncing) once per request,
	// which on a 2-core machine takes CPU from the database; coalescing
	// gets better too.
	lowWater int64
	maxAge   time.Duration
	logf     func(string, ...any)

	mu       sync.Mutex
	space    *sync.Cond // dirty went down
	work     *sync.Cond // there may be something to write back
	idle     *sync.Cond // a batch finished
	queue    []*extent
	index    map[uint64]sref
	dirty    int64 // bytes
	dirtyIOs int64 // pwrites a flush of the queue needs (planRuns over it)
	stopped  bool  // no more writes accepted
	draining bool  // write everything back now
	quit     bool  // the loop should end
	flushing bool  // the power-fail flush owns the image: no more pwrites
	dead     error // the store refused a write for good
	// The piece the write-back is pwriting now, sectors [pwLo, pwHi).
	// pwriting is set under mu and cleared without it, so that the
	// write-back, coming back from its pwrite, never waits for mu
	// behind a flush that is waiting for it (see powerFlush).
	pwriting   atomic.Bool
	pwLo, pwHi uint64
	// The sectors the queue's last run covers (see startsRun).
	tailLo, tailHi uint64
	releases       uint64 // batches released: a read retries if one ends under it
	st             Stats
	done           chan struct{}

	// free holds the data buffers of released extents by sector count,
	// for the next writes of that size (see take). The backend runs
	// without garbage collection most of the time (see campaign.Serve),
	// so a fresh buffer per write is fresh memory: two page faults per
	// 8 KiB, which cost an 8 KiB WRITE about 7 µs of its round trip.
	// Guarded by freeMu, not mu: a write takes its buffer and copies
	// into it without holding up the write-back or the power flush.
	freeMu    sync.Mutex
	free      [transport.MaxSectors + 1][][]byte
	freeBytes int64
	reused    int64 // writes that got a reused buffer
}

// maxFree bounds the bytes kept for reuse.
const maxFree = 16 << 20

const maxBatch = 8 << 20 // bytes per write-back batch outside a drain
const maxRun = 1 << 20   // bytes per coalesced pwrite

// SCHED_FIFO priorities of the backend's threads, all below the power-fail
// path's (power.Realtime, 50).
const (
	writebackPriority = 10
	doorbellPriority  = 20
)

// realtime puts the calling thread under SCHED_FIFO at prio, best effort
// (it needs CAP_SYS_NICE; without it the thread keeps normal priority).
func realtime(prio uint32) {
	attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: 1 /* SCHED_FIFO */, Priority: prio}
	_ = unix.SchedSetAttr(0, &attr, 0)
}

// testHookBatch, when set, runs in the write-back loop after it has taken
// a batch and released the lock, before its first pwrite.
var testHookBatch func()

func newWriteback(store Store, limit, lowWater int64, flush *budget, maxAge time.Duration, durable bool, logf func(string, ...any)) *writeback {
	w := &writeback{store: store, limit: limit, flush: flush, lowWater: lowWater, maxAge: maxAge, durable: durable, logf: logf,
		index: map[uint64]sref{}, done: make(chan struct{})}
	w.space = sync.NewCond(&w.mu)
	w.work = sync.NewCond(&w.mu)
	w.idle = sync.NewCond(&w.mu)
	go w.loop()
	go w.ticker()
	return w
}

// fits reports whether n more bytes in ios more pwrites stay within the
// bound (mu held): the byte limit, and the time a power-fail flush of
// everything would take by the write-back's worst recent measurements.
func (w *writeback) fits(n, ios int64) bool {
	if w.dirty+n > w.limit {
		return false
	}
	return w.flush == nil || w.flush.fits(w.dirty+n, w.dirtyIOs+ios)
}

// startsRun decides whether e, appended now, starts a pwrite of its own
// or joins the queue's last run (mu held), and returns the pwrites it adds.
func (w *writeback) startsRun(e *extent) int64 {
	end := e.lba + uint64(len(e.data)/transport.SectorSize)
	e.newRun = len(w.queue) == 0 || !joins(w.tailLo, w.tailHi, e.lba, end)
	if e.newRun {
		return 1
	}
	return 0
}

// joins reports whether an extent [lo, hi) can join a run [runLo, runHi):
// it starts inside the run or right after it (a commit's first sector is
// often the previous commit's last, rewritten), and the run stays within
// maxRun.
func joins(runLo, runHi, lo, hi uint64) bool {
	return lo >= runLo && lo <= runHi && (max(runHi, hi)-runLo)*transport.SectorSize <= maxRun
}

// take returns a buffer holding a copy of src, reused if one of its size
// is free.
func (w *writeback) take(src []byte) []byte {
	n := len(src) / transport.SectorSize
	var b []byte
	w.freeMu.Lock()
	if k := len(w.free[n]); k > 0 {
		b = w.free[n][k-1]
		w.free[n][k-1] = nil
		w.free[n] = w.free[n][:k-1]
		w.freeBytes -= int64(len(b))
		w.reused++
	}
	w.freeMu.Unlock()
	if b == nil {
		return append([]byte(nil), src...)
	}
	copy(b, src)
	return b
}

// recycle keeps the buffers of released extents for reuse (mu held). Only
// while writes are accepted: once the power-fail flush has begun it may be
// writing a released extent's sectors (see newest), and nothing may
// overwrite them.
func (w *writeback) recycle(es []*extent) {
	if w.stopped {
		return
	}
	w.freeMu.Lock()
	defer w.freeMu.Unlock()
	for _, e := range es {
		n := len(e.data) / transport.SectorSize
		if w.freeBytes+int64(len(e.data)) > maxFree || n > transport.MaxSectors || len(e.data)%transport.SectorSize != 0 {
			continue
		}
		w.free[n] = append(w.free[n], e.data)
		w.freeBytes += int64(len(e.data))
	}
}

// write buffers src at lba, waiting while the buffer is at its limit.
func (w *writeback) write(lba uint64, src []byte) transport.ErrCode {
	e := &extent{lba: lba, data: w.take(src), at: time.Now()}
	n := int64(len(src))
	w.mu.Lock()
	defer w.mu.Unlock()
	ios := w.startsRun(e)
	if !w.stopped && w.dirty > 0 && !w.fits(n, ios) {
		// Throttle: the completion of this request is delayed until the
		// write-back has made room. Never an error.
		w.st.Throttled++
		start := time.Now()
		w.work.Signal()
		for !w.stopped && w.dead == nil && w.dirty > 0 && !w.fits(n, ios) {
			w.space.Wait()
			ios = w.startsRun(e) // the queue may have drained meanwhile
		}
		w.st.ThrottleTime += time.Since(start)
	}
	if w.stopped {
		return transport.ErrPowerFail
	}
	if w.dead != nil {
		return errCode(w.dead)
	}
	w.queue = append(w.queue, e)
	end := lba + uint64(len(src)/transport.SectorSize)
	if e.newRun {
		w.tailLo, w.tailHi = lba, end
	} else {
		w.tailHi = max(w.tailHi, end)
	}
	for i := range len(src) / transport.SectorSize {
		w.index[lba+uint64(i)] = sref{e, i}
	}
	w.dirty += n
	w.dirtyIOs += ios
	w.st.MaxDirty = max(w.st.MaxDirty, w.dirty)
	if w.dirty >= w.lowWater || (w.flush != nil && w.flush.quarter(w.dirty, w.dirtyIOs)) {
		w.work.Signal()
	}
	return transport.ErrNone
}

// read fills dst from the image and overlays buffered sectors. The image is
// read without the lock (no request waits behind a pread); if a batch was
// released meanwhile, a sector may have left the buffer before the pread
// saw it on the image, so the read starts again.
func (w *writeback) read(lba uint64, off int64, dst []byte) transport.ErrCode {
	for {
		w.mu.Lock()
		gen := w.releases
		w.mu.Unlock()
		got, err := w.store.ReadAt(dst, off)
		w.mu.Lock()
		if w.releases != gen {
			w.mu.Unlock()
			continue
		}
		code := transport.ErrNone
		if err != nil {
			// Short image: fine only if the buffer covers what is missing.
			for i := got / transport.SectorSize; i < len(dst)/transport.SectorSize; i++ {
				if _, ok := w.index[lba+uint64(i)]; !ok {
					code = transport.ErrIO
				}
			}
		}
		for i := range len(dst) / transport.SectorSize {
			if r, ok := w.index[lba+uint64(i)]; ok {
				copy(dst[i*transport.SectorSize:(i+1)*transport.SectorSize], r.e.data[r.i*transport.SectorSize:])
			}
		}
		w.mu.Unlock()
		return code
	}
}

func (w *writeback) ticker() {
	if w.flush != nil {
		// It takes mu, which the power-fail flush needs at once: see
		// lockCeiling. Never unlocked, as in loop.
		runtime.LockOSThread()
		realtime(writebackPriority)
	}
	t := time.NewTicker(max(w.maxAge/4, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case now := <-t.C:
			w.mu.Lock()
			if hook := testHookHeld.Load(); hook != nil {
				(*hook)("ticker")
			}
			if w.flush != nil {
				w.flush.refresh(now)
			}
			w.work.Broadcast()
			w.mu.Unlock()
		}
	}
}

// due reports whether the loop has something to write back now.
func (w *writeback) due() bool {
	if len(w.queue) == 0 {
		return false
	}
	if w.draining || w.dirty >= w.lowWater || (w.flush != nil && w.flush.quarter(w.dirty, w.dirtyIOs)) {
		return true
	}
	return time.Since(w.queue[0].at) >= w.maxAge
}

func (w *writeback) loop() {
	defer close(w.done)
	if w.flush != nil {
		// The write-back's batches are the measurements the bound is
		// made of, and the flush runs at real-time priority: measured
		// at normal priority, every preemption by an unrelated process
		// would count as disk time. Below the flush's priority, so the
		// flush still preempts it. Never unlocked: the thread ends
		// with the goroutine instead of going back to the scheduler at
		// real-time priority.
		runtime.LockOSThread()
		realtime(writebackPriority)
	}
	// A batch's time less what its thread spent waiting for a CPU (the
	// doorbell thread, above it, spinning on the same one; on 2 CPUs
	// under load, often): the power-fail flush runs above every thread
	// of the backend and never waits like that, so that wait is not a
	// cost of the flush. Under load it had put 3.5 ms into the per-pwrite
	// cost, and the bound went to nothing.
	rq := power.OpenRunqueueClock()
	defer rq.Close()
	running := func(start time.Time, q0 time.Duration, known bool) time.Duration {
		d := time.Since(start)
		if q1, ok := rq.Wait(); known && ok && q1 >= q0 {
			d -= min(d, q1-q0)
		}
		return d
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var buf []byte
	for {
		for !w.quit && w.dead == nil && !w.due() {
			w.work.Wait()
		}
		if w.dead != nil || w.flushing || (w.quit && (!w.draining || len(w.queue) == 0)) {
			w.idle.Broadcast()
			return
		}
		k, bytes := 0, int64(0)
		for k < len(w.queue) && (w.draining || bytes < maxBatch) {
			bytes += int64(len(w.queue[k].data))
			k++
		}
		runs := planRuns(w.queue[:k])
		w.mu.Unlock()
		if testHookBatch != nil {
			testHookBatch()
		}
		q0, known := rq.Wait()
		start := time.Now()
		var err error
		buf, err = w.writeBatch(runs, buf)
		wrote := running(start, q0, known)
		if errors.Is(err, errFlushing) {
			w.mu.Lock()
			continue // the power-fail flush has the rest
		}
		var synced time.Duration
		if err == nil && w.durable {
			q0, known := rq.Wait()
			t := time.Now()
			err = w.store.Sync()
			synced = running(t, q0, known)
		}
		w.mu.Lock()
		if err != nil {
			if errors.Is(err, power.ErrPowerLost) || errors.Is(err, errShortImage) {
				if errors.Is(err, errShortImage) {
					w.logf("vblk backend: write-back stopped, %d buffered bytes cannot be written: %v", w.dirty, err)
				}
				w.dead = err
				w.space.Broadcast()
				continue
			}
			// A transient I/O error: keep the data, try again shortly.
			w.logf("vblk backend: write-back failed, will retry: %v", err)
			w.mu.Unlock()
			time.Sleep(10 * time.Millisecond)
			w.mu.Lock()
			continue
		}
		if w.flush != nil && w.durable {
			w.flush.observe(bytes, int64(len(runs)), wrote, synced)
		}
		w.release(k)
		w.st.WrittenBack += bytes
		w.st.Batches++
		w.st.Runs += int64(len(runs))
		w.space.Broadcast()
		w.idle.Broadcast()
	}
}

// errFlushing: the write-back stopped because the power-fail flush began.
var errFlushing = errors.New("backend: power-fail flush in progress")

// writeBatch pwrites the runs one by one, each in pieces of at most
// pieceSize. Before each piece it checks, under mu, that no power-fail
// flush has begun and records the piece as in flight, so a flush either
// sees the pwrite or the write-back sees the flush, and a flush that sees
// one waits for at most pieceSize bytes (with whole 1 MiB runs in flight,
// a flush waited 3.5 ms for one and missed its deadline). An extent counts
// as written once its whole run is.
func (w *writeback) writeBatch(runs [][]*extent, buf []byte) ([]byte, error) {
	if err := fitsRuns(w.store, runs); err != nil {
		return buf, err
	}
	for _, run := range runs {
		var data []byte
		data, buf = runData(run, buf)
		lo := run[0].lba
		for done := 0; done < len(data); {
			n := min(len(data)-done, pieceSize)
			w.mu.Lock()
			if w.flushing {
				w.mu.Unlock()
				return buf, errFlushing
			}
			w.pwriting.Store(true)
			w.pwLo = lo + uint64(done/transport.SectorSize)
			w.pwHi = w.pwLo + uint64(n/transport.SectorSize)
			w.mu.Unlock()
			_, err := w.store.WriteAt(data[done:done+n], int64(lo)*transport.SectorSize+int64(done))
			w.pwriting.Store(false)
			if err != nil {
				return buf, err
			}
			done += n
		}
		w.mu.Lock()
		for _, e := range run {
			e.written = true
		}
		w.mu.Unlock()
	}
	return buf, nil
}

// pieceSize is the most the write-back has in flight at once: the image
// wrapper's chunk, so splitting costs no extra system call.
const pieceSize = power.ChunkSize

// release drops the first k extents of the queue, which are on the image
// (mu held). It works in slices of 16 extents, dropping the lock in
// between, so a request waits behind a few microseconds of index
// deletions at most, not a batch's thousands.
func (w *writeback) release(k int) {
	w.releases++
	for done := 0; done < k; {
		n := min(k-done, 16)
		var freed int64
		for _, e := range w.queue[:n] {
			for i := range len(e.data) / transport.SectorSize {
				if r, ok := w.index[e.lba+uint64(i)]; ok && r.e == e {
					delete(w.index, e.lba+uint64(i))
				}
			}
			freed += int64(len(e.data))
		}
		w.recycle(w.queue[:n])
		clear(w.queue[:n])
		w.queue = w.queue[n:]
		w.dirty -= freed
		done += n
		if done < k {
			w.mu.Unlock()
			w.mu.Lock()
		}
	}
	w.replan()
	w.space.Broadcast()
}

// replan recounts the pwrites a flush of the queue takes, as planRuns will
// group them, after its head has gone (mu held).
func (w *writeback) replan() {
	w.dirtyIOs = 0
	var lo, hi uint64
	for i, e := range w.queue {
		end := e.lba + uint64(len(e.data)/transport.SectorSize)
		e.newRun = i == 0 || !joins(lo, hi, e.lba, end)
		if e.newRun {
			w.dirtyIOs++
			lo, hi = e.lba, end
		} else {
			hi = max(hi, end)
		}
	}
	w.tailLo, w.tailHi = lo, hi
}

// planRuns groups a batch into runs: consecutive extents of the queue that
// each start inside or right after the run so far (see joins), at most
// maxRun bytes each. A run is one pwrite.
func planRuns(batch []*extent) [][]*extent {
	var runs [][]*extent
	var lo, hi uint64
	for i, e := range batch {
		end := e.lba + uint64(len(e.data)/transport.SectorSize)
		if i == 0 || !joins(lo, hi, e.lba, end) {
			runs = append(runs, nil)
			lo, hi = e.lba, end
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], e)
		hi = max(hi, end)
	}
	return runs
}

// runSpan is the sector range a run covers.
func runSpan(run []*extent) (lo, hi uint64) {
	lo = run[0].lba
	for _, e := range run {
		hi = max(hi, e.lba+uint64(len(e.data)/transport.SectorSize))
	}
	return lo, hi
}

// fitsRuns checks that every run lies inside the image as it is now: a
// write past the end of a truncated image must fail, not grow the file.
func fitsRuns(s Store, runs [][]*extent) error {
	var end uint64
	for _, run := range runs {
		_, hi := runSpan(run)
		end = max(end, hi)
	}
	if len(runs) == 0 {
		return nil
	}
	return fits(s, 0, int(end*transport.SectorSize))
}

// writeRun writes one run with one pwrite. It returns the scratch buffer
// for reuse.
func writeRun(s Store, run []*extent, buf []byte) ([]byte, error) {
	data, buf := runData(run, buf)
	_, err := s.WriteAt(data, int64(run[0].lba)*transport.SectorSize)
	return buf, err
}

// runData is what a run writes: a lone extent's own buffer, without a
// copy, or the extents laid into buf in queue order, so that where they
// overlap the newest wins. It returns the data and the scratch buffer.
func runData(run []*extent, buf []byte) (data, scratch []byte) {
	if len(run) == 1 {
		return run[0].data, buf
	}
	lo, hi := runSpan(run)
	n := int((hi - lo) * transport.SectorSize)
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	for _, e := range run {
		copy(buf[(e.lba-lo)*transport.SectorSize:], e.data)
	}
	return buf, buf
}

// drain stops taking writes, writes everything back and fdatasyncs.
func (w *writeback) drain(syncAfter bool) error {
	w.mu.Lock()
	w.stopped = true
	w.draining = true
	w.space.Broadcast()
	w.work.Broadcast()
	for len(w.queue) > 0 && w.dead == nil {
		w.idle.Wait()
	}
	err := w.dead
	w.quit = true
	w.work.Broadcast()
	w.mu.Unlock()
	<-w.done
	if err == nil && syncAfter {
		err = w.store.Sync()
	}
	return err
}

// ErrLateSync means every buffered write was issued to the image before
// the deadline but the fdatasync after them had not returned by then. The
// sync then counts for nothing: whatever of the flush was not already
// durable may be lost or torn (see power.Medium).
var ErrLateSync = errors.New("backend: final fdatasync did not finish before the deadline")

// powerFlush is the power-fail flush: stop taking writes and the
// write-back's pwrites, write every buffered extent the write-back has not
// written, in arrival order, and fdatasync once. It waits for nothing
// before it starts: a write-back pwrite in flight at the notice may land
// after the flush's own write of the same sectors, so once the flush has
// written everything it waits for that one pwrite (normally long over by
// then) and rewrites the newest copy of its sectors.
func (w *writeback) powerFlush() (fs FlushStats, err error) {
	entered := time.Now()
	lockSpinning(&w.mu)
	fs.Lock = time.Since(entered)
	w.stopped = true
	w.quit = true
	w.flushing = true
	inFlight, lo, hi := w.pwriting.Load(), w.pwLo, w.pwHi
	w.space.Broadcast()
	w.work.Broadcast()
	// The write-back writes from the head of the queue, so what it has
	// written is a prefix; the flush writes the rest.
	i := 0
	for i < len(w.queue) && w.queue[i].written {
		i++
	}
	q := append([]*extent(nil), w.queue[i:]...)
	w.mu.Unlock()
	if inFlight {
		// Whatever the outcome, the flush returns with no pwrite of the
		// write-back in flight: nothing reaches the image after it.
		defer func() {
			for w.pwriting.Load() {
			}
		}()
	}
	for _, e := range q {
		fs.Bytes += int64(len(e.data))
	}
	t := time.Now()
	var buf []byte
	runs := planRuns(q)
	defer func() {
		// The flush is a measurement of the disk like any batch, and
		// the one most worth handing to the next backend.
		if w.flush != nil && (err == nil || errors.Is(err, ErrLateSync)) {
			lockSpinning(&w.mu)
			w.flush.observe(fs.Bytes, int64(len(runs)), fs.Write, fs.Sync)
			w.mu.Unlock()
		}
	}()
	for _, run := range runs {
		if buf, err = writeRun(w.store, run, buf); err != nil {
			fs.Write = time.Since(t)
			return fs, err
		}
	}
	if inFlight {
		wt := time.Now()
		// Without mu: the write-back may need it to get on after its
		// pwrite, and a goroutine parked on mu is woken onto this
		// thread's P, which the spin keeps.
		for w.pwriting.Load() {
		}
		lockSpinning(&w.mu)
		fix := w.newest(lo, hi)
		w.mu.Unlock()
		fs.Waited = time.Since(wt)
		for _, run := range fix {
			if buf, err = writeRun(w.store, run, buf); err != nil {
				fs.Write = time.Since(t)
				return fs, err
			}
		}
	}
	fs.Write = time.Since(t)
	t = time.Now()
	err = w.store.Sync()
	fs.Sync = time.Since(t)
	if errors.Is(err, power.ErrPowerLost) {
		return fs, ErrLateSync
	}
	return fs, err
}

// lockSpinning takes mu for the power-fail flush without ever parking its
// goroutine. A goroutine parked on a lock or a condition is woken through
// the Go scheduler, whose spare threads run at normal priority and, on a
// loaded host, wait for a CPU like everything else; the flush's real-time
// thread spins instead. Every other holder of mu runs at real-time
// priority too, or is raised to it while it holds mu (see lockCeiling),
// so the holder is never a thread the host has parked.
func lockSpinning(mu *sync.Mutex) {
	for !mu.TryLock() {
	}
}

// lockCeiling takes mu for a goroutine that may run at normal priority (a
// reader of the statistics or of the flush cost history), raising its
// thread to the write-back's real-time priority for as long as it holds
// mu: an immediate priority ceiling. A normal thread holding mu can be
// parked by a loaded host for tens of milliseconds, and the power-fail
// flush needs mu at once (it waited 29 and 39.5 ms so in a 1000-cut
// campaign beside go test, at a 10 ms hold-up, and lost a commit). It
// returns the unlock.
func (w *writeback) lockCeiling() (unlock func()) {
	runtime.LockOSThread()
	prev, err := unix.SchedGetAttr(0, 0)
	raised := err == nil && prev.Policy == 0 // SCHED_OTHER: not real-time already
	if raised {
		realtime(writebackPriority)
	}
	w.mu.Lock()
	return func() {
		w.mu.Unlock()
		if raised {
			_ = unix.SchedSetAttr(0, prev, 0)
		}
		runtime.UnlockOSThread()
	}
}

// history is the flush cost samples inside the model's window and how many
// this device observed (see Device.FlushHistory).
func (w *writeback) history() ([]FlushSample, int64) {
	defer w.lockCeiling()()
	if hook := testHookHeld.Load(); hook != nil {
		(*hook)("history")
	}
	return w.flush.history(time.Now()), w.flush.observed
}

// testHookHeld, when set, runs with mu held by the ticker and by history,
// which start out at normal priority.
var testHookHeld atomic.Pointer[func(holder string)]

// newest returns the newest buffered copy of the sectors in [lo, hi) as
// runs of one-sector extents (mu held). Sectors no longer buffered are on
// the image already.
func (w *writeback) newest(lo, hi uint64) [][]*extent {
	var q []*extent
	for s := lo; s < hi; s++ {
		if r, ok := w.index[s]; ok {
			q = append(q, &extent{lba: s, data: r.e.data[r.i*transport.SectorSize : (r.i+1)*transport.SectorSize]})
		}
	}
	return planRuns(q)
}

// FlushStats describe one power-fail flush.
type FlushStats struct {
	Bytes  int64         // written by the flush itself
	Lock   time.Duration // taking the write-back's lock, before anything else
	Waited time.Duration // waiting for a write-back pwrite in flight at the notice
	Write  time.Duration // the flush's pwrites
	Sync   time.Duration // the final fdatasync
}

// stop ends the buffer without writing anything back.
func (w *writeback) stop() {
	w.mu.Lock()
	w.stopped = true
	w.quit = true
	w.flushing = true // nothing more reaches the image
	w.space.Broadcast()
	w.work.Broadcast()
	w.mu.Unlock()
	<-w.done
}

func (w *writeback) addStats(s *Stats) {
	defer w.lockCeiling()()
	s.Dirty = w.dirty
	s.DirtyIOs = w.dirtyIOs
	s.MaxDirty = w.st.MaxDirty
	s.Throttled = w.st.Throttled
	s.ThrottleTime = w.st.ThrottleTime
	s.WrittenBack = w.st.WrittenBack
	s.Batches = w.st.Batches
	s.Runs = w.st.Runs
	if w.flush != nil {
		s.Estimate = w.flush.estimate()
	}
}
