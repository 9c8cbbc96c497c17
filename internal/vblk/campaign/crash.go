package campaign

import (
	"bufio"
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
	// Each event strikes a uniformly random time in [MinRun, MaxRun] after
	// the worker was started (so some land during its start-up).
	MinRun, MaxRun time.Duration
	Seed           uint64
	// ExcludeStalls passes -exclude-stalls to the backends.
	ExcludeStalls bool
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
	Lost        int64 // acknowledged commits missing, summed over events
	LossEvents  int   // events after which something acknowledged was missing
	Corrupt     int   // events after which integrity_check failed or SQLite could not open
	Resets      int   // times the image was recreated after a loss
	// FlushFailures counts cuts after which the backend reported that a
	// write of its power-fail flush was refused (the deadline passed).
	FlushFailures int
	// WallLate counts cuts whose flush finished in time only because host
	// stalls were excluded from the hold-up (see power.Supply.ExcludeStalls).
	WallLate  int
	Duration  time.Duration
	FirstLoss string // description of the first loss seen
}

// Passed reports zero losses and zero corruption.
func (r CrashResult) Passed() bool { return r.Lost == 0 && r.Corrupt == 0 && r.LossEvents == 0 }

func (r CrashResult) String() string {
	return fmt.Sprintf("policy=%s cuts=%d kills=%d acked=%d lost=%d loss-events=%d corrupt=%d resets=%d flush-failures=%d wall-late=%d in %v",
		r.Policy, r.Cuts, r.Kills, r.AckedTotal, r.Lost, r.LossEvents, r.Corrupt, r.Resets, r.FlushFailures, r.WallLate, r.Duration.Round(time.Millisecond))
}

// RunCrash runs the campaign. Under unsafe a loss is expected: the image is
// then recreated so later events are counted on a sound database.
func RunCrash(cfg CrashConfig) (CrashResult, error) {
	start := time.Now()
	res := CrashResult{Policy: cfg.Policy}
	if cfg.Sectors == 0 {
		cfg.Sectors = 1 << 19 // 256 MiB, sparse
	}
	if cfg.Rotate == 0 {
		cfg.Rotate = 100
	}
	if cfg.MaxRun == 0 {
		cfg.MinRun, cfg.MaxRun = 30*time.Millisecond, 200*time.Millisecond
	}
	if cfg.Bandwidth == 0 {
		bw, lat, err := measure(cfg.Dir)
		if err != nil {
			return res, err
		}
		cfg.Bandwidth, cfg.SyncLat = bw/1e6, lat
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x76626c6b))
	image := filepath.Join(cfg.Dir, "crash.img")
	acks := filepath.Join(cfg.Dir, "crash.acks")
	opts := ServeOpts{Image: image, Policy: cfg.Policy, Shm: shmPath(cfg.Dir, "crash"), Sectors: cfg.Sectors,
		Holdup: cfg.Holdup, Detect: cfg.Detect, Margin: cfg.Margin, Bandwidth: cfg.Bandwidth, SyncLat: cfg.SyncLat, ExcludeStalls: cfg.ExcludeStalls}
	fresh := func() {
		os.Remove(image)
		os.Remove(acks)
	}
	fresh()
	be, err := StartBackend(cfg.Launcher, opts)
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
		w := cfg.Launcher("worker", "-shm", opts.Shm, "-acks", acks)
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
		// power cut the backend gets its notice at the same instant.
		var rg *transport.Region
		if cut {
			// Mapped before the instant, so the cut costs one store and
			// one futex wake.
			if rg, err = transport.Open(opts.Shm); err != nil {
				return res, err
			}
		}
		t0 := time.Now()
		_ = w.Process.Kill()
		if cut {
			rg.PowerCut(t0)
			rg.Close()
		}
		<-wdone
		kind := "kill"
		if cut {
			kind = "cut"
			res.Cuts++
			if err := be.Wait(30 * time.Second); err != nil {
				// The flush failed (a write refused at the deadline).
				// The check below judges what that cost.
				res.FlushFailures++
				logf("%4d cut: backend: %v", i, err)
			} else if line := flushLine(be.Log()); line != "" {
				if strings.Contains(line, "wall-late") {
					res.WallLate++
				}
				logf("%4d %s", i, line)
			}
			if be, err = StartBackend(cfg.Launcher, opts); err != nil {
				return res, err
			}
		} else {
			res.Kills++
		}
		c := check(opts.Shm, acks)
		res.Acked = c.acked
		res.AckedTotal += c.acked - ackedBefore
		ackedBefore = c.acked
		if c.err != nil || !c.intact {
			res.Corrupt++
		}
		if c.missing > 0 {
			res.Lost += c.missing
			res.LossEvents++
		}
		bad := c.err != nil || !c.intact || c.missing > 0
		logf("%4d %-4s after %-7v acked=%d present=%d missing=%d integrity=%v %v",
			i, kind, run.Round(time.Millisecond), c.acked, c.present, c.missing, c.intact, errString(c.err))
		if bad && res.FirstLoss == "" {
			res.FirstLoss = fmt.Sprintf("event %d (%s after %v): %d of %d acknowledged commits missing, integrity_check %v %v",
				i, kind, run, c.missing, c.acked, c.intact, errString(c.err))
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
			if be, err = StartBackend(cfg.Launcher, opts); err != nil {
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
	acked, present, missing int64
	intact                  bool
	err                     error
}

// check reopens the database through a fresh driver and VFS, runs
// integrity_check and looks up every acknowledged id.
func check(shm, acks string) checkResult {
	var r checkResult
	ctx := context.Background()
	conn, err := attach.Open(ctx, shm)
	if err != nil {
		r.err = err
		return r
	}
	defer conn.Close()
	db, err := sqlitevfs.OpenDB(ctx, conn)
	if err != nil {
		r.err = err
		return r
	}
	defer db.Close()
	if err := db.Exec(Schema); err != nil {
		r.err = err
		return r
	}
	st, _, err := db.Prepare(`PRAGMA integrity_check`)
	if err != nil {
		r.err = err
		return r
	}
	if st.Step() {
		r.intact = st.ColumnText(0) == "ok"
	}
	st.Close()
	present := map[int64]bool{}
	st, _, err = db.Prepare(`SELECT id FROM t`)
	if err != nil {
		r.err = err
		return r
	}
	for st.Step() {
		present[st.ColumnInt64(0)] = true
	}
	if err := st.Close(); err != nil {
		r.err = err
	}
	r.present = int64(len(present))
	f, err := os.Open(acks)
	if err != nil {
		if !os.IsNotExist(err) {
			r.err = err
		}
		return r
	}
	defer f.Close()
	br := bufio.NewReader(f)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			break // EOF, or a last line cut short by the kill: not an ack
		}
		id, perr := strconv.ParseInt(line[:len(line)-1], 10, 64)
		if perr != nil {
			continue
		}
		r.acked++
		if !present[id] {
			r.missing++
		}
	}
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
