package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/drvsynth/drvsynth/devices/vblk/campaign"
)

func init() {
	register(&command{
		name:  "bench",
		args:  "vblk [-json] [-commits N]",
		short: "benchmark SQLite commits on the vblk device under each policy",
		long: `
bench vblk runs the same workload — single-row INSERT transactions, WAL,
synchronous=FULL, one FLUSH per commit — through the vblk driver, the SQLite
VFS and a backend in its own process under the sync, buffered and unsafe
policies, then on the plain OS file system with synchronous=FULL (os-full)
and OFF (os-off), and prints commits/s, p50 and p99 commit latency and the
ratios buffered/unsafe and buffered/sync. -json prints one JSON object with
a "configs" array instead.`,
		run: runBench,
	})
}

func runBench(_ *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "vblk" {
		fmt.Fprintln(stderr, "usage: drvsynth bench vblk [-json] [-commits N]")
		return 2
	}
	fs := flag.NewFlagSet("bench vblk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	commits := fs.Int("commits", 6000, "timed commits per configuration")
	rounds := fs.Int("rounds", 20, "configurations take turns this many times")
	holdup := fs.Duration("holdup", 10*time.Millisecond, "power supply hold-up time")
	detect := fs.Duration("detect", time.Millisecond, "power-fail detection delay")
	margin := fs.Duration("margin", time.Millisecond, "safety margin")
	bw := fs.Float64("bandwidth", 0, "write bandwidth in MB/s (0: measure)")
	dir := fs.String("dir", "", "work directory (default: a temporary one)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	work := *dir
	if work == "" {
		d, err := os.MkdirTemp("", "vblk-bench-")
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer os.RemoveAll(d)
		work = d
	}
	cfg := campaign.BenchConfig{Launcher: selfLauncher, Dir: work, Commits: *commits, Rounds: *rounds,
		Holdup: *holdup, Detect: *detect, Margin: *margin, Bandwidth: *bw}
	if !*asJSON {
		cfg.Log = stderr
	}
	rep, err := campaign.RunBench(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "bench vblk:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "%-9s %12s %10s %10s\n", "config", "commits/s", "p50 µs", "p99 µs")
	for _, c := range rep.Configs {
		fmt.Fprintf(stdout, "%-9s %12.0f %10.1f %10.1f\n", c.Name, c.CommitsPerS, c.P50us, c.P99us)
	}
	fmt.Fprintf(stdout, "buffered/unsafe %.2f   buffered/sync %.2f   p99 buffered/unsafe %.2f\n",
		rep.Ratios["buffered/unsafe"], rep.Ratios["buffered/sync"], rep.Ratios["p99 buffered/unsafe"])
	fmt.Fprintf(stdout, "supply: %s\n", rep.Supply)
	return 0
}
