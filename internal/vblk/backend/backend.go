// Package backend is the device side of vblk, the "hypervisor" half that
// runs in its own process: it validates and executes the requests latched by
// the doorbell against a backing image, under one of three persistence
// policies.
//
//   - sync: write-through; WRITE goes to the image, FLUSH and WRITE_FUA
//     complete only after fdatasync.
//   - buffered (RapiLog): WRITE, WRITE_FUA and FLUSH complete once the data
//     is in this process's buffer, which the power-fail flush makes durable;
//     a write-back goroutine drains it in order, coalescing adjacent extents.
//     Dirty data never exceeds the power supply's bound: a write that would
//     cross it waits (its completion is delayed, never failed).
//   - unsafe: like buffered but with lazy write-back and nothing done on a
//     power-fail notice — the speed ceiling, and the proof that the crash
//     tests can fail.
//
// A request from a buggy or hostile driver gets an error code, never a crash:
// every field is checked before it is used.
package backend

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drvsynth/drvsynth/internal/vblk/power"
	"github.com/drvsynth/drvsynth/internal/vblk/transport"
)

// Policy is a persistence policy.
type Policy int

// The policies.
const (
	Sync Policy = iota
	Buffered
	Unsafe
)

func (p Policy) String() string {
	switch p {
	case Sync:
		return "sync"
	case Buffered:
		return "buffered"
	case Unsafe:
		return "unsafe"
	}
	return fmt.Sprintf("policy(%d)", int(p))
}

// ParsePolicy reads "sync", "buffered" or "unsafe".
func ParsePolicy(s string) (Policy, error) {
	for _, p := range []Policy{Sync, Buffered, Unsafe} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown policy %q (want sync, buffered or unsafe)", s)
}

// Store is the backing image (power.File in production). A store that
// also has a Size method (power.File does) has every write checked against
// its current size: an image can shrink behind the backend's back, and a
// write past its end must fail, not grow it.
type Store interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
}

// sizer is a Store that knows its current size.
type sizer interface {
	Size() (int64, error)
}

// errShortImage: a write would land past the end of the image, which was
// truncated while the backend was running.
var errShortImage = errors.New("backend: the image is shorter than its capacity (truncated while running?)")

// fits reports whether [off, off+n) lies inside the image as it is now.
func fits(s Store, off int64, n int) error {
	z, ok := s.(sizer)
	if !ok {
		return nil
	}
	size, err := z.Size()
	if err != nil {
		return err
	}
	if off+int64(n) > size {
		return errShortImage
	}
	return nil
}

// Config configures a Device.
type Config struct {
	Policy   Policy
	Store    Store
	Capacity uint64 // sectors
	// Bound is the most dirty bytes the buffered policy may hold (the
	// power supply's bound). Ignored by sync.
	Bound int64
	// FlushBudget, when set, is the time a power-fail flush has (hold-up
	// less detection and margin), and Bandwidth and SyncLatency are the
	// start-up measurement of the image's disk. The buffered policy then
	// also bounds what a flush of the buffer would take by the worst of
	// that measurement and its own recent write-back batches, counting
	// both bytes and pwrites, with the worst recent fdatasync kept free.
	FlushBudget time.Duration
	Bandwidth   float64 // bytes/s
	SyncLatency time.Duration
	// UnsafeLimit caps the unsafe policy's buffer (memory, not
	// durability). Default 256 MiB.
	UnsafeLimit int64
	// UnsafeInterval is how often the unsafe policy writes back. Default 1s.
	UnsafeInterval time.Duration
	// WriteBackAge: the buffered policy starts a write-back batch when its
	// oldest extent is this old (default 25ms) or a quarter of Bound is
	// dirty, whichever comes first. Less keeps the write-back busier (CPU
	// the database wants); more leaves more to write at a power failure,
	// when a stalled disk or vCPU costs the most.
	WriteBackAge time.Duration
	// History seeds the flush cost model (FlushBudget set) with what an
	// earlier backend on the same image measured (see FlushSample).
	History []FlushSample
	Logf    func(format string, args ...any)
}

// Stats are counters for logs and tests.
type Stats struct {
	Requests     int64
	Errors       int64
	Dirty        int64         // bytes buffered now
	DirtyIOs     int64         // pwrites a flush of them would take, at most
	MaxDirty     int64         // most bytes ever buffered at once
	Throttled    int64         // writes that had to wait for the bound
	ThrottleTime time.Duration // total time writes waited
	WrittenBack  int64         // bytes written back
	Batches      int64         // write-back batches
	Runs         int64         // pwrites issued by write-back after coalescing
	Estimate     Estimate      // the flush cost model in force (FlushBudget set)
}

// Device executes requests. Handle is called by one goroutine (the
// doorbell loop); PowerFail and Close may be called from others.
type Device struct {
	cfg Config
	wb  *writeback // nil under sync

	mu      sync.Mutex
	stopped bool
	stats   Stats

	// The image size as last seen by fits, and when (doorbell goroutine
	// only): see write.
	size   int64
	sizeAt time.Time
}

// sizeAge is how long the buffered and unsafe policies trust the image
// size fits saw. An fstat per request cost 1-1.5 µs of an 8 KiB write's
// round trip; the check at the request is a courtesy (the error comes at
// once) there, because their write-back checks the size again before
// every batch (fitsRuns), so a truncated image is never grown and a write
// acknowledged into the buffer after the image shrank is reported when
// the write-back stops, as one acknowledged before it would be.
const sizeAge = time.Millisecond

// New starts a device (and its write-back goroutine for buffered/unsafe).
func New(cfg Config) (*Device, error) {
	if cfg.Store == nil {
		return nil, errors.New("backend: no store")
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.UnsafeLimit == 0 {
		cfg.UnsafeLimit = 256 << 20
	}
	if cfg.UnsafeInterval == 0 {
		cfg.UnsafeInterval = time.Second
	}
	if cfg.WriteBackAge == 0 {
		cfg.WriteBackAge = 25 * time.Millisecond
	}
	d := &Device{cfg: cfg}
	switch cfg.Policy {
	case Sync:
	case Buffered:
		if cfg.Bound < transport.DataSize {
			return nil, fmt.Errorf("backend: dirty bound %d bytes is below one maximal request (%d): the supply cannot protect a buffer", cfg.Bound, transport.DataSize)
		}
		var b *budget
		if cfg.FlushBudget > 0 {
			if cfg.Bandwidth <= 0 {
				return nil, fmt.Errorf("backend: a flush budget needs the measured write bandwidth (got %v bytes/s)", cfg.Bandwidth)
			}
			b = newBudget(cfg.FlushBudget, cfg.Bandwidth, cfg.SyncLatency)
			b.seed(cfg.History)
			if !b.fits(transport.DataSize, 1) {
				return nil, fmt.Errorf("backend: a power-fail flush of one maximal request (%d bytes) would not fit in %v: %v", transport.DataSize, cfg.FlushBudget, b.estimate())
			}
		}
		d.wb = newWriteback(cfg.Store, cfg.Bound, cfg.Bound/4, b, cfg.WriteBackAge, true, cfg.Logf)
	case Unsafe:
		// Lazy, but not so lazy that the buffer grows into a garbage
		// collector workload: write back (without syncing) every 8 MiB
		// or UnsafeInterval.
		d.wb = newWriteback(cfg.Store, cfg.UnsafeLimit, min(8<<20, cfg.UnsafeLimit/2), nil, cfg.UnsafeInterval, false, cfg.Logf)
	default:
		return nil, fmt.Errorf("backend: bad policy %d", cfg.Policy)
	}
	return d, nil
}

// Handle validates and executes one request. window is the DATA window: the
// source of WRITE data, the destination of READ data.
func (d *Device) Handle(req transport.Request, window []byte) transport.ErrCode {
	code := d.handle(req, window)
	d.mu.Lock()
	d.stats.Requests++
	if code != transport.ErrNone {
		d.stats.Errors++
	}
	d.mu.Unlock()
	return code
}

func (d *Device) handle(req transport.Request, window []byte) transport.ErrCode {
	if !req.Enabled {
		return transport.ErrDisabled
	}
	d.mu.Lock()
	stopped := d.stopped
	d.mu.Unlock()
	if stopped {
		return transport.ErrPowerFail
	}
	switch req.Cmd {
	case transport.CmdRead, transport.CmdWrite, transport.CmdWriteFUA:
	case transport.CmdFlush:
		return d.flush()
	default:
		return transport.ErrBadCmd
	}
	if req.Count == 0 || req.Count > transport.MaxSectors {
		return transport.ErrBadCount
	}
	if req.LBA >= d.cfg.Capacity || uint64(req.Count) > d.cfg.Capacity-req.LBA {
		return transport.ErrRange
	}
	n := int(req.Count) * transport.SectorSize
	if len(window) < n {
		return transport.ErrBadCount
	}
	off := int64(req.LBA) * transport.SectorSize
	switch req.Cmd {
	case transport.CmdRead:
		return d.read(req.LBA, off, window[:n])
	case transport.CmdWrite:
		return d.write(req.LBA, off, window[:n], false)
	default:
		return d.write(req.LBA, off, window[:n], true)
	}
}

func (d *Device) read(lba uint64, off int64, dst []byte) transport.ErrCode {
	if d.wb != nil {
		return d.wb.read(lba, off, dst)
	}
	if _, err := d.cfg.Store.ReadAt(dst, off); err != nil {
		// A short read means the image is shorter than its capacity
		// (truncated behind our back).
		return transport.ErrIO
	}
	return transport.ErrNone
}

func (d *Device) write(lba uint64, off int64, src []byte, fua bool) transport.ErrCode {
	if d.wb != nil {
		if err := d.fitsRecent(off, len(src)); err != nil {
			return transport.ErrIO
		}

		// Under buffered, FUA is satisfied by the protected buffer;
		// under unsafe nothing is guaranteed anyway.
		return d.wb.write(lba, src)
	}
	// Write-through: the check must be exact, or a write past the end
	// of a truncated image would grow it.
	if err := fits(d.cfg.Store, off, len(src)); err != nil {
		return transport.ErrIO
	}
	if _, err := d.cfg.Store.WriteAt(src, off); err != nil {
		return errCode(err)
	}
	if fua {
		if err := d.cfg.Store.Sync(); err != nil {
			return errCode(err)
		}
	}
	return transport.ErrNone
}

// fitsRecent is fits against a size at most sizeAge old.
func (d *Device) fitsRecent(off int64, n int) error {
	z, ok := d.cfg.Store.(sizer)
	if !ok {
		return nil
	}
	if now := time.Now(); d.sizeAt.IsZero() || now.Sub(d.sizeAt) > sizeAge || off+int64(n) > d.size {
		size, err := z.Size()
		if err != nil {
			return err
		}
		d.size, d.sizeAt = size, now
	}
	if off+int64(n) > d.size {
		return errShortImage
	}
	return nil
}

func (d *Device) flush() transport.ErrCode {
	if d.wb != nil {
		return transport.ErrNone
	}
	if err := d.cfg.Store.Sync(); err != nil {
		return errCode(err)
	}
	return transport.ErrNone
}

// errPowerFail is the buffer saying "the power is gone".
var errPowerFail = errors.New("backend: power failed")

func errCode(err error) transport.ErrCode {
	if errors.Is(err, errPowerFail) || errors.Is(err, power.ErrPowerLost) {
		return transport.ErrPowerFail
	}
	return transport.ErrIO
}

// PowerFail is the power-fail notice: stop taking requests (they complete
// with POWERFAIL) and, under buffered, write everything buffered to the
// image and fdatasync it. It returns what the flush did and nil, ErrLateSync
// (all writes issued in time, but the final fdatasync was not done by the
// deadline, so the flush made nothing durable) or the error that refused a
// write. Either error means acknowledged data may be lost.
func (d *Device) PowerFail() (FlushStats, error) {
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
	switch d.cfg.Policy {
	case Buffered:
		// The flush is the one thing that must finish before the
		// supply dies: run it on its own OS thread at real-time
		// priority, as a hypervisor would (best effort: needs
		// CAP_SYS_NICE).
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if prev, err := unix.SchedGetAttr(0, 0); err == nil {
			// The thread goes back to the scheduler afterwards: at
			// the priority it came with.
			defer unix.SchedSetAttr(0, prev, 0)
		}
		power.Realtime()
		return d.wb.powerFlush()
	case Unsafe:
		d.wb.stop() // the buffer dies with the power
	}
	return FlushStats{}, nil
}

// Close is an orderly shutdown: stop taking requests, write everything back
// (under every policy) and fdatasync.
func (d *Device) Close() error {
	d.mu.Lock()
	d.stopped = true
	d.mu.Unlock()
	if d.wb != nil {
		return d.wb.drain(true)
	}
	return d.cfg.Store.Sync()
}

// Stats returns a snapshot of the counters.
func (d *Device) Stats() Stats {
	d.mu.Lock()
	s := d.stats
	d.mu.Unlock()
	if d.wb != nil {
		d.wb.addStats(&s)
	}
	return s
}

// FlushHistory returns the flush cost samples inside the model's window,
// oldest first, for a later backend on the same image (Config.History),
// and how many of them this device observed itself: a caller saving them
// can skip the save when that has not changed. Nil without a flush budget.
func (d *Device) FlushHistory() ([]FlushSample, int64) {
	if d.wb == nil || d.wb.flush == nil {
		return nil, 0
	}
	return d.wb.history()
}
