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
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drvsynth/drvsynth/internal/vblk/attach"
	"github.com/drvsynth/drvsynth/internal/vblk/backend"
	"github.com/drvsynth/drvsynth/internal/vblk/power"
	"github.com/drvsynth/drvsynth/internal/vblk/transport"
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
	holdup := fs.Duration("holdup", 10*time.Millisecond, "power supply hold-up time")
	detect := fs.Duration("detect", time.Millisecond, "power-fail detection delay")
	margin := fs.Duration("margin", time.Millisecond, "safety margin kept out of the flush budget")
	bw := fs.Float64("bandwidth", 0, "write bandwidth in MB/s (0: measure on the image's file system at start-up)")
	syncLat := fs.Duration("fdatasync", 0, "fdatasync latency to reserve (with -bandwidth; 0: measure)")
	shmPath := fs.String("shm", "/dev/shm/drvsynth-vblk", "shared-memory region file")
	create := fs.Uint64("create-sectors", 0, "create or extend the image to this many 512-byte sectors")
	spin := fs.Duration("spin", 0, "spin before sleeping on the doorbell futex (0: default)")
	stalls := fs.Bool("exclude-stalls", false, "measure hold-up in time the machine ran: after a cut, clock gaps >1ms seen by a spinning real-time watcher thread (vCPU descheduled by the host) move the notice and the deadline (costs a CPU during the hold-up)")
	return func() (backend.ServeConfig, power.Supply, error) {
		if *image == "" {
			return backend.ServeConfig{}, power.Supply{}, errors.New("-image is required")
		}
		p, err := backend.ParsePolicy(*policy)
		if err != nil {
			return backend.ServeConfig{}, power.Supply{}, err
		}
		s := power.Supply{Holdup: *holdup, Detect: *detect, Margin: *margin, Bandwidth: *bw * 1e6, SyncLatency: *syncLat, ExcludeStalls: *stalls}
		if s.Bandwidth > 0 && s.SyncLatency == 0 {
			if _, lat, err := power.Measure(dirOf(*image), 1<<20); err == nil {
				s.SyncLatency = lat
			}
		}
		return backend.ServeConfig{Image: *image, Policy: p, Shm: *shmPath, CreateSectors: *create, Spin: *spin}, s, nil
	}
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
	if err := fs.Parse(args); err != nil {
		return exitForParse(err)
	}
	cfg, supply, err := get()
	if err != nil {
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
	if err := backend.Serve(ctx, cfg, p); err != nil {
		fmt.Fprintln(stderr, "vblk serve:", err)
		return 1
	}
	return 0
}

// WorkerMain is the database process of the crash campaign: it attaches to
// the backend, opens SQLite through the VFS, and commits one small
// transaction after another, appending each id to the ack log only after
// COMMIT has returned. It runs until killed (or -n commits).
func WorkerMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vblk worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	shmPath := fs.String("shm", "", "backend's shared-memory region")
	ackPath := fs.String("acks", "", "ack log to append committed ids to")
	n := fs.Int("n", 0, "stop after this many commits (0: run until killed)")
	if err := fs.Parse(args); err != nil {
		return exitForParse(err)
	}
	if err := worker(*shmPath, *ackPath, *n); err != nil {
		fmt.Fprintln(stderr, "vblk worker:", err)
		return 1
	}
	return 0
}

// Schema is the workload's table.
const Schema = `CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v BLOB)`

// Insert is one workload transaction (autocommit: one commit each).
const Insert = `INSERT INTO t(id, v) VALUES(?, randomblob(100))`

func worker(shmPath, ackPath string, n int) error {
	ctx := context.Background()
	conn, err := attach.Open(ctx, shmPath)
	if err != nil {
		return err
	}
	db, err := sqlitevfs.OpenDB(ctx, conn)
	if err != nil {
		return err
	}
	if err := db.Exec(Schema); err != nil {
		return err
	}
	st, _, err := db.Prepare(`SELECT coalesce(max(id), 0) FROM t`)
	if err != nil {
		return err
	}
	st.Step()
	next := st.ColumnInt64(0) + 1
	st.Close()
	acks, err := os.OpenFile(ackPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	ins, _, err := db.Prepare(Insert)
	if err != nil {
		return err
	}
	line := make([]byte, 0, 24)
	for i := 0; n == 0 || i < n; i++ {
		if err := ins.BindInt64(1, next); err != nil {
			return err
		}
		if err := ins.Exec(); err != nil {
			return err
		}
		// One write(2) per ack: a SIGKILL leaves whole lines (or a
		// final partial one, which the checker ignores).
		line = strconv.AppendInt(line[:0], next, 10)
		line = append(line, '\n')
		if _, err := acks.Write(line); err != nil {
			return err
		}
		next++
	}
	ins.Close()
	return db.Close()
}

// exitForParse is the exit code for a flag parse error: 0 for -h, as the go
// tool does, 2 otherwise.
func exitForParse(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
