package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/drvsynth/drvsynth/internal/vblk/campaign"
)

// selfLauncher runs this binary's "vblk <role>" in a child process.
func selfLauncher(role string, args ...string) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	cmd := exec.Command(self, append([]string{role}, args...)...)
	// Tells a test binary standing in for vblk to act as the command.
	cmd.Env = append(os.Environ(), "VBLK_CHILD=1")
	return cmd
}

func runCrashtest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vblk crashtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	policies := fs.String("policy", "buffered,sync,unsafe", "comma-separated policies to run the campaign under")
	cuts := fs.Int("cuts", 1000, "power cuts per policy")
	kills := fs.Int("kills", 100, "SIGKILLs of the database process per policy")
	// 16 ms is what the ATX spec asks of a supply. On a shared 2-vCPU VM a
	// single pwrite can stall for 10-25 ms when the host deschedules the
	// vCPU, so 10 ms leaves no room for one such stall during a flush.
	holdup := fs.Duration("holdup", 16*time.Millisecond, "power supply hold-up time (ATX spec: 16ms)")
	detect := fs.Duration("detect", time.Millisecond, "power-fail detection delay")
	margin := fs.Duration("margin", 2*time.Millisecond, "safety margin")
	bw := fs.Float64("bandwidth", 0, "write bandwidth in MB/s (0: measure once)")
	minRun := fs.Duration("min-run", 30*time.Millisecond, "earliest event after the database process starts")
	maxRun := fs.Duration("max-run", 200*time.Millisecond, "latest event after the database process starts")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "random seed")
	dir := fs.String("dir", "", "work directory (default: a temporary one)")
	verbose := fs.Bool("v", false, "print one line per event")
	stalls := fs.Bool("exclude-stalls", false, "pass -exclude-stalls to the backends (see vblk serve -h)")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vblk crashtest: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	work := *dir
	if work == "" {
		d, err := os.MkdirTemp("", "vblk-crashtest-")
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer os.RemoveAll(d)
		work = d
	}
	fmt.Fprintf(stdout, "seed %d\n", *seed)
	failed := false
	for _, p := range splitComma(*policies) {
		cfg := campaign.CrashConfig{Launcher: selfLauncher, Dir: work, Policy: p, Cuts: *cuts, Kills: *kills,
			Holdup: *holdup, Detect: *detect, Margin: *margin, Bandwidth: *bw, MinRun: *minRun, MaxRun: *maxRun, Seed: *seed, ExcludeStalls: *stalls}
		if p == "unsafe" {
			// Unsafe is run to show that the campaign detects losses;
			// a third of the cuts is plenty.
			cfg.Cuts, cfg.Kills = max(1, *cuts/3), *kills/3
		}
		if *verbose {
			cfg.Log = stdout
		}
		res, err := campaign.RunCrash(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "vblk crashtest %s: %v\n", p, err)
			return 1
		}
		verdict := "PASS: no acknowledged commit lost"
		switch {
		case p == "unsafe" && !res.Passed():
			verdict = "EXPECTED LOSS: unsafe lost acknowledged commits (the campaign can fail)"
		case p == "unsafe":
			verdict = "FAIL: unsafe lost nothing — the campaign did not show it can detect a loss"
			failed = true
		case !res.Passed():
			verdict = "FAIL: " + res.FirstLoss
			failed = true
		}
		fmt.Fprintf(stdout, "%s\n  %s\n", res, verdict)
	}
	if failed {
		return 1
	}
	return 0
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
