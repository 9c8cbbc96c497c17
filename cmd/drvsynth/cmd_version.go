package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

func init() {
	register(&command{
		name:  "version",
		args:  "",
		short: "print the drvsynth version",
		long: `Version prints the version of the drvsynth module this binary was built
from (as "go install" or "go run" recorded it; "(devel)" for a build in a
checkout, with the commit when the build knows it) and the Go version.`,
		run: func(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
			if len(args) > 0 {
				fmt.Fprintf(stderr, "drvsynth version: unexpected argument %q\n", args[0])
				fs.Usage()
				return 2
			}
			fmt.Fprintf(stdout, "drvsynth %s %s %s/%s\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return 0
		},
	})
}

// version is the module version, or "(devel)" with the commit it was built
// from when the toolchain recorded one.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && v == "(devel)" {
			rev := s.Value
			if len(rev) > 12 {
				rev = rev[:12]
			}
			v += " " + rev
		}
	}
	return v
}
