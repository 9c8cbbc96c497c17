package backend

import (
	"errors"
	"sync"
	"time"

	"github.com/drvsynth/drvsynth/internal/vblk/power"
	"github.com/drvsynth/drvsynth/internal/vblk/transport"
)

// extent is one acknowledged write, kept until written back.
type extent struct {
	lba     uint64
	data    []byte
	at      time.Time // when it was acknowledged
	written bool      // pwritten by the write-back (guarded by wmu)
}

// sref names sector i of an extent: the newest buffered copy of a sector.
type sref struct {
	e *extent
	i int
}

// writeback is the buffer of the buffered and unsafe policies. Writes append
// to a FIFO of extents; one goroutine writes the FIFO's head back in arrival
// order, merging runs of extents that are contiguous on disk into a single
// pwrite. An extent leaves the buffer (and stops counting as dirty) only
// after its write-back — and, when durable is set, the fdatasync after it —
// has finished, so at every instant dirty counts exactly the bytes a
// power-fail flush would still have to write.
type writeback struct {
	store   Store
	limit   int64 // dirty bytes allowed
	durable bool  // fdatasync after each batch (buffered)
	// A batch starts once lowWater bytes are dirty or the oldest extent is
	// maxAge old. Batching keeps the write-back from waking (and syncing)
	// once per request, which on a 2-core machine takes CPU from the
	// database; coalescing gets better too.
	lowWater int64
	maxAge   time.Duration
	logf     func(string, ...any)

	wmu      sync.Mutex // held while write-back pwrites are in progress
	mu       sync.Mutex
	space    *sync.Cond // dirty went down
	work     *sync.Cond // there may be something to write back
	idle     *sync.Cond // a batch finished
	queue    []*extent
	index    map[uint64]sref
	dirty    int64
	stopped  bool  // no more writes accepted
	draining bool  // write everything back now
	quit     bool  // the loop should end
	dead     error // the store refused a write: power is gone
	lastWB   time.Time
	st       Stats
	done     chan struct{}
}

const maxBatch = 8 << 20 // bytes per write-back batch outside a drain
const maxRun = 1 << 20   // bytes per coalesced pwrite

func newWriteback(store Store, limit, lowWater int64, maxAge time.Duration, durable bool, logf func(string, ...any)) *writeback {
	w := &writeback{store: store, limit: limit, lowWater: lowWater, maxAge: maxAge, durable: durable, logf: logf,
		index: map[uint64]sref{}, lastWB: time.Now(), done: make(chan struct{})}
	w.space = sync.NewCond(&w.mu)
	w.work = sync.NewCond(&w.mu)
	w.idle = sync.NewCond(&w.mu)
	go w.loop()
	go w.ticker()
	return w
}

// write buffers src at lba, waiting while the buffer is at its limit.
func (w *writeback) write(lba uint64, src []byte) transport.ErrCode {
	e := &extent{lba: lba, data: append([]byte(nil), src...), at: time.Now()}
	n := int64(len(src))
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped && w.dirty > 0 && w.dirty+n > w.limit {
		// Throttle: the completion of this request is delayed until the
		// write-back has made room. Never an error.
		w.st.Throttled++
		start := time.Now()
		w.work.Signal()
		for !w.stopped && w.dirty > 0 && w.dirty+n > w.limit {
			w.space.Wait()
		}
		w.st.ThrottleTime += time.Since(start)
	}
	if w.stopped {
		return transport.ErrPowerFail
	}
	w.queue = append(w.queue, e)
	for i := range len(src) / transport.SectorSize {
		w.index[lba+uint64(i)] = sref{e, i}
	}
	w.dirty += n
	w.st.MaxDirty = max(w.st.MaxDirty, w.dirty)
	if w.dirty >= w.lowWater {
		w.work.Signal()
	}
	return transport.ErrNone
}

// read fills dst from the image and overlays buffered sectors. The lock is
// held across both so a write-back finishing in between cannot make a
// sector vanish from the buffer before the image has it.
func (w *writeback) read(lba uint64, off int64, dst []byte) transport.ErrCode {
	w.mu.Lock()
	defer w.mu.Unlock()
	got, err := w.store.ReadAt(dst, off)
	if err != nil {
		// Short image: fine only if the buffer covers what is missing.
		for i := got / transport.SectorSize; i < len(dst)/transport.SectorSize; i++ {
			if _, ok := w.index[lba+uint64(i)]; !ok {
				return transport.ErrIO
			}
		}
	}
	for i := range len(dst) / transport.SectorSize {
		if r, ok := w.index[lba+uint64(i)]; ok {
			copy(dst[i*transport.SectorSize:(i+1)*transport.SectorSize], r.e.data[r.i*transport.SectorSize:])
		}
	}
	return transport.ErrNone
}

func (w *writeback) ticker() {
	t := time.NewTicker(max(w.maxAge/4, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-t.C:
			w.mu.Lock()
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
	if w.draining || w.dirty >= w.lowWater {
		return true
	}
	return time.Since(w.queue[0].at) >= w.maxAge
}

func (w *writeback) loop() {
	defer close(w.done)
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		for !w.quit && w.dead == nil && !w.due() {
			w.work.Wait()
		}
		if w.dead != nil || (w.quit && (!w.draining || len(w.queue) == 0)) {
			w.idle.Broadcast()
			return
		}
		k, bytes := 0, int64(0)
		for k < len(w.queue) && (w.draining || bytes < maxBatch) {
			bytes += int64(len(w.queue[k].data))
			k++
		}
		batch := w.queue[:k]
		w.mu.Unlock()
		w.wmu.Lock()
		runs, err := writeRuns(w.store, batch)
		if err == nil {
			for _, e := range batch {
				e.written = true
			}
		}
		w.wmu.Unlock()
		if err == nil && w.durable {
			err = w.store.Sync()
		}
		w.mu.Lock()
		if err != nil {
			if errors.Is(err, power.ErrPowerLost) {
				w.dead = err
				continue
			}
			// A transient I/O error: keep the data, try again shortly.
			w.logf("vblk backend: write-back failed, will retry: %v", err)
			w.mu.Unlock()
			time.Sleep(10 * time.Millisecond)
			w.mu.Lock()
			continue
		}
		// Release the batch in slices, dropping the lock in between, so
		// a request never waits behind thousands of index deletions.
		for done := 0; done < k; {
			n := min(k-done, 64)
			var freed int64
			for _, e := range w.queue[:n] {
				for i := range len(e.data) / transport.SectorSize {
					if r, ok := w.index[e.lba+uint64(i)]; ok && r.e == e {
						delete(w.index, e.lba+uint64(i))
					}
				}
				freed += int64(len(e.data))
			}
			clear(w.queue[:n])
			w.queue = w.queue[n:]
			w.dirty -= freed
			done += n
			w.space.Broadcast()
			if done < k {
				w.mu.Unlock()
				w.mu.Lock()
			}
		}
		w.st.WrittenBack += bytes
		w.st.Batches++
		w.st.Runs += int64(runs)
		w.lastWB = time.Now()
		w.space.Broadcast()
		w.idle.Broadcast()
	}
}

// writeRuns writes a batch in order, merging extents that follow each other
// both in the queue and on disk into one pwrite (a lone extent is written
// from its own buffer, without a copy).
func writeRuns(s Store, batch []*extent) (int, error) {
	runs := 0
	var buf []byte
	var run []*extent
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		runs++
		data := run[0].data
		if len(run) > 1 {
			buf = buf[:0]
			for _, e := range run {
				buf = append(buf, e.data...)
			}
			data = buf
		}
		_, err := s.WriteAt(data, int64(run[0].lba)*transport.SectorSize)
		run = run[:0]
		return err
	}
	var next uint64
	size := 0
	for _, e := range batch {
		if len(run) > 0 && (e.lba != next || size+len(e.data) > maxRun) {
			if err := flush(); err != nil {
				return runs, err
			}
		}
		if len(run) == 0 {
			size = 0
		}
		run = append(run, e)
		size += len(e.data)
		next = e.lba + uint64(len(e.data)/transport.SectorSize)
	}
	return runs, flush()
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
// the deadline but the fdatasync after them had not returned by then.
var ErrLateSync = errors.New("backend: final fdatasync did not finish before the deadline")

// powerFlush is the power-fail flush: stop taking writes, then write every
// buffered extent that the write-back has not already written, in arrival
// order, and fdatasync once. It does not wait for a write-back fdatasync in
// flight (only for its pwrites, which keeps the order): the hold-up budget
// is for writing, not for queueing behind a slow sync.
func (w *writeback) powerFlush() (fs FlushStats, err error) {
	start := time.Now()
	w.mu.Lock()
	w.stopped = true
	w.quit = true
	w.space.Broadcast()
	w.work.Broadcast()
	q := append([]*extent(nil), w.queue...)
	w.mu.Unlock()
	w.wmu.Lock()
	fs.Waited = time.Since(start)
	// The write-back takes batches from the head of the queue, so the
	// extents it has written are a prefix; write the rest.
	i := 0
	for i < len(q) && q[i].written {
		i++
	}
	for _, e := range q[i:] {
		fs.Bytes += int64(len(e.data))
	}
	t := time.Now()
	_, err = writeRuns(w.store, q[i:])
	w.wmu.Unlock()
	fs.Write = time.Since(t)
	if err != nil {
		return fs, err
	}
	t = time.Now()
	err = w.store.Sync()
	fs.Sync = time.Since(t)
	if errors.Is(err, power.ErrPowerLost) {
		return fs, ErrLateSync
	}
	return fs, err
}

// FlushStats describe one power-fail flush.
type FlushStats struct {
	Bytes  int64         // written by the flush itself
	Waited time.Duration // waiting for write-back pwrites in flight
	Write  time.Duration // the flush's pwrites
	Sync   time.Duration // the final fdatasync
}

// stop ends the buffer without writing anything back.
func (w *writeback) stop() {
	w.mu.Lock()
	w.stopped = true
	w.quit = true
	w.space.Broadcast()
	w.work.Broadcast()
	w.mu.Unlock()
	<-w.done
}

func (w *writeback) addStats(s *Stats) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s.Dirty = w.dirty
	s.MaxDirty = w.st.MaxDirty
	s.Throttled = w.st.Throttled
	s.ThrottleTime = w.st.ThrottleTime
	s.WrittenBack = w.st.WrittenBack
	s.Batches = w.st.Batches
	s.Runs = w.st.Runs
}
