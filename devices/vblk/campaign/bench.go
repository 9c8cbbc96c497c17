package campaign

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/drvsynth/drvsynth/devices/vblk/attach"
	"github.com/drvsynth/drvsynth/devices/vblk/power"
	"github.com/drvsynth/drvsynth/os-interface/block/sqlitevfs"
)

func measure(dir string) (float64, time.Duration, error) {
	return power.Measure(dir, 16<<20)
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
	Log       io.Writer
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
	Bound   int64              `json:"bound_bytes"`
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
// a 100-byte blob, WAL, synchronous=FULL unless stated) on: the vblk device
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
		bw, lat, err := measure(cfg.Dir)
		if err != nil {
			return rep, err
		}
		cfg.Bandwidth, cfg.SyncLat = bw/1e6, lat
	}
	s := power.Supply{Holdup: cfg.Holdup, Detect: cfg.Detect, Margin: cfg.Margin, Bandwidth: cfg.Bandwidth * 1e6, SyncLatency: cfg.SyncLat}
	rep.Supply, rep.Bound = s.String(), s.Bound()
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	logf("supply: %s", rep.Supply)
	for _, policy := range []string{"sync", "buffered", "unsafe"} {
		r, err := benchVblk(cfg, policy)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", policy, err)
		}
		logf("%-9s %8.0f commits/s  p50 %7.1fµs  p99 %7.1fµs", r.Name, r.CommitsPerS, r.P50us, r.P99us)
		rep.Configs = append(rep.Configs, r)
	}
	for _, sync := range []string{"FULL", "OFF"} {
		r, err := benchOS(cfg, sync)
		if err != nil {
			return rep, err
		}
		logf("%-9s %8.0f commits/s  p50 %7.1fµs  p99 %7.1fµs", r.Name, r.CommitsPerS, r.P50us, r.P99us)
		rep.Configs = append(rep.Configs, r)
	}
	b, u, sy := rep.Get("buffered"), rep.Get("unsafe"), rep.Get("sync")
	rep.Ratios = map[string]float64{
		"buffered/unsafe":     b.CommitsPerS / u.CommitsPerS,
		"buffered/sync":       b.CommitsPerS / sy.CommitsPerS,
		"p99 buffered/unsafe": b.P99us / u.P99us,
	}
	return rep, nil
}

func benchVblk(cfg BenchConfig, policy string) (Result, error) {
	image := filepath.Join(cfg.Dir, "bench-"+policy+".img")
	os.Remove(image)
	defer os.Remove(image)
	opts := ServeOpts{Image: image, Policy: policy, Shm: shmPath(cfg.Dir, "bench-"+policy), Sectors: cfg.Sectors,
		Holdup: cfg.Holdup, Detect: cfg.Detect, Margin: cfg.Margin, Bandwidth: cfg.Bandwidth, SyncLat: cfg.SyncLat}
	be, err := StartBackend(cfg.Launcher, opts)
	if err != nil {
		return Result{}, err
	}
	defer os.Remove(opts.Shm)
	ctx := context.Background()
	conn, err := attach.Open(ctx, opts.Shm)
	if err != nil {
		be.Kill()
		return Result{}, err
	}
	db, err := sqlitevfs.OpenDB(ctx, conn)
	if err != nil {
		be.Kill()
		return Result{}, err
	}
	r, err := workload(db.Conn, policy, cfg.Warmup, cfg.Commits)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	conn.Close()
	if serr := be.Stop(); err == nil {
		err = serr
	}
	return r, err
}

func benchOS(cfg BenchConfig, sync string) (Result, error) {
	path := filepath.Join(cfg.Dir, "bench-os.db")
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
	defer func() {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(path + suffix)
		}
	}()
	c, err := sqlite3.Open(path)
	if err != nil {
		return Result{}, err
	}
	defer c.Close()
	if err := c.Exec("PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA synchronous=" + sync); err != nil {
		return Result{}, err
	}
	name := "os-full"
	if sync == "OFF" {
		name = "os-off"
	}
	return workload(c, name, cfg.Warmup, cfg.Commits)
}

// workload times n commits after warm-up ones.
func workload(c *sqlite3.Conn, name string, warmup, n int) (Result, error) {
	if err := c.Exec(Schema); err != nil {
		return Result{}, err
	}
	ins, _, err := c.Prepare(Insert)
	if err != nil {
		return Result{}, err
	}
	defer ins.Close()
	lat := make([]time.Duration, 0, n)
	var id int64
	var start time.Time
	for i := 0; i < warmup+n; i++ {
		if i == warmup {
			start = time.Now()
		}
		id++
		t0 := time.Now()
		if err := ins.BindInt64(1, id); err != nil {
			return Result{}, err
		}
		if err := ins.Exec(); err != nil {
			return Result{}, err
		}
		if i >= warmup {
			lat = append(lat, time.Since(t0))
		}
	}
	total := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Microsecond)
	}
	return Result{Name: name, CommitsPerS: float64(n) / total.Seconds(), P50us: pct(0.50), P99us: pct(0.99),
		Commits: n, Seconds: total.Seconds()}, nil
}
