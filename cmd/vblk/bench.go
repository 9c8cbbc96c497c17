package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/drvsynth/drvsynth/internal/vblk/campaign"
)

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vblk bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	commits := fs.Int("commits", 6000, "timed commits per configuration")
	rounds := fs.Int("rounds", 20, "configurations take turns this many times")
	holdup := fs.Duration("holdup", 10*time.Millisecond, "power supply hold-up time")
	detect := fs.Duration("detect", time.Millisecond, "power-fail detection delay")
	margin := fs.Duration("margin", time.Millisecond, "safety margin")
	bw := fs.Float64("bandwidth", 0, "write bandwidth in MB/s (0: measure)")
	diskLat := fs.Duration("disk-latency", time.Millisecond, "also run the vblk policies with this latency added to every fdatasync, as on a consumer SSD (0: skip)")
	dir := fs.String("dir", "", "work directory (default: a temporary one)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the database side (SQLite, VFS, driver) to this file")
	backendProfile := fs.String("backend-cpuprofile", "", "write a CPU profile of each vblk backend to this path plus .sync, .buffered or .unsafe (the -disk-latency run's overwrite the first run's)")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vblk bench: unexpected argument %q\n", fs.Arg(0))
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
	if *cpuProfile != "" {
		stop, err := campaign.StartCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "vblk bench:", err)
			return 1
		}
		defer stop()
	}
	cfg := campaign.BenchConfig{Launcher: selfLauncher, Dir: work, Commits: *commits, Rounds: *rounds,
		Holdup: *holdup, Detect: *detect, Margin: *margin, Bandwidth: *bw, BackendProfile: *backendProfile}
	if !*asJSON {
		cfg.Log = stderr
	}
	rep, err := campaign.RunBench(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "vblk bench:", err)
		return 1
	}
	if *diskLat > 0 {
		lcfg := cfg
		lcfg.DiskLatency = *diskLat
		lrep, err := campaign.RunBench(lcfg)
		if err != nil {
			fmt.Fprintf(stderr, "vblk bench -disk-latency %v: %v\n", *diskLat, err)
			return 1
		}
		rep.AtDiskLatency = &lrep
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
	printReport(stdout, rep)
	if rep.AtDiskLatency != nil {
		fmt.Fprintln(stdout)
		printReport(stdout, *rep.AtDiskLatency)
	}
	return 0
}

// printReport prints one table with its ratios and the supply.
func printReport(w io.Writer, rep campaign.Report) {
	if rep.DiskLatency > 0 {
		fmt.Fprintf(w, "with %v added to every fdatasync (-disk-latency):\n", rep.DiskLatency)
	}
	fmt.Fprintf(w, "%-9s %12s %10s %10s\n", "config", "commits/s", "p50 µs", "p99 µs")
	for _, c := range rep.Configs {
		fmt.Fprintf(w, "%-9s %12.0f %10.1f %10.1f\n", c.Name, c.CommitsPerS, c.P50us, c.P99us)
	}
	fmt.Fprintf(w, "buffered/unsafe %.2f   buffered/sync %.2f   p99 buffered/unsafe %.2f",
		rep.Ratios["buffered/unsafe"], rep.Ratios["buffered/sync"], rep.Ratios["p99 buffered/unsafe"])
	if r, ok := rep.Ratios["unsafe/os-off"]; ok {
		fmt.Fprintf(w, "   unsafe/os-off %.2f", r)
	}
	fmt.Fprintf(w, "\nsupply: %s\nload average: %s at the start, %s at the end\n", rep.Supply, rep.Load[0], rep.Load[1])
}
