package campaign

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/drvsynth/drvsynth/internal/vblk/attach"
	"github.com/drvsynth/drvsynth/internal/vblk/power"
	"github.com/drvsynth/drvsynth/internal/vblk/transport"
	"github.com/drvsynth/drvsynth/os-interface/block/sqlitevfs"
)

func measure(dir string) (float64, time.Duration, error) {
	return power.MeasureConservative(dir, 16<<20, 3)
}

// BenchConfig configures the commit benchmark.
type BenchConfig struct {
	Launcher  Launcher
	Dir       string
	Commits   int // timed commits per configuration
	Warmup    int
	Sectors   uint64
	Holdup    time.Duration
	Detect    time.Duration
	Margin    time.Duration
	Bandwidth float64 // MB/s; 0 = measure once
	SyncLat   time.Duration
	Rounds    int // configurations take turns this many times (default 10)
	// DiskLatency is added to every fdatasync of the vblk images (the
	// backend's -disk-latency), as a slower disk would. The file-system
	// configurations cannot model it and are left out when it is set.
	DiskLatency time.Duration
	// BackendProfile, when set, makes each vblk backend write a CPU
	// profile to BackendProfile + "." + its policy.
	BackendProfile string
	Log            io.Writer
}

// Result is one configuration's numbers.
type Result struct {
	Name        string  `json:"name"`
	CommitsPerS float64 `json:"commits_per_s"`
	P50us       float64 `json:"p50_us"`
	P99us       float64 `json:"p99_us"`
	Commits     int     `json:"commits"`
	Seconds     float64 `json:"seconds"`
}

// Report is the whole benchmark run.
type Report struct {
	Configs []Result           `json:"configs"`
	Ratios  map[string]float64 `json:"ratios"`
	Supply  string             `json:"supply"`
	// Load is the machine's load average (1, 5 and 15 minutes) when the
	// timed rounds began and when they ended: on a shared machine the
	// ratios mean little without it.
	Load  [2]string `json:"load"`
	Bound int64     `json:"bound_bytes"`
	// DiskLatency is the modelled latency added to every fdatasync.
	DiskLatency time.Duration `json:"disk_latency_ns,omitempty"`
	// AtDiskLatency is the same benchmark's vblk policies with a disk
	// latency, when one was asked for.
	AtDiskLatency *Report `json:"at_disk_latency,omitempty"`
}

// Get returns the named configuration's result.
func (r Report) Get(name string) Result {
	for _, c := range r.Configs {
		if c.Name == name {
			return c
		}
	}
	return Result{}
}

// RunBench runs the same workload (Commits single-row autocommit INSERTs of
// a 100-byte blob, WAL, synchronous=FULL unless stated), interleaved in
// rounds, on: the vblk device
// under sync, buffered and unsafe (backend in its own process, driver +
// VFS + SQLite here), and SQLite on the plain file system with
// synchronous=FULL (os-full) and OFF (os-off).
func RunBench(cfg BenchConfig) (Report, error) {
	var rep Report
	if cfg.Commits == 0 {
		cfg.Commits = 3000
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = 200
	}
	if cfg.Sectors == 0 {
		cfg.Sectors = 1 << 18 // 128 MiB, sparse
	}
	if cfg.Holdup == 0 {
		cfg.Holdup, cfg.Detect, cfg.Margin = 10*time.Millisecond, time.Millisecond, time.Millisecond
	}
	if cfg.Bandwidth == 0 {
		// The backends re-measure from their own write-back and shrink
		// the bound when the disk slows, so this only has to be a
		// moment at which buffering is possible at all: on a loaded
		// machine one fdatasync can take the whole hold-up.
		var bw float64
		var lat time.Duration
		for try := 1; ; try++ {
			var err error
			if bw, lat, err = measure(cfg.Dir); err != nil {
				return rep, err
			}
			s := power.Supply{Holdup: cfg.Holdup, Detect: cfg.Detect, Margin: cfg.Margin, Bandwidth: bw, SyncLatency: lat + cfg.DiskLatency}
			if s.Bound() >= 2*transport.DataSize || try == 5 {
				break
			}
			if cfg.Log != nil {
				fmt.Fprintf(cfg.Log, "measurement %d leaves no bound (%s), measuring again\n", try, s)
			}
			time.Sleep(time.Second)
		}
		cfg.Bandwidth, cfg.SyncLat = bw/1e6, lat
		if cfg.DiskLatency > 0 {
			// What the backend would measure through its latency
			// model: one more latency per fdatasync, one fdatasync
			// per 16 MiB bandwidth pass.
			const pass = 16 << 20
			cfg.Bandwidth = pass / (pass/bw + cfg.DiskLatency.Seconds()) / 1e6
			cfg.SyncLat += cfg.DiskLatency
		}
	}
	rep.DiskLatency = cfg.DiskLatency
	s := power.Supply{Holdup: cfg.Holdup, Detect: cfg.Detect, Margin: cfg.Margin, Bandwidth: cfg.Bandwidth * 1e6, SyncLatency: cfg.SyncLat}
	rep.Supply, rep.Bound = s.String(), s.Bound()
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	logf("supply: %s", rep.Supply)
	if cfg.Rounds == 0 {
		cfg.Rounds = 10
	}
	// Open every configuration first, then run them interleaved in rounds
	// (rotating the order each round), so that whatever else the machine
	// is doing falls on all of them alike.
	var runs []*benchRun
	defer func() {
		for _, r := range runs {
			r.close()
		}
	}()
	for _, policy := range []string{"sync", "buffered", "unsafe"} {
		r, err := openVblk(cfg, policy)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", policy, err)
		}
		runs = append(runs, r)
	}
	for _, sync := range []string{"FULL", "OFF"} {
		if cfg.DiskLatency > 0 {
			break
		}
		r, err := openOS(cfg, sync)
		if err != nil {
			return rep, err
		}
		runs = append(runs, r)
	}
	for _, r := range runs {
		if err := r.prepare(cfg.Warmup); err != nil {
			return rep, fmt.Errorf("%s: %w", r.name, err)
		}
	}
	rep.Load[0] = loadAverage()
	per := max(1, cfg.Commits/cfg.Rounds)
	for round := 0; round < cfg.Rounds; round++ {
		for k := range runs {
			r := runs[(k+round)%len(runs)]
			if err := r.commits(per); err != nil {
				return rep, fmt.Errorf("%s: %w", r.name, err)
			}
		}
	}
	rep.Load[1] = loadAverage()
	for _, r := range runs {
		res := r.result()
		logf("%-9s %8.0f commits/s  p50 %7.1fµs  p99 %7.1fµs", res.Name, res.CommitsPerS, res.P50us, res.P99us)
		if r.region != nil {
			logf("%-9s %v", "", r.region.Wakeups().Sub(r.wake0))
		}
		rep.Configs = append(rep.Configs, res)
	}
	for _, r := range runs {
		if err := r.close(); err != nil {
			return rep, fmt.Errorf("%s: %w", r.name, err)
		}
	}
	runs = nil
	b, u, sy := rep.Get("buffered"), rep.Get("unsafe"), rep.Get("sync")
	rep.Ratios = map[string]float64{
		"buffered/unsafe":     b.CommitsPerS / u.CommitsPerS,
		"buffered/sync":       b.CommitsPerS / sy.CommitsPerS,
		"p99 buffered/unsafe": b.P99us / u.P99us,
	}
	if off := rep.Get("os-off"); off.CommitsPerS > 0 {
		rep.Ratios["unsafe/os-off"] = u.CommitsPerS / off.CommitsPerS
	}
	return rep, nil
}

// benchRun is one configuration: a connection and its latencies.
type benchRun struct {
	name    string
	conn    *sqlite3.Conn
	ins     *sqlite3.Stmt
	id      int64
	lat     []time.Duration
	busy    time.Duration
	closers []func() error
	// region is a vblk configuration's shared region, and wake0 its
	// wake-up counters when the timed commits began.
	region *transport.Region
	wake0  transport.Wakeups
}

func (r *benchRun) prepare(warmup int) error {
	if err := r.conn.Exec(Schema); err != nil {
		return err
	}
	ins, _, err := r.conn.Prepare(Insert)
	if err != nil {
		return err
	}
	r.ins = ins
	r.closers = append([]func() error{ins.Close}, r.closers...)
	if err := r.commits(warmup); err != nil {
		return err
	}
	r.lat, r.busy = r.lat[:0], 0
	if r.region != nil {
		r.wake0 = r.region.Wakeups()
	}
	return nil
}

// commits times n commits.
func (r *benchRun) commits(n int) error {
	start := time.Now()
	for i := 0; i < n; i++ {
		r.id++
		t0 := time.Now()
		if err := r.ins.BindInt64(1, r.id); err != nil {
			return err
		}
		if err := r.ins.Exec(); err != nil {
			return err
		}
		r.lat = append(r.lat, time.Since(t0))
	}
	r.busy += time.Since(start)
	return nil
}

func (r *benchRun) result() Result {
	lat := append([]time.Duration(nil), r.lat...)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Microsecond)
	}
	return Result{Name: r.name, CommitsPerS: float64(len(lat)) / r.busy.Seconds(), P50us: pct(0.50), P99us: pct(0.99),
		Commits: len(lat), Seconds: r.busy.Seconds()}
}

// close releases everything in reverse order of acquisition; idempotent.
func (r *benchRun) close() error {
	var first error
	for _, c := range r.closers {
		if err := c(); err != nil && first == nil {
			first = err
		}
	}
	r.closers = nil
	return first
}

func openVblk(cfg BenchConfig, policy string) (*benchRun, error) {
	image := filepath.Join(cfg.Dir, "bench-"+policy+".img")
	os.Remove(image)
	// Each bench run starts from its own start-up measurement, not from
	// the flush cost history of an earlier run (see backend.FlushSample).
	os.Remove(image + ".flushcost")
	opts := ServeOpts{Image: image, Policy: policy, Shm: shmPath(cfg.Dir, "bench-"+policy), Sectors: cfg.Sectors,
		Holdup: cfg.Holdup, Detect: cfg.Detect, Margin: cfg.Margin, Bandwidth: cfg.Bandwidth, SyncLat: cfg.SyncLat,
		DiskLatency: cfg.DiskLatency}
	if cfg.BackendProfile != "" {
		opts.CPUProfile = cfg.BackendProfile + "." + policy
	}
	be, err := StartBackend(cfg.Launcher, opts)
	if err != nil {
		return nil, err
	}
	r := &benchRun{name: policy}
	r.closers = append(r.closers, func() error {
		err := be.Stop()
		if cfg.Log != nil {
			// What the write-back did and the flush cost model it
			// ended with.
			for _, l := range strings.Split(be.Log(), "\n") {
				if strings.Contains(l, "shut down") || strings.Contains(l, "flush budget") {
					fmt.Fprintf(cfg.Log, "%s backend: %s\n", policy, strings.TrimPrefix(l, "vblk serve: "))
				}
			}
		}
		os.Remove(image)
		os.Remove(image + ".flushcost")
		os.Remove(opts.Shm)
		return err
	})
	ctx := context.Background()
	conn, err := attach.Open(ctx, opts.Shm)
	if err != nil {
		r.close()
		return nil, err
	}
	r.closers = append([]func() error{conn.Close}, r.closers...)
	r.region = conn.Region
	db, err := sqlitevfs.OpenDB(ctx, conn)
	if err != nil {
		r.close()
		return nil, err
	}
	r.closers = append([]func() error{db.Close}, r.closers...)
	r.conn = db.Conn
	return r, nil
}

func openOS(cfg BenchConfig, sync string) (*benchRun, error) {
	name := "os-full"
	if sync == "OFF" {
		name = "os-off"
	}
	path := filepath.Join(cfg.Dir, "bench-"+name+".db")
	clean := func() error {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(path + suffix)
		}
		return nil
	}
	clean()
	c, err := sqlite3.Open(path)
	if err != nil {
		return nil, err
	}
	r := &benchRun{name: name, conn: c, closers: []func() error{c.Close, clean}}
	if err := c.Exec("PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA synchronous=" + sync); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// loadAverage is the first three fields of /proc/loadavg, or "?" where
// there is none.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
