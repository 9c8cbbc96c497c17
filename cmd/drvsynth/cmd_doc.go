package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/drvsynth/drvsynth/synth/review"
	"github.com/drvsynth/drvsynth/synth/solve"
)

func init() {
	var out string
	var maxBeliefs int
	register(&command{
		name:  "doc",
		args:  "[-o DIR] [-max-beliefs N] SPEC.dev",
		short: "write a register reference (Markdown and HTML) for a device",
		long: `Doc synthesizes the driver for the device spec and writes its register
reference, in the manner of PeakRDL's documentation: the register map, each
register's fields with their access, side effects, reset values and enums,
the spec text that defines them, which methods of the synthesized driver
touch which register, and the pictures drvsynth graph draws.

It writes DIR/<device>.md and DIR/<device>.html (one self-contained page)
with the pictures beside them; DIR is <device>-reference unless -o says
otherwise. Without Graphviz (` + review.DotInstall + `) the pictures are DOT
files, linked. When a method cannot be synthesized, doc says why on standard
error and writes the reference without strategies.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&out, "o", "", "output `DIR` (default <device>-reference)")
			fs.IntVar(&maxBeliefs, "max-beliefs", 0, "bound the beliefs of one method's game (0: the solver's default)")
		},
		run: func(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
			if len(args) != 1 {
				fmt.Fprintln(stderr, "drvsynth doc: want exactly one SPEC.dev")
				fs.Usage()
				return 2
			}
			res, why, ok := buildForReview("doc", args[0], maxBeliefs, stderr)
			if !ok {
				return 1
			}
			dir := out
			if dir == "" {
				dir = res.Model.Name + "-reference"
			}
			paths, err := writeReference(context.Background(), res, why, args[0], dir)
			if err != nil {
				fmt.Fprintln(stderr, "drvsynth doc:", err)
				return 1
			}
			for _, p := range paths {
				fmt.Fprintln(stdout, p)
			}
			if !review.HaveDot() {
				fmt.Fprintf(stderr, "drvsynth doc: pictures are DOT only; for SVG install Graphviz: %s\n", review.DotInstall)
			}
			return 0
		},
	})
}

// writeReference writes the Markdown and HTML reference and its pictures
// into dir and returns the two documents' paths.
func writeReference(ctx context.Context, res *solve.Result, unsynthesized, spec, dir string) ([]string, error) {
	graphs, err := review.Graphs(res, "")
	if err != nil {
		return nil, err
	}
	pics, err := review.WriteGraphs(ctx, dir, graphs)
	if err != nil {
		return nil, err
	}
	ref := review.NewReference(res, spec, pics)
	ref.Unsynthesized = unsynthesized
	md := filepath.Join(dir, res.Model.Name+".md")
	page := filepath.Join(dir, res.Model.Name+".html")
	if err := os.WriteFile(md, ref.Markdown(), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(page, ref.HTML(), 0o644); err != nil {
		return nil, err
	}
	return []string{md, page}, nil
}
