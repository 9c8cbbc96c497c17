package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/review"
	"github.com/drvsynth/drvsynth/synth/solve"
)

func init() {
	var method, out string
	var maxBeliefs int
	register(&command{
		name:  "graph",
		args:  "[-method M] [-o DIR] [-max-beliefs N] SPEC.dev",
		short: "draw the device's state machine and the synthesized strategies (DOT, SVG)",
		long: `Graph synthesizes the driver for the device spec and draws, in Graphviz's
DOT language, the device's finite state machine from reset and each method's
strategy: nodes are what the driver knows, edges are accesses with the spec
positions that define them, and a dashed loop is a poll.

Without -o it prints the DOT on standard output. With -o it writes
DIR/<device>_fsm.dot and DIR/<device>_<Method>.dot, and the same as .svg
when Graphviz's dot is installed (` + review.DotInstall + `).
-method selects one method, or "fsm" for the state machine only.

When a method cannot be synthesized, graph says why on standard error and
still draws the state machine.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&method, "method", "", "draw only this method (or \"fsm\")")
			fs.StringVar(&out, "o", "", "write .dot (and .svg) files into `DIR`")
			fs.IntVar(&maxBeliefs, "max-beliefs", 0, "bound the beliefs of one method's game (0: the solver's default)")
		},
		run: func(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
			if len(args) != 1 {
				fmt.Fprintln(stderr, "drvsynth graph: want exactly one SPEC.dev")
				fs.Usage()
				return 2
			}
			res, _, ok := buildForReview("graph", args[0], maxBeliefs, stderr)
			if !ok {
				return 1
			}
			graphs, err := review.Graphs(res, method)
			if err != nil {
				fmt.Fprintln(stderr, "drvsynth graph:", err)
				return 2
			}
			if out == "" {
				for _, g := range graphs {
					fmt.Fprint(stdout, g.DOT())
				}
				return 0
			}
			pics, err := review.WriteGraphs(context.Background(), out, graphs)
			if err != nil {
				fmt.Fprintln(stderr, "drvsynth graph:", err)
				return 1
			}
			for _, p := range pics {
				fmt.Fprintf(stdout, "%s/%s\n", out, p.File)
			}
			if !review.HaveDot() {
				fmt.Fprintf(stderr, "drvsynth graph: wrote DOT only; for SVG install Graphviz: %s\n", review.DotInstall)
			}
			return 0
		},
	})
}

// buildForReview synthesizes spec for graph and doc. A spec with errors
// fails; a method without a strategy only warns, and the result then holds
// the device model alone, which is enough for the state machine and the
// register reference.
func buildForReview(cmd, spec string, maxBeliefs int, stderr io.Writer) (res *solve.Result, why string, ok bool) {
	res, err := synth.Build(spec, solve.Options{MaxBeliefs: maxBeliefs})
	if err == nil {
		return res, "", true
	}
	var diags dsl.Diagnostics
	if errors.As(err, &diags) {
		fmt.Fprintln(stderr, err)
		return nil, "", false
	}
	m, lerr := model.Load(spec)
	if lerr != nil {
		fmt.Fprintln(stderr, lerr)
		return nil, "", false
	}
	fmt.Fprintf(stderr, "drvsynth %s: no strategies to draw: %v\n", cmd, err)
	return &solve.Result{Model: m}, err.Error(), true
}
