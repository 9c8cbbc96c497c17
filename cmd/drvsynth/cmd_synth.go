package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drvsynth/drvsynth/synth"
	"github.com/drvsynth/drvsynth/synth/gen"
	"github.com/drvsynth/drvsynth/synth/solve"
)

func init() {
	var out string
	var stats, verbose bool
	var maxBeliefs int
	register(&command{
		name:  "synth",
		args:  "[-o DIR] [-stats] [-v] [SPEC.dev ...]",
		short: "synthesize drivers from device specs",
		long: `Synth solves, for every method of the device's class, the game between the
driver and the device, and writes the winning strategy as a Go package:
generated/<device>/<device>.go unless -o says otherwise.

With no SPEC, synth regenerates every driver listed in generated/drivers.txt.
When a method has no winning strategy, synth prints the device's spoiling
answers step by step, with spec positions, and exits 1.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&out, "o", "", "output `directory` (only with one SPEC; default generated/<device>)")
			fs.BoolVar(&stats, "stats", false, "print beliefs, edges, worst-case accesses and time per method")
			fs.BoolVar(&verbose, "v", false, "print each method's strategy")
			fs.IntVar(&maxBeliefs, "max-beliefs", 0, "bound the beliefs of one method's game (0: the solver's default)")
		},
		run: func(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
			root, err := repoRoot()
			if err != nil {
				fmt.Fprintln(stderr, "drvsynth synth:", err)
				return 1
			}
			if len(args) == 0 {
				if args, err = bundledDrivers(root); err != nil {
					fmt.Fprintln(stderr, "drvsynth synth:", err)
					return 1
				}
			}
			if out != "" && len(args) > 1 {
				fmt.Fprintln(stderr, "drvsynth synth: -o needs exactly one SPEC")
				return 2
			}
			status := 0
			for _, spec := range args {
				if err := synthOne(root, spec, out, stats, verbose, maxBeliefs, stdout); err != nil {
					fmt.Fprintln(stderr, err)
					status = 1
				}
			}
			return status
		},
	})
}

// synthOne synthesizes one device spec and writes its package.
func synthOne(root, spec, out string, stats, verbose bool, maxBeliefs int, stdout io.Writer) error {
	start := time.Now()
	res, err := synth.Build(spec, solve.Options{MaxBeliefs: maxBeliefs})
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(root, mustAbs(spec))
	if err != nil {
		rel = spec
	}
	src, err := gen.Generate(res, rel)
	if err != nil {
		return fmt.Errorf("%s: %w", spec, err)
	}
	if out == "" {
		out = filepath.Join(root, "generated", res.Model.Name)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(out, res.Model.Name+".go")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		return err
	}
	if stats {
		fmt.Fprintf(stdout, "%s: %s; idle invariant %d states\n", rel, res.Model.Describe(), res.IdleStates)
		fmt.Fprintf(stdout, "  %-16s %8s %8s %8s %10s\n", "method", "beliefs", "edges", "accesses", "time")
		for _, st := range res.Methods {
			fmt.Fprintf(stdout, "  %-16s %8d %8d %8d %10s\n", st.Method.Name, st.Stats.Beliefs, st.Stats.Edges, st.Stats.Rank, st.Stats.Time.Round(time.Microsecond))
		}
		fmt.Fprintf(stdout, "  total %s -> %s\n", time.Since(start).Round(time.Millisecond), path)
	}
	if verbose {
		for _, st := range res.Methods {
			fmt.Fprintf(stdout, "== %s\n%s", st.Method.Name, st.Dump())
		}
	}
	return nil
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// repoRoot finds the directory holding go.mod and generated/, walking up
// from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "devices")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside the drvsynth repository (no go.mod with devices/ above the working directory)")
		}
		dir = parent
	}
}

// bundledDrivers reads generated/drivers.txt: the device specs whose
// drivers are synthesized and committed.
func bundledDrivers(root string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(root, "generated", "drivers.txt"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, filepath.Join(root, line))
		}
	}
	return out, nil
}
