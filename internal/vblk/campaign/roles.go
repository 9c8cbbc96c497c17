// Package campaign runs the vblk system as separate processes — a backend
// ("serve") and a database process ("worker") — and drives them: crash
// campaigns with power cuts and SIGKILLs, and the commit benchmark.
//
// Child processes are started through a Launcher, so the same code runs
// from the vblk binary ("vblk serve|worker ...") and from a
// test binary that re-executes itself.
package campaign

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drvsynth/drvsynth/internal/vblk/attach"
	"github.com/drvsynth/drvsynth/internal/vblk/backend"
	"github.com/drvsynth/drvsynth/internal/vblk/power"
	"github.com/drvsynth/drvsynth/internal/vblk/transport"
	"github.com/drvsynth/drvsynth/os-interface/block"
	"github.com/drvsynth/drvsynth/os-interface/block/sqlitevfs"
)

// Launcher starts child processes in a role ("serve" or "worker").
type Launcher func(role string, args ...string) *exec.Cmd

// RunRole runs a child role in this process and returns its exit code.
func RunRole(role string, args []string, stdout, stderr io.Writer) int {
	switch role {
	case "serve":
		return ServeMain(args, stdout, stderr)
	case "worker":
		return WorkerMain(args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "vblk: unknown role %q\n", role)
	return 2
}

// ServeFlags declares the flags of "vblk serve" on fs.
func ServeFlags(fs *flag.FlagSet) func() (backend.ServeConfig, power.Supply, error) {
	image := fs.String("image", "", "backing image file (required)")
	policy := fs.String("policy", "buffered", "persistence policy: sync, buffered or unsafe")
	holdup := fs.Duration("holdup", 10*time.Millisecond, "power supply hold-up time (10ms: the worst measured ATX supply)")
	detect := fs.Duration("detect", time.Millisecond, "power-fail detection delay")
	margin := fs.Duration("margin", time.Millisecond, "safety margin kept out of the flush budget")
	bw := fs.Float64("bandwidth", 0, "write bandwidth in MB/s (0: measure on the image's file system at start-up)")
	syncLat := fs.Duration("fdatasync", 0, "fdatasync latency to reserve (with -bandwidth; 0: measure)")
	diskLat := fs.Duration("disk-latency", 0, "modelled disk latency added to every fdatasync of the image, the write-back's, the power flush's and the measurement's (1ms: a consumer SSD; 0: off)")
	shmPath := fs.String("shm", "/dev/shm/drvsynth-vblk", "shared-memory region file")
	create := fs.Uint64("create-sectors", 0, "create or extend the image to this many 512-byte sectors")
	spin := fs.Duration("spin", 0, "spin before sleeping on the doorbell futex (0: default)")
	stalls := fs.Bool("exclude-stalls", false, "measure hold-up in time the machine ran: after a cut, clock gaps >1ms seen by a spinning real-time watcher thread (vCPU descheduled by the host) move the notice and the deadline (costs a CPU during the hold-up)")
	seed := fs.Uint64("crash-seed", 0, "seed of the medium model's choice, at a cut, of which unsynced 4 KiB units are kept, dropped or torn (0: from the clock)")
	return func() (backend.ServeConfig, power.Supply, error) {
		if *image == "" {
			return backend.ServeConfig{}, power.Supply{}, errors.New("-image is required")
		}
		p, err := backend.ParsePolicy(*policy)
		if err != nil {
			return backend.ServeConfig{}, power.Supply{}, err
		}
		if *diskLat < 0 {
			return backend.ServeConfig{}, power.Supply{}, fmt.Errorf("-disk-latency %v is negative", *diskLat)
		}
		s := power.Supply{Holdup: *holdup, Detect: *detect, Margin: *margin, Bandwidth: *bw * 1e6, SyncLatency: *syncLat,
			DiskLatency: *diskLat, CrashSeed: *seed, ExcludeStalls: *stalls}
		return backend.ServeConfig{Image: *image, Policy: p, Shm: *shmPath, CreateSectors: *create, Spin: *spin}, s, nil
	}
}

// measureSupply fills in what the supply leaves to measurement, through
// the same disk-latency model the image wrapper applies, and checks that
// the buffered policy has a bound.
func measureSupply(policy backend.Policy, image string, s power.Supply) (power.Supply, error) {
	switch {
	case s.Bandwidth == 0 && policy == backend.Buffered:
		bw, lat, err := power.MeasureWithLatency(dirOf(image), 16<<20, 3, s.DiskLatency)
		if err != nil {
			return s, fmt.Errorf("measuring write bandwidth: %w", err)
		}
		s.Bandwidth, s.SyncLatency = bw, lat
	case s.Bandwidth > 0 && s.SyncLatency == 0:
		_, lat, err := power.MeasureWithLatency(dirOf(image), 1<<20, 1, s.DiskLatency)
		if err != nil {
			return s, fmt.Errorf("measuring fdatasync latency: %w", err)
		}
		s.SyncLatency = lat
	}
	if policy == backend.Buffered {
		if err := s.CheckBound(); err != nil {
			return s, err
		}
	}
	return s, nil
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[:i+1]
		}
	}
	return "."
}

// ServeMain is "vblk serve": run a backend until SIGTERM/SIGINT
// (orderly: write everything back) or SIGUSR1 (a power cut at that instant).
// It prints one "ready" line on stdout once drivers can attach.
func ServeMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vblk serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	get := ServeFlags(fs)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the backend to this file (until it exits)")
	if err := fs.Parse(args); err != nil {
		return exitForParse(err)
	}
	cfg, supply, err := get()
	if err != nil {
		fmt.Fprintln(stderr, "vblk serve:", err)
		return 2
	}
	if *cpuProfile != "" {
		stop, err := StartCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "vblk serve:", err)
			return 1
		}
		defer stop()
	}
	if supply, err = measureSupply(cfg.Policy, cfg.Image, supply); err != nil {
		fmt.Fprintln(stderr, "vblk serve:", err)
		return 2
	}
	return Serve(cfg, supply, stdout, stderr)
}

// Serve runs a configured backend with the signal wiring of ServeMain.
func Serve(cfg backend.ServeConfig, supply power.Supply, stdout, stderr io.Writer) int {
	// The device model runs above the database, as a hypervisor's device
	// backend would: threads created from here on inherit nice -10 (best
	// effort, needs CAP_SYS_NICE).
	_ = unix.Setpriority(unix.PRIO_PROCESS, 0, -10)
	// The power-fail path is a real-time thread running Go code: coming
	// back from its futex wait it needs a P. With GOMAXPROCS at the CPU
	// count both Ps were often held by normal-priority threads the loaded
	// machine had descheduled, and the detector waited for one of them.
	// Spare Ps cost nothing while idle.
	runtime.GOMAXPROCS(4 * runtime.NumCPU())
	// A garbage collection stops every goroutine, the real-time flush
	// included, for as long as the slowest thread takes to stop, and no
	// stall measure sees it: with the default GOGC a collection overlapped
	// the hold-up in 10 of 150 cuts, twice for 3.3 and 3.8 ms (of a 7 ms
	// budget). The live heap is the buffer, a few MiB: collect only near
	// 256 MiB, so a collection comes every few hundred MiB written.
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(min(debug.SetMemoryLimit(-1), 256<<20))
	if supply.CrashSeed == 0 {
		supply.CrashSeed = uint64(time.Now().UnixNano())
	}
	p := power.New(supply)
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	cut := make(chan os.Signal, 1)
	signal.Notify(cut, syscall.SIGUSR1)
	go func() {
		<-cut
		// Drop the region's power-fail line, as a harness does: the
		// backend's real-time detector thread is waiting on it.
		t0 := time.Now()
		if r, err := transport.Open(cfg.Shm); err == nil {
			r.PowerCut(t0)
			r.Close()
		} else {
			p.CutFrom(t0)
		}
	}()
	cfg.Logf = func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	cfg.Ready = func(capacity uint64, bound int64) {
		fmt.Fprintf(stdout, "ready capacity=%d bound=%d\n", capacity, bound)
	}
	err := backend.Serve(ctx, cfg, p)
	// What the cut left on the medium, for the campaign (the image is
	// settled when the backend closes it; Settle only reports then).
	reps, serr := p.Settle()
	for _, r := range reps {
		fmt.Fprintf(stderr, "vblk serve: medium at the cut (seed %d): %v\n", supply.CrashSeed, r)
	}
	if err == nil {
		err = serr
	}
	if err != nil {
		fmt.Fprintln(stderr, "vblk serve:", err)
		return 1
	}
	return 0
}

// WorkerMain is the database process of the crash campaign: it attaches to
// the backend, opens SQLite through the VFS and runs the crash workload
// (see Workload): small commits, now and then a large transaction or a
// checkpoint, appending each commit to the ack log only after COMMIT has
// returned. It runs until killed (or -n commits).
func WorkerMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vblk worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o WorkerOpts
	fs.StringVar(&o.Shm, "shm", "", "backend's shared-memory region")
	fs.StringVar(&o.Acks, "acks", "", "ack log to append committed transactions to")
	fs.IntVar(&o.N, "n", 0, "stop after this many commits (0: run until killed)")
	fs.StringVar(&o.Journal, "journal", "wal", "journal mode: wal or delete")
	fs.Float64Var(&o.BigOdds, "big", 0.02, "odds that a transaction is a large one")
	fs.IntVar(&o.BigMax, "big-max", 8<<20, "largest large transaction, bytes (each is 1 MiB to this)")
	fs.Float64Var(&o.CheckpointOdds, "checkpoint", 0.02, "odds of a checkpoint after a commit (WAL)")
	fs.Uint64Var(&o.Seed, "seed", 0, "workload seed (0: from the clock)")
	fs.StringVar(&o.Mutant, "mutant", "", "run a broken VFS path to show the campaign catches it: noflush (no FLUSH, FUA sent as a plain WRITE)")
	fs.DurationVar(&o.DiskTimeout, "disk-timeout", block.DefaultTimeout, "how long the driver waits for one request of the device")
	if err := fs.Parse(args); err != nil {
		return exitForParse(err)
	}
	if err := worker(o); err != nil {
		fmt.Fprintln(stderr, "vblk worker:", err)
		return 1
	}
	return 0
}

// WorkerOpts configure the crash workload's database process.
type WorkerOpts struct {
	Shm, Acks      string
	N              int
	Journal        string
	BigOdds        float64
	BigMax         int
	CheckpointOdds float64
	Seed           uint64
	Mutant         string
	DiskTimeout    time.Duration // the driver's timeout per request (0: block.DefaultTimeout)
}

// Schema is the workload's table of small commits.
const Schema = `CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v BLOB)`

// Insert is the benchmark's transaction (autocommit: one commit each).
const Insert = `INSERT INTO t(id, v) VALUES(?, randomblob(100))`

// NoFlush is the mutant driver path: it never sends FLUSH and sends FUA
// writes as plain writes. A campaign that passes it cannot detect a
// missing flush.
type NoFlush struct{ block.Device }

// WriteSectorsFUA implements block.Device without force unit access.
func (n NoFlush) WriteSectorsFUA(ctx context.Context, lba uint64, buf []byte) error {
	return n.Device.WriteSectors(ctx, lba, buf)
}

// Flush implements block.Device by doing nothing.
func (NoFlush) Flush(context.Context) error { return nil }

// Mutate wraps dev in the named mutant ("" for none).
func Mutate(dev block.Device, mutant string) (block.Device, error) {
	switch mutant {
	case "":
		return dev, nil
	case "noflush":
		return NoFlush{dev}, nil
	}
	return nil, fmt.Errorf("unknown mutant %q (want noflush)", mutant)
}

func worker(o WorkerOpts) error {
	ctx := context.Background()
	conn, err := attach.Open(ctx, o.Shm, diskTimeout(o.DiskTimeout)...)
	if err != nil {
		return err
	}
	dev, err := Mutate(conn, o.Mutant)
	if err != nil {
		return err
	}
	db, err := sqlitevfs.OpenDB(ctx, dev)
	if err != nil {
		return err
	}
	w, err := OpenWorkload(db, o.Journal)
	if err != nil {
		return err
	}
	next, gen, err := w.Next()
	if err != nil {
		return err
	}
	acks, err := os.OpenFile(o.Acks, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	seed := o.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(seed, 0x776f726b))
	bigMin := min(1<<20, o.BigMax)
	line := make([]byte, 0, 24)
	for i := 0; o.N == 0 || i < o.N; i++ {
		if rng.Float64() < o.BigOdds {
			size := bigMin + rng.IntN(o.BigMax-bigMin+1)
			if err := w.Big(gen, max(1, size/BigRow)); err != nil {
				return err
			}
			line = AppendBig(line[:0], gen)
			gen++
		} else {
			if err := w.Small(next); err != nil {
				return err
			}
			line = AppendSmall(line[:0], next)
			next++
		}
		// One write(2) per ack: a SIGKILL leaves whole lines (or a
		// final partial one, which the checker ignores).
		if _, err := acks.Write(line); err != nil {
			return err
		}
		if o.Journal != "delete" && rng.Float64() < o.CheckpointOdds {
			if err := w.Checkpoint(); err != nil {
				return err
			}
		}
	}
	w.Close()
	return db.Close()
}

// diskTimeout is the attach option for a driver timeout, none for 0 (the
// default).
func diskTimeout(d time.Duration) []attach.Option {
	if d == 0 {
		return nil
	}
	return []attach.Option{attach.WithTimeout(d)}
}

// exitForParse is the exit code for a flag parse error: 0 for -h, as the go
// tool does, 2 otherwise.
func exitForParse(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
