package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drvsynth/drvsynth/internal/vblk/power"
	"github.com/drvsynth/drvsynth/internal/vblk/transport"
)

// doorbellSpin is how long the doorbell thread spins for the next doorbell
// after the driver has read a completion, before it sleeps in FUTEX_WAIT
// (transport.Region.WaitDoorbell). Back-to-back commits ring 5-10 µs
// apart; a driver that has not rung within 50 µs has been preempted. Side
// by side in one bench (load average 11-13), 50 or 100 µs instead of the
// driver's 20 µs cut the doorbells that had to wake the backend from
// 0.06-0.13 to 0.03-0.05 per request, each a futex wake-up of tens of
// microseconds on the commit's path.
const doorbellSpin = 50 * time.Microsecond

// ServeConfig is what "vblk serve" needs.
type ServeConfig struct {
	Image         string
	Policy        Policy
	Supply        power.Supply // Bandwidth 0: measure at start-up
	Shm           string       // path of the shared region
	CreateSectors uint64       // create/extend the image to this many sectors
	Spin          time.Duration
	Logf          func(format string, args ...any)
	// Ready is called once the region is up and the device online.
	Ready func(capacity uint64, bound int64)
}

// PrepareImage creates the image if needed and extends it to sectors. New
// space is written with zeros and synced rather than left sparse: writing
// into a hole makes the next fdatasync commit file-system metadata, which
// costs several milliseconds and would blow the power-fail budget that the
// bandwidth measurement (done on overwrites) promised.
func PrepareImage(path string, sectors uint64) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	want := int64(sectors) * transport.SectorSize
	if st.Size() >= want {
		return nil
	}
	zero := make([]byte, 1<<20)
	for off := st.Size(); off < want; {
		n := min(int64(len(zero)), want-off)
		if _, err := f.WriteAt(zero[:n], off); err != nil {
			return err
		}
		off += n
	}
	return f.Sync()
}

// lockImage takes an exclusive flock on the image (creating it if create
// is set) for as long as the returned file stays open: one backend per
// image.
func lockImage(path string, create bool) (*os.File, error) {
	flags := os.O_RDWR
	if create {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("image %s is in use by another vblk backend", path)
		}
		return nil, fmt.Errorf("locking image %s: %w", path, err)
	}
	return f, nil
}

// Serve runs a backend until ctx ends (orderly shutdown: everything written
// back) or the power fails (the policy's power-fail action, then return).
// p is the power supply; Serve fills in a measured bandwidth if p has none.
func Serve(ctx context.Context, cfg ServeConfig, p *power.Power) error {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	lock, err := lockImage(cfg.Image, cfg.CreateSectors > 0)
	if err != nil {
		return err
	}
	defer lock.Close()
	if cfg.CreateSectors > 0 {
		if err := PrepareImage(cfg.Image, cfg.CreateSectors); err != nil {
			return err
		}
	}
	if p.Bandwidth == 0 && cfg.Policy == Buffered {
		bw, lat, err := power.MeasureFor(cfg.Image)
		if err != nil {
			return fmt.Errorf("measuring write bandwidth: %w", err)
		}
		p.Bandwidth, p.SyncLatency = bw, lat
	}
	if cfg.Policy == Buffered {
		logf("vblk serve: power supply %v", p.Supply)
	}
	f, err := power.OpenFile(cfg.Image, p)
	if err != nil {
		return err
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return err
	}
	capacity := uint64(size) / transport.SectorSize
	if size%transport.SectorSize != 0 {
		logf("vblk serve: image %s is %d bytes, not a whole number of sectors; capacity %d sectors", cfg.Image, size, capacity)
	}
	dcfg := Config{Policy: cfg.Policy, Store: f, Capacity: capacity, Bound: p.Bound(), Logf: logf}
	history := historyPath(cfg.Image)
	if cfg.Policy == Buffered {
		if h, err := loadHistory(history); err != nil {
			logf("vblk serve: ignoring the flush cost history %s: %v", history, err)
		} else {
			dcfg.History = h
		}
		if p.Bound() <= 0 {
			return fmt.Errorf("power supply %v: no dirty data can be protected (bandwidth %.1f MB/s and fdatasync %v leave a budget of %v)", p.Supply, p.Bandwidth/1e6, p.SyncLatency, p.Budget())
		}
		dcfg.FlushBudget = p.Holdup - p.Detect - p.Margin
		dcfg.Bandwidth, dcfg.SyncLatency = p.Bandwidth, p.SyncLatency
	}
	dev, err := New(dcfg)
	if err != nil {
		return fmt.Errorf("power supply %v: %w", p.Supply, err)
	}
	if len(dcfg.History) > 0 {
		logf("vblk serve: %d flush cost samples of the last backend on this image: %v", len(dcfg.History), dev.Stats().Estimate)
	}
	// stopSaving ends the periodic save of the flush cost history and
	// waits for it, so the final save is the last word.
	stopSaving := func() {}
	if cfg.Policy == Buffered {
		done, exited := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(exited)
			keepHistory(dev, history, done, logf)
		}()
		var once sync.Once
		stopSaving = func() {
			once.Do(func() {
				close(done)
				<-exited
			})
		}
	}
	defer stopSaving()
	r, err := transport.Create(cfg.Shm)
	if err != nil {
		dev.Close()
		return err
	}
	defer os.Remove(cfg.Shm)
	defer r.Close()
	r.Spin = doorbellSpin
	if cfg.Spin != 0 {
		r.Spin = cfg.Spin
	}
	r.SetIdentity(capacity)
	// Read the counter before the device goes online: a doorbell can ring
	// as soon as READY is visible.
	last := r.Doorbells()
	// The power-fail path runs on the thread that detects the cut (see
	// power.Power.OnNotice). The driver's process died with the cut; a
	// request still in flight completes with POWERFAIL or never.
	var pf struct {
		fs            FlushStats
		err           error
		noticeAt, end time.Time
		done          bool
	}
	powerFail := func() {
		r.SetOnline(false)
		pf.noticeAt = time.Now()
		pf.fs, pf.err = dev.PowerFail()
		pf.end = time.Now()
		pf.done = true
	}
	p.OnNotice = powerFail
	p.ArmWith(r.WaitPowerCut)
	r.SetOnline(true)
	logf("vblk serve: %s, policy %v, %d sectors, region %s", cfg.Image, cfg.Policy, capacity, cfg.Shm)
	if cfg.Ready != nil {
		cfg.Ready(capacity, p.Bound())
	}

	stop := func() bool {
		select {
		case <-ctx.Done():
			return true
		case <-p.Notice():
			return true
		default:
			return false
		}
	}
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		// The doorbell thread is the device: it answers without waiting
		// for the CPU scheduler to get round to it (a futex wake of a
		// normal thread on a loaded machine took ~48 µs of a commit's
		// round trip). Its spin is bounded (r.Spin per request), and it
		// sits below the power-fail path's priority. The thread is the
		// region's alone: when it finds it took the driver's CPU it moves
		// off it (transport.Region.DedicateThread).
		// Never unlocked: the thread ends with the goroutine instead of
		// going back to the scheduler at real-time priority.
		runtime.LockOSThread()
		realtime(doorbellPriority)
		r.DedicateThread()
		for {
			seq, err := r.WaitDoorbell(last, stop)
			if err != nil {
				return
			}
			last = seq
			r.Serve(dev.Handle)
		}
	}()

	select {
	case <-p.Notice():
		if !pf.done { // cut before the hook was installed
			powerFail()
		}
		fs, err, noticeAt, end := pf.fs, pf.err, pf.noticeAt, pf.end
		deadline, _ := p.Deadline()
		st := dev.Stats()
		wall := ""
		if wd, _ := p.WallDeadline(); end.After(wd) {
			// Reported so that a campaign can count what stall
			// exclusion changed.
			wall = fmt.Sprintf(" wall-late %v;", end.Sub(wd))
		}
		logf("vblk serve: power-fail flush (%v): %d bytes; lock %v, waited %v, wrote in %v, fdatasync %v; done %v after the notice, %v before the deadline; stalls excluded %v;%s%s max dirty %d of bound %d; %v; %v",
			cfg.Policy, fs.Bytes, fs.Lock, fs.Waited, fs.Write, fs.Sync, end.Sub(noticeAt), deadline.Sub(end), p.Stalled(), wall, noticePath(p, r)+gcPauses(p, end), st.MaxDirty, p.Bound(), st.Estimate, errOr(err, "ok"))
		r.WakeBackend()
		<-loopDone
		if cfg.Policy == Buffered {
			stopSaving()
			saveHistory(dev, history, logf)
		}
		if errors.Is(err, ErrLateSync) {
			// The final fdatasync ended after the deadline, so it made
			// nothing durable: the medium model decides, unit by unit,
			// what of the flush's writes survives, and the check after
			// the restart counts what was lost. Reported above; not a
			// failure of serve itself, which did all it could.
			return nil
		}
		return err
	case <-ctx.Done():
		r.WakeBackend()
		<-loopDone
		r.SetOnline(false)
		err := dev.Close()
		st := dev.Stats()
		logf("vblk serve: shut down: %d requests, %d errors, %d bytes written back in %d batches (%d pwrites), max dirty %d, %d throttled (%v)",
			st.Requests, st.Errors, st.WrittenBack, st.Batches, st.Runs, st.MaxDirty, st.Throttled, st.ThrottleTime)
		if cfg.Policy == Buffered {
			logf("vblk serve: %v", st.Estimate)
			stopSaving()
			saveHistory(dev, history, logf)
		}
		return err
	}
}

// noticePath says where the time from the cut to the notice went: to the
// harness raising the line, and to the detector thread coming back from
// its wait (the kernel waking it, then the Go runtime giving it a P).
func noticePath(p *power.Power, r *transport.Region) string {
	cut, _ := p.CutAt()
	raised := r.PowerRaised()
	woke, runq := p.Woke()
	if raised.IsZero() || woke.IsZero() {
		return ""
	}
	return fmt.Sprintf(" line raised %v after the cut, detector back %v after that (%v of it runnable);", raised.Sub(cut), woke.Sub(raised), runq)
}

// gcPauses reports the Go garbage collector's stop-the-world pauses that
// overlapped the hold-up from the cut to end: they stop the real-time
// flush as surely as a descheduled CPU, and no stall measure sees them.
func gcPauses(p *power.Power, end time.Time) string {
	cut, ok := p.CutAt()
	if !ok {
		return ""
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	n, total := 0, time.Duration(0)
	for i := range min(ms.NumGC, uint32(len(ms.PauseEnd))) {
		k := (ms.NumGC - 1 - i) % uint32(len(ms.PauseEnd))
		pe := time.Unix(0, int64(ms.PauseEnd[k]))
		ps := pe.Add(-time.Duration(ms.PauseNs[k]))
		if pe.Before(cut) {
			break
		}
		if ps.Before(end) {
			n++
			total += time.Duration(ms.PauseNs[k])
		}
	}
	return fmt.Sprintf(" %d GC pauses in the hold-up (%v);", n, total)
}

func errOr(err error, ok string) string {
	if err == nil {
		return ok
	}
	return err.Error()
}

// historyPath is where a backend keeps its flush cost samples for the next
// backend on the same image (see FlushSample).
func historyPath(image string) string { return image + ".flushcost" }

// loadHistory reads saved samples; a missing file is no history.
func loadHistory(path string) ([]FlushSample, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var h []FlushSample
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// keepHistory saves the samples every 100 ms while they change, until
// done: a backend that dies without an orderly shutdown still leaves what
// it measured up to then. The file is advisory (written and renamed, not
// synced): losing it only costs the next backend its head start.
func keepHistory(dev *Device, path string, done <-chan struct{}, logf func(string, ...any)) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	var saved int64
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if _, n := dev.FlushHistory(); n != saved {
				saveHistory(dev, path, logf)
				saved = n
			}
		}
	}
}

func saveHistory(dev *Device, path string, logf func(string, ...any)) {
	h, _ := dev.FlushHistory()
	b, err := json.Marshal(h)
	if err == nil {
		tmp := path + ".tmp"
		if err = os.WriteFile(tmp, b, 0o644); err == nil {
			err = os.Rename(tmp, path)
		}
	}
	if err != nil {
		logf("vblk serve: saving the flush cost history: %v", err)
	}
}
