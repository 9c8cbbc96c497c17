package campaign

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/drvsynth/drvsynth/internal/vblk/attach"
	"github.com/drvsynth/drvsynth/internal/vblk/power"
	"github.com/drvsynth/drvsynth/internal/vblk/transport"
	"github.com/drvsynth/drvsynth/os-interface/block/sqlitevfs"
)

// CrashConfig configures a crash campaign.
type CrashConfig struct {
	Launcher Launcher
	Dir      string // work directory (image, ack log)
	Policy   string
	Cuts     int // power cuts (backend and worker die together)
	Kills    int // SIGKILLs of the worker alone
	Sectors  uint64
	Holdup   time.Duration
	Detect   time.Duration
	Margin   time.Duration
	// Bandwidth (MB/s) and SyncLat are measured once if zero and passed to
	// every backend, so each restart does not re-measure.
	Bandwidth float64
	SyncLat   time.Duration
	// DiskLatency is the backends' -disk-latency (and is measured with).
	DiskLatency time.Duration
	// Each event strikes a uniformly random time in [MinRun, MaxRun] after
	// the worker was started (so some land during its start-up).
	MinRun, MaxRun time.Duration
	Seed           uint64
	// ExcludeStalls passes -exclude-stalls to the backends.
	ExcludeStalls bool
	// Journal is the workers' journal mode: "wal", "delete", or "mixed"
	// (the default: each worker start picks one, so the database also
	// goes through switches between them).
	Journal string
	// BigOdds, BigMax and CheckpointOdds tune the workload (see
	// WorkerMain); zero keeps the worker's default.
	BigOdds        float64
	BigMax         int
	CheckpointOdds float64
	// Mutant runs the workers on a broken driver path (see Mutate), to show
	// that the campaign fails it.
	Mutant string
	// DiskTimeout is the driver's timeout per request, in the workers and
	// in the check (0: block.DefaultTimeout). A check that times out
	// counts as corrupt, never as a pass.
	DiskTimeout time.Duration
	// Rotate starts a fresh image every Rotate events (default 100), so
	// the database, and the check that reads all of it, stay small.
	Rotate int
	Log    io.Writer // progress, one line per event; nil for none
}

// CrashResult counts what a campaign saw.
type CrashResult struct {
	Policy      string
	Cuts, Kills int
	Acked       int64 // acknowledged commits checked at the last check (cumulative per image)
	AckedTotal  int64 // sum over all checks of newly acknowledged commits
	Lost        int64 // acknowledged commits missing, summed over events, outside stalls
	LossEvents  int   // events after which something acknowledged was missing, outside stalls
	Corrupt     int   // events after which integrity_check failed or SQLite could not open
	// CheckFailures counts events after which the check could not attach
	// its driver (Init failed): the device did not come back, whatever
	// the data. Never excused by a stall, never an expected loss.
	CheckFailures int
	Wrong         int64 // rows holding bytes never written to them, and torn transactions
	Resets        int   // times the image was recreated after a loss
	// Stalled counts cuts during whose hold-up the host stalled the
	// power-fail path for the whole flush budget or longer (see
	// power.CutReport.Stalled): outside what a bound can promise.
	// Under buffered, what such a cut lost is StalledLost, not Lost.
	Stalled         int
	StalledLost     int64
	StalledLossCuts int
	FlushFailures   int // cuts after which the backend reported its flush refused at the deadline
	LateSyncs       int64
	TornCuts        int // cuts that left at least one torn 4 KiB unit
	ReorderedCuts   int // cuts that kept a unit while losing one written before it
	VolatileUnits   int64
	// WallLate counts cuts whose flush finished in time only because host
	// stalls were excluded from the hold-up (see power.Supply.ExcludeStalls).
	WallLate  int
	Duration  time.Duration
	FirstLoss string // description of the first loss seen
}

// Passed reports zero losses (outside stalls), zero corruption and no row
// holding what was never written.
func (r CrashResult) Passed() bool {
	return r.Lost == 0 && r.Corrupt == 0 && r.LossEvents == 0 && r.Wrong == 0 && r.CheckFailures == 0
}

func (r CrashResult) String() string {
	return fmt.Sprintf("policy=%s cuts=%d kills=%d acked=%d lost=%d loss-events=%d corrupt=%d check-failures=%d wrong=%d stalled=%d stalled-lost=%d stalled-loss-cuts=%d resets=%d flush-failures=%d late-syncs=%d torn-cuts=%d reordered-cuts=%d volatile-units=%d wall-late=%d in %v",
		r.Policy, r.Cuts, r.Kills, r.AckedTotal, r.Lost, r.LossEvents, r.Corrupt, r.CheckFailures, r.Wrong, r.Stalled, r.StalledLost, r.StalledLossCuts, r.Resets,
		r.FlushFailures, r.LateSyncs, r.TornCuts, r.ReorderedCuts, r.VolatileUnits, r.WallLate, r.Duration.Round(time.Millisecond))
}

// RunCrash runs the campaign. Under unsafe a loss is expected: the image is
// then recreated so later events are counted on a sound database.
func RunCrash(cfg CrashConfig) (CrashResult, error) {
	start := time.Now()
	res := CrashResult{Policy: cfg.Policy}
	if cfg.Sectors == 0 {
		cfg.Sectors = 1 << 19 // 256 MiB
	}
	if cfg.Rotate == 0 {
		cfg.Rotate = 100
	}
	if cfg.MaxRun == 0 {
		cfg.MinRun, cfg.MaxRun = 30*time.Millisecond, 200*time.Millisecond
	}
	switch cfg.Journal {
	case "":
		cfg.Journal = "mixed"
	case "mixed", "wal", "delete":
	default:
		return res, fmt.Errorf("unknown journal mode %q (want wal, delete or mixed)", cfg.Journal)
	}
	if _, err := Mutate(nil, cfg.Mutant); err != nil {
		return res, err
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	switch {
	case cfg.Bandwidth == 0:
		// As in RunBench: the backends re-measure from their own
		// write-back (worst recent) and keep what the last one saw, so
		// this only has to find a moment at which a bound exists at
		// all; beside go test one fdatasync here took 8 ms, which
		// leaves a 10 ms supply nothing, and the backends refuse to
		// start.
		for try := 1; ; try++ {
			bw, lat, err := power.MeasureWithLatency(cfg.Dir, 16<<20, 3, cfg.DiskLatency)
			if err != nil {
				return res, err
			}
			cfg.Bandwidth, cfg.SyncLat = bw/1e6, lat
			s := power.Supply{Holdup: cfg.Holdup, Detect: cfg.Detect, Margin: cfg.Margin, Bandwidth: bw, SyncLatency: lat}
			if cfg.Policy != "buffered" || cfg.Holdup == 0 || s.Bound() >= 2*transport.DataSize || try == 5 {
				break
			}
			logf("measurement %d leaves no bound (%s), measuring again", try, s)
			time.Sleep(time.Second)
		}
	case cfg.SyncLat == 0:
		// Once for the campaign, not at every backend start-up.
		_, lat, err := power.MeasureWithLatency(cfg.Dir, 1<<20, 3, cfg.DiskLatency)
		if err != nil {
			return res, err
		}
		cfg.SyncLat = lat
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x76626c6b))
	image := filepath.Join(cfg.Dir, "crash.img")
	acks := filepath.Join(cfg.Dir, "crash.acks")
	opts := ServeOpts{Image: image, Policy: cfg.Policy, Shm: shmPath(cfg.Dir, "crash"), Sectors: cfg.Sectors,
		Holdup: cfg.Holdup, Detect: cfg.Detect, Margin: cfg.Margin, Bandwidth: cfg.Bandwidth, SyncLat: cfg.SyncLat,
		ExcludeStalls: cfg.ExcludeStalls, DiskLatency: cfg.DiskLatency}
	fresh := func() {
		os.Remove(image)
		os.Remove(acks)
	}
	// Every backend gets its own seed for the medium's fates, drawn from
	// the campaign's: a campaign is reproducible up to timing.
	startBackend := func() (*Backend, error) {
		o := opts
		o.CrashSeed = rng.Uint64() | 1
		return StartBackend(cfg.Launcher, o)
	}
	fresh()
	be, err := startBackend()
	if err != nil {
		return res, err
	}
	defer func() {
		if be != nil {
			be.Kill()
		}
		os.Remove(opts.Shm)
	}()
	events := make([]bool, 0, cfg.Cuts+cfg.Kills) // true = power cut
	for range cfg.Cuts {
		events = append(events, true)
	}
	for range cfg.Kills {
		events = append(events, false)
	}
	rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	var ackedBefore int64
	for i, cut := range events {
		journal := cfg.Journal
		if journal == "mixed" {
			journal = [...]string{"wal", "delete"}[rng.IntN(2)]
		}
		wargs := []string{"-shm", opts.Shm, "-acks", acks, "-journal", journal, "-seed", fmt.Sprint(rng.Uint64() | 1)}
		if cfg.BigOdds != 0 {
			wargs = append(wargs, "-big", fmt.Sprint(cfg.BigOdds))
		}
		if cfg.BigMax != 0 {
			wargs = append(wargs, "-big-max", fmt.Sprint(cfg.BigMax))
		}
		if cfg.CheckpointOdds != 0 {
			wargs = append(wargs, "-checkpoint", fmt.Sprint(cfg.CheckpointOdds))
		}
		if cfg.Mutant != "" {
			wargs = append(wargs, "-mutant", cfg.Mutant)
		}
		if cfg.DiskTimeout != 0 {
			wargs = append(wargs, "-disk-timeout", cfg.DiskTimeout.String())
		}
		w := cfg.Launcher("worker", wargs...)
		wlog := &syncBuffer{}
		w.Stderr = wlog
		if err := w.Start(); err != nil {
			return res, err
		}
		wdone := make(chan error, 1)
		go func() { wdone <- w.Wait() }()
		run := cfg.MinRun + time.Duration(rng.Int64N(int64(cfg.MaxRun-cfg.MinRun)+1))
		select {
		case err := <-wdone:
			return res, fmt.Errorf("event %d: worker exited early: %v\n%s", i, err, wlog.String())
		case <-time.After(run):
		}
		// The database process dies at the instant of the event; on a
		// power cut the backend's power-fail line drops at that instant.
		var rg *transport.Region
		if cut {
			// Mapped before the instant, so the cut costs one store and
			// one futex wake.
			if rg, err = transport.Open(opts.Shm); err != nil {
				return res, err
			}
		}
		t0 := time.Now()
		if cut {
			// The line first, then the kill: the database process runs
			// on for the moment the kill takes, as it would on hold-up
			// power (its requests after the notice complete with
			// POWERFAIL). Killing first let a descheduled harness raise
			// the line up to 102 ms after the cut, a late notice the
			// campaign could only count as a stall.
			rg.PowerCut(t0)
		}
		_ = w.Process.Kill()
		if cut {
			rg.Close()
		}
		<-wdone
		kind := "kill"
		var medium cutReport
		if cut {
			kind = "cut"
			res.Cuts++
			if err := be.Wait(30 * time.Second); err != nil {
				// The flush failed (a write refused at the deadline).
				// The check below judges what that cost.
				res.FlushFailures++
				logf("%4d cut: backend: %v", i, err)
				if line := flushLine(be.Log()); line != "" {
					logf("%4d %s", i, line)
				}
			} else if line := flushLine(be.Log()); line != "" {
				if strings.Contains(line, "wall-late") {
					res.WallLate++
				}
				logf("%4d %s", i, line)
			}
			medium = parseCutReport(be.Log())
			if !medium.ok {
				return res, fmt.Errorf("event %d: the backend did not report what the cut left on the medium\n%s", i, be.Log())
			}
			logf("%4d medium: %s", i, medium.line)
			res.VolatileUnits += medium.volatile
			res.LateSyncs += medium.lateSyncs
			if medium.torn > 0 {
				res.TornCuts++
			}
			if medium.reordered {
				res.ReorderedCuts++
			}
			if medium.stalled() {
				res.Stalled++
			}
			if be, err = startBackend(); err != nil {
				return res, err
			}
		} else {
			res.Kills++
		}
		c := check(opts.Shm, acks, cfg.DiskTimeout)
		res.Acked = c.Acked
		res.AckedTotal += c.Acked - ackedBefore
		ackedBefore = c.Acked
		bad := c.err != nil || c.Bad()
		// Under buffered the hold-up is the promise; a cut the host
		// stalled through is outside it and what it cost to the data is
		// counted apart. A device the check cannot attach to is not
		// what a stall costs.
		excused := cut && cfg.Policy == "buffered" && medium.stalled() && !c.unattached
		switch {
		case c.unattached:
			res.CheckFailures++
		case bad && excused:
			res.StalledLost += c.Missing
			res.StalledLossCuts++
		case bad:
			if c.err != nil || !c.Intact {
				res.Corrupt++
			}
			res.Wrong += c.Wrong
			if c.Missing > 0 {
				res.Lost += c.Missing
				res.LossEvents++
			}
		}
		logf("%4d %-4s after %-7v journal=%s acked=%d present=%d missing=%d wrong=%d integrity=%v %s%v",
			i, kind, run.Round(time.Millisecond), journal, c.Acked, c.Present, c.Missing, c.Wrong, c.Intact, c.Detail, errString(c.err))
		if bad && !excused && res.FirstLoss == "" {
			res.FirstLoss = fmt.Sprintf("event %d (%s after %v, journal %s): %d of %d acknowledged commits missing, %d wrong, integrity_check %v: %s %v",
				i, kind, run, journal, c.Missing, c.Acked, c.Wrong, c.Intact, c.Detail, errString(c.err))
			if cut {
				res.FirstLoss += "; medium: " + medium.line
			}
		}
		if bad || (i+1)%cfg.Rotate == 0 {
			// Start over on a fresh image: after a loss so the next
			// events measure the policy, not the damage already done;
			// otherwise to keep the database small.
			if bad {
				be.Kill()
				res.Resets++
			} else if err := be.Stop(); err != nil {
				return res, err
			}
			fresh()
			ackedBefore = 0
			if be, err = startBackend(); err != nil {
				return res, err
			}
		}
	}
	err = be.Stop()
	be = nil
	res.Duration = time.Since(start)
	return res, err
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return "err=" + err.Error()
}

type checkResult struct {
	Verdict
	err error
	// unattached: the driver's Init failed, so nothing of the database
	// was read.
	unattached bool
}

// check reopens the database through a fresh driver and VFS, runs
// integrity_check and verifies every row and every acknowledged commit.
// timeout is the driver's (0: the default).
func check(shm, acks string, timeout time.Duration) checkResult {
	var r checkResult
	var a Acks
	if f, err := os.Open(acks); err == nil {
		a, err = ReadAcks(f)
		f.Close()
		if err != nil {
			r.err = err
			return r
		}
	} else if !os.IsNotExist(err) {
		r.err = err
		return r
	}
	r.Acked = int64(len(a.Small)) + a.Bigs
	ctx := context.Background()
	conn, err := attach.Open(ctx, shm, diskTimeout(timeout)...)
	if err != nil {
		r.err, r.unattached = err, true
		return r
	}
	defer conn.Close()
	db, err := sqlitevfs.OpenDB(ctx, conn)
	if err != nil {
		r.err = err
		return r
	}
	defer db.Close()
	r.Verdict, r.err = Verify(db, a)
	return r
}

// flushLine picks the power-fail flush report out of a backend's log.
func flushLine(log string) string {
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "power-fail flush") {
			return strings.TrimPrefix(l, "vblk serve: ")
		}
	}
	return ""
}

// cutReport is the backend's "medium at the cut" line, parsed.
type cutReport struct {
	ok                        bool
	line                      string
	volatile, torn, lateSyncs int64
	reordered                 bool
	stall, budget             time.Duration
}

func (c cutReport) stalled() bool { return c.budget > 0 && c.stall >= c.budget }

// parseCutReport reads the line Serve prints after a cut (see
// power.CutReport.String).
func parseCutReport(log string) cutReport {
	var c cutReport
	for _, l := range strings.Split(log, "\n") {
		_, rest, found := strings.Cut(l, "vblk serve: medium at the cut")
		if !found {
			continue
		}
		c.ok, c.line = true, strings.TrimPrefix(rest, ": ")
		if _, after, ok := strings.Cut(c.line, "): "); ok {
			c.line = after
		}
		for _, f := range strings.Fields(c.line) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "volatile":
				c.volatile, _ = strconv.ParseInt(v, 10, 64)
			case "torn":
				c.torn, _ = strconv.ParseInt(v, 10, 64)
			case "late-syncs":
				c.lateSyncs, _ = strconv.ParseInt(v, 10, 64)
			case "reordered":
				c.reordered = v == "true"
			case "stall":
				c.stall, _ = time.ParseDuration(v)
			case "budget":
				c.budget, _ = time.ParseDuration(v)
			}
		}
	}
	return c
}
