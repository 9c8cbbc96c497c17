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
		args:  "[-v] FILE...",
		short: "check device (.dev) and driver-class (.osi) specs",
		long: `Check parses and checks each spec file and prints every diagnostic
(file:line:col, the source line and a caret) to standard error, sorted by
position. A device spec is checked together with the class it implements
(os-interface/<class>/<class>.osi, found by walking up from the device's
directory).

The exit status is 0 when no file has errors (warnings are printed but do
not fail), 1 when some file has errors, and 2 on a usage error.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.Bool("v", false, "print \"FILE: ok\" on standard output for each file without errors")
		},
		run: runCheck,
	})
}

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

	var all dsl.Diagnostics
	// A class is checked again with every device implementing it; print
	// each finding once.
	seen := map[string]bool{}
	for _, a := range args {
		var ds dsl.Diagnostics
		if filepath.Ext(a) == ".dev" {
			_, ds = dsl.LoadDevice(a)
		} else {
			_, ds = dsl.LoadClass(a)
		}
		for _, d := range ds {
			key := fmt.Sprintf("%s:%d:%d:%s", filepath.Clean(d.Pos.Filename), d.Pos.Line, d.Pos.Column, d.Msg)
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
	for _, d := range all {
		fmt.Fprintln(stderr, d.Error())
	}
	if all.HasErrors() {
		return 1
	}
	return 0
}
