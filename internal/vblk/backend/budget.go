package backend

import (
	"fmt"
	"sort"
	"time"

	"github.com/drvsynth/drvsynth/internal/vblk/transport"
)

// budget is the time a power-fail flush has (hold-up less detection and
// margin) and what the flush of the buffer would cost in it, by the worst
// of the start-up measurement and the write-back's own recent batches:
//
//	flush(bytes, ios) = bytes/bandwidth + ios × per-pwrite + final fdatasync
//
// A bound measured once at start-up is a promise about a moment that has
// passed; on a shared machine the disk slows down by an order of magnitude
// within seconds. Every durable write-back batch is a measurement of the
// same disk doing the same work as the flush, so each one tightens the
// estimate at once when it is worse, and the estimate relaxes only when the
// bad sample is older than the window. Counting pwrites as well as bytes
// makes scattered writes (a checkpoint touching pages all over the
// database) cost what they cost. The worst recent fdatasync is kept free
// for the flush's final one.
//
// All methods run with the write-back's mu held.
type budget struct {
	total time.Duration // hold-up − detect − margin
	// Start-up measurement: a floor under every estimate.
	bw0   float64 // bytes/s
	sync0 time.Duration
	// Worst over the start-up measurement and the samples in the window.
	bw     float64
	perIO  time.Duration
	sync   time.Duration
	window time.Duration

	samples  []sample // ring
	next     int
	stalls   int64     // samples not applied: see apply
	observed int64     // samples observed by this budget (not seeded)
	expires  time.Time // when the oldest sample that set a worst value leaves the window
}

type sample struct {
	at          time.Time
	bytes, ios  int64
	write, sync time.Duration
	counted     bool // already counted as a stall
}

// minPerIO is the cost of one pwrite assumed before any is measured: a
// system call through the page cache plus its share of the final
// fdatasync on flash.
const minPerIO = 20 * time.Microsecond

// bwSampleMin: batches smaller than this say more about fixed costs than
// about bandwidth.
const bwSampleMin = 256 << 10

func newBudget(total time.Duration, bandwidth float64, syncLatency time.Duration) *budget {
	b := &budget{total: total, bw0: bandwidth, sync0: syncLatency, window: 10 * time.Second, samples: make([]sample, 0, 256)}
	b.recompute(time.Now())
	return b
}

// cost is the estimated time to flush bytes in ios pwrites and sync.
func (b *budget) cost(bytes, ios int64) time.Duration {
	return time.Duration(float64(bytes)/b.bw*1e9) + time.Duration(ios)*b.perIO + b.sync
}

func (b *budget) fits(bytes, ios int64) bool { return b.cost(bytes, ios) <= b.total }

// quarter reports whether the buffer uses a quarter of what the budget
// leaves for writing: time to start a write-back batch.
func (b *budget) quarter(bytes, ios int64) bool {
	return 4*(b.cost(bytes, ios)-b.sync) >= b.total-b.sync
}

// observe records one durable write-back batch.
func (b *budget) observe(bytes, ios int64, write, sync time.Duration) {
	now := time.Now()
	s := sample{at: now, bytes: bytes, ios: ios, write: write, sync: sync}
	b.apply(s)
	s.counted = true
	b.add(s)
	if b.expires.IsZero() {
		b.expires = now.Add(b.window)
	}
	b.observed++
}

// add stores s in the ring.
func (b *budget) add(s sample) {
	if len(b.samples) < cap(b.samples) {
		b.samples = append(b.samples, s)
	} else {
		b.samples[b.next] = s
		b.next = (b.next + 1) % len(b.samples)
	}
}

// refresh lets samples older than the window go.
func (b *budget) refresh(now time.Time) {
	if !b.expires.IsZero() && now.After(b.expires) {
		b.recompute(now)
	}
}

func (b *budget) recompute(now time.Time) {
	b.bw, b.perIO, b.sync = b.bw0, minPerIO, b.sync0
	b.expires = time.Time{}
	for _, s := range b.samples {
		if now.Sub(s.at) > b.window {
			continue
		}
		b.apply(s)
		if exp := s.at.Add(b.window); b.expires.IsZero() || exp.Before(b.expires) {
			b.expires = exp
		}
	}
}

// apply makes the estimate at least as bad as sample s says. Each part of
// a batch's time is charged to the cost it measures, the others taken at
// their start-up values:
//   - the pwrites' time beyond moving the bytes, per pwrite: the
//     per-pwrite cost (the flush issues the same system calls);
//   - a large batch's pwrites and fdatasync: the bandwidth;
//   - a small batch's fdatasync: the fixed cost of the flush's final one.
//
// Charging a large batch's slow fdatasync to the fixed cost instead would
// reserve the time of a whole batch's write-out for the final sync and
// leave no bound at all; charging it to the pwrites would do the same to
// every scattered write.
//
// A sample by which not even one maximal request could be flushed in
// time is a stall of the host (a descheduled vCPU, here up to 140 ms for a
// 4 KiB fdatasync), not a disk to plan for: no bound above zero survives
// it, and a bound of zero would turn buffered into sync for the whole
// window after every stall. It is counted, not applied; a cut during such
// a stall is outside what a hold-up time can promise.
func (b *budget) apply(s sample) {
	bw, perIO, sync := b.bw, b.perIO, b.sync
	b.charge(s)
	if !b.fits(transport.DataSize, 1) {
		b.bw, b.perIO, b.sync = bw, perIO, sync
		if !s.counted {
			b.stalls++
		}
	}
}

func (b *budget) charge(s sample) {
	bytesAt0 := time.Duration(float64(s.bytes) / b.bw0 * 1e9)
	if s.ios > 0 {
		if rest := s.write - bytesAt0; rest > 0 {
			b.perIO = max(b.perIO, rest/time.Duration(s.ios))
		}
	}
	if s.bytes >= bwSampleMin {
		if rest := s.write + s.sync - b.sync0 - time.Duration(s.ios)*minPerIO; rest > 0 {
			b.bw = min(b.bw, float64(s.bytes)/rest.Seconds())
		}
		return
	}
	b.sync = max(b.sync, s.sync-bytesAt0)
}

// Estimate is the flush cost model in force.
type Estimate struct {
	Budget    time.Duration // for the whole flush, final fdatasync included
	Bandwidth float64       // bytes/s
	PerIO     time.Duration
	Sync      time.Duration // reserved for the final fdatasync
	Stalls    int64         // write-back batches too slow to be the disk (host stalls), not applied
}

func (e Estimate) String() string {
	return fmt.Sprintf("flush budget %v: %.1f MB/s, %v per pwrite, %v fdatasync (worst of the last 10s); %d batches slower than any bound (host stalls)",
		e.Budget, e.Bandwidth/1e6, e.PerIO, e.Sync, e.Stalls)
}

func (b *budget) estimate() Estimate {
	return Estimate{Budget: b.total, Bandwidth: b.bw, PerIO: b.perIO, Sync: b.sync, Stalls: b.stalls}
}

// FlushSample is one measurement of the disk doing what a power-fail
// flush does: a durable write-back batch, or a power-fail flush itself.
// A backend restarted on the same image starts from the samples of the
// one before it that are still inside the window (see Config.History):
// otherwise every restart, as after each cut of a crash campaign,
// forgets the slow disk and trusts the start-up measurement again.
type FlushSample struct {
	At    time.Time     `json:"at"`
	Bytes int64         `json:"bytes"`
	IOs   int64         `json:"ios"`
	Write time.Duration `json:"write_ns"`
	Sync  time.Duration `json:"sync_ns"`
}

// seed adds samples measured before this budget existed; those older
// than the window are ignored.
func (b *budget) seed(history []FlushSample) {
	now := time.Now()
	for _, h := range history {
		if h.At.After(now) || now.Sub(h.At) > b.window {
			continue
		}
		// counted: a stall among them was counted by the backend
		// that measured it.
		b.add(sample{at: h.At, bytes: h.Bytes, ios: h.IOs, write: h.Write, sync: h.Sync, counted: true})
	}
	b.recompute(now)
}

// history is the samples inside the window, oldest first.
func (b *budget) history(now time.Time) []FlushSample {
	var out []FlushSample
	for _, s := range b.samples {
		if now.Sub(s.at) <= b.window {
			out = append(out, FlushSample{At: s.at, Bytes: s.bytes, IOs: s.ios, Write: s.write, Sync: s.sync})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}
