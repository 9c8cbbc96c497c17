package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/drvsynth/drvsynth/dsl"
)

func init() {
	register(&command{
		name:  "check",
		args:  "[-v] [-json] [-class FILE.osi] [-I DIR] FILE...",
		short: "check device (.dev) and driver-class (.osi) specs",
		long: `Check parses and checks each spec file and prints every diagnostic
(file:line:col, the source line and a caret) to standard error, sorted by
position, with every syntax error of a file, not only the first. A device
spec is checked together with the class it implements, found as "drvsynth
help synth" describes (-class, -I, $DRVSYNTH_PATH, os-interface/ above the
spec). With -json each diagnostic is one JSON object on its own line, with
the fields file, line, column, severity, message and related (a list of
file, line, column and message).

The exit status is 0 when no file has errors (warnings are printed but do
not fail), 1 when some file has errors, and 2 on a usage error.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.Bool("v", false, "print \"FILE: ok\" on standard output for each file without errors")
			fs.Bool("json", false, "print diagnostics as JSON, one object per line, on standard output")
			checkClasses.register(fs)
		},
		run: runCheck,
	})
}

var checkClasses classFlags

func runCheck(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "drvsynth check: no files given")
		fs.Usage()
		return 2
	}
	for _, a := range args {
		if ext := filepath.Ext(a); ext != ".dev" && ext != ".osi" {
			fmt.Fprintf(stderr, "drvsynth check: %s is not a spec file (want .dev or .osi)\n", a)
			return 2
		}
	}
	verbose := fs.Lookup("v").Value.(flag.Getter).Get().(bool)
	asJSON := fs.Lookup("json").Value.(flag.Getter).Get().(bool)
	if err := checkClasses.validate(); err != nil {
		fmt.Fprintln(stderr, "drvsynth check:", err)
		return 2
	}
	classes := checkClasses.finder()

	var all dsl.Diagnostics
	// A class is checked again with every device implementing it; print
	// each finding once.
	seen := map[string]bool{}
	for _, a := range args {
		var ds dsl.Diagnostics
		if filepath.Ext(a) == ".dev" {
			_, ds = dsl.LoadDeviceFrom(a, classes)
		} else {
			_, ds = dsl.LoadClass(a)
		}
		for _, d := range ds {
			key := filepath.Clean(d.Pos.Filename) + ":" + d.Error()
			if !seen[key] {
				seen[key] = true
				all = append(all, d)
			}
		}
		if verbose && !ds.HasErrors() {
			fmt.Fprintf(stdout, "%s: ok\n", a)
		}
	}
	all.Sort()
	if asJSON {
		if err := dsl.PrintJSON(stdout, all); err != nil {
			fmt.Fprintln(stderr, "drvsynth check:", err)
			return 1
		}
	} else {
		dsl.NewSources().Print(stderr, all)
	}
	if all.HasErrors() {
		return 1
	}
	return 0
}
