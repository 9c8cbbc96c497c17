package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth"
	"github.com/drvsynth/drvsynth/synth/gen"
	"github.com/drvsynth/drvsynth/synth/solve"
)

func init() {
	var out string
	var stats, verbose bool
	var maxBeliefs countFlag
	var classes classFlags
	register(&command{
		name:  "synth",
		args:  "[-o DIR] [-class FILE.osi] [-I DIR] [-stats] [-v] [-max-beliefs N] [SPEC.dev ...]",
		short: "synthesize drivers from device specs",
		long: `Synth solves, for every method of the device's class, the game between the
driver and the device, and writes the winning strategy as a Go package
named after the device: DIR/<device>.go with -o DIR, otherwise
generated/<device>/<device>.go under the root of the Go module holding the
spec. The package's import path, and that of the class's Go package (the
directory of the class spec), come from the go.mod of their modules; the
driver runtime it imports is github.com/drvsynth/drvsynth/os-interface.

The class a device implements is the file given with -class, or the first
CLASS/CLASS.osi (or CLASS.osi) in the -I directories and then in the
directories of $DRVSYNTH_PATH, or os-interface/CLASS/CLASS.osi in a
directory above the spec, or a class bundled with the drvsynth module the
spec's module requires (serial, block, rtc).

With no SPEC, synth regenerates every driver listed in generated/drivers.txt
above the working directory (this repository's own drivers).

Every spec is synthesized before anything is written, and a file is
written only when its content changes; synth prints each file it wrote or
found unchanged. When a method has no winning strategy, synth prints the
device's spoiling answers step by step, with spec positions, writes
nothing and exits 1. The exit status is 2 on a usage error.`,
		setFlags: func(fs *flag.FlagSet) {
			out, stats, verbose, maxBeliefs = "", false, false, 0
			fs.StringVar(&out, "o", "", "write the package into `dir` (only with one SPEC)")
			fs.BoolVar(&stats, "stats", false, "print beliefs, edges, worst-case accesses and time per method")
			fs.BoolVar(&verbose, "v", false, "print each method's strategy")
			fs.Var(&maxBeliefs, "max-beliefs", "bound the beliefs of one method's game (0: the solver's default)")
			classes.register(fs)
		},
		run: func(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
			specs, err := synthArgs(args, out, &classes)
			if err != nil {
				fmt.Fprintln(stderr, "drvsynth synth:", err)
				var uerr usageError
				if errors.As(err, &uerr) {
					fs.Usage()
				}
				return 2
			}
			tuneGCForSolver()
			// Solve everything first: a spec that fails leaves every file
			// as it was.
			var files []*outFile
			status := 0
			for _, spec := range specs {
				start := time.Now()
				f, err := synthesize(spec, out, classes.finder(), solve.Options{MaxBeliefs: int(maxBeliefs)})
				if err != nil {
					printError(stderr, err)
					status = 1
					continue
				}
				if stats {
					printStats(stdout, f, time.Since(start))
				}
				if verbose {
					for _, st := range f.res.Methods {
						fmt.Fprintf(stdout, "== %s\n%s", st.Method.Name, st.Dump())
					}
				}
				files = append(files, f)
			}
			if status != 0 {
				fmt.Fprintln(stderr, "drvsynth synth: nothing written")
				return status
			}
			for _, f := range files {
				changed, err := f.write()
				if err != nil {
					fmt.Fprintln(stderr, "drvsynth synth:", err)
					return 1
				}
				if changed {
					fmt.Fprintf(stdout, "wrote %s\n", displayPath(f.path))
				} else {
					fmt.Fprintf(stdout, "%s: unchanged\n", displayPath(f.path))
				}
			}
			return 0
		},
	})
}

// printError prints an error, diagnostics with their source lines.
func printError(w io.Writer, err error) {
	var ds dsl.Diagnostics
	if errors.As(err, &ds) {
		dsl.NewSources().Print(w, ds)
		return
	}
	fmt.Fprintln(w, err)
}

// synthArgs checks the arguments before any work and returns the specs to
// synthesize. A usageError is followed by the usage line.
func synthArgs(args []string, out string, classes *classFlags) ([]string, error) {
	if err := classes.validate(); err != nil {
		return nil, err
	}
	if len(args) == 0 {
		root, err := repoRoot()
		if err != nil {
			return nil, usageErrorf("no SPEC given, and no generated/drivers.txt above the working directory to regenerate")
		}
		if args, err = bundledDrivers(root); err != nil {
			return nil, err
		}
	}
	if out != "" && len(args) > 1 {
		return nil, usageErrorf("-o needs exactly one SPEC, got %d", len(args))
	}
	if out != "" {
		if info, err := os.Stat(out); err == nil && !info.IsDir() {
			return nil, fmt.Errorf("-o %s: not a directory", out)
		}
	}
	for _, a := range args {
		if filepath.Ext(a) != ".dev" {
			if strings.HasPrefix(a, "-") {
				return nil, usageErrorf("flag %s after --", a)
			}
			return nil, usageErrorf("%s is not a device spec (want .dev)", a)
		}
		if info, err := os.Stat(a); err != nil {
			return nil, err
		} else if info.IsDir() {
			return nil, fmt.Errorf("%s is a directory, not a device spec", a)
		}
	}
	return args, nil
}

// outFile is one synthesized package, not yet written.
type outFile struct {
	path string
	src  []byte
	res  *solve.Result
}

// synthesize solves one spec and generates its package for the directory
// it will go to: out, or generated/<device> in the spec's module.
func synthesize(spec, out string, classes dsl.ClassFinder, opts solve.Options) (*outFile, error) {
	res, err := synth.BuildFrom(spec, classes, opts)
	if err != nil {
		return nil, err
	}
	name := res.Model.Name
	dir := out
	if dir == "" {
		mod, err := moduleOf(filepath.Dir(spec))
		if err != nil {
			return nil, fmt.Errorf("%s: %w; or give the output directory with -o", spec, err)
		}
		dir = filepath.Join(mod.Dir, "generated", name)
	}
	src, err := generate(res, spec, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec, err)
	}
	return &outFile{path: filepath.Join(dir, name+".go"), src: src, res: res}, nil
}

// generate writes the package for directory dir, with import paths from
// the modules that hold dir and the class spec.
func generate(res *solve.Result, spec, dir string) ([]byte, error) {
	// Outside a module the package has no import path but its name, and
	// the header names the spec by its base name.
	pkg, specRel := res.Model.Name, filepath.ToSlash(filepath.Base(spec))
	if mod, err := moduleOf(dir); err == nil {
		if pkg, err = mod.importPath(dir); err != nil {
			return nil, err
		}
		specRel = mod.rel(spec)
	}
	classPath := res.Model.Spec.ClassPath
	classMod, err := moduleOf(filepath.Dir(classPath))
	if err != nil {
		return nil, fmt.Errorf("class %s: its Go package needs a module: %w", classPath, err)
	}
	classPkg, err := classMod.importPath(filepath.Dir(classPath))
	if err != nil {
		return nil, err
	}
	return gen.GenerateWith(res, specRel, gen.Options{
		Package:      pkg,
		ClassPackage: classPkg,
		ClassSpec:    classMod.rel(classPath),
	})
}

// write puts the file in place unless it already holds the same bytes.
// It writes a temporary file and renames it, so a reader never sees half
// a driver.
func (f *outFile) write() (changed bool, err error) {
	if old, err := os.ReadFile(f.path); err == nil && bytes.Equal(old, f.src) {
		return false, nil
	}
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.path)+".*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(f.src); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	return true, os.Rename(tmp.Name(), f.path)
}

func printStats(w io.Writer, f *outFile, took time.Duration) {
	res := f.res
	fmt.Fprintf(w, "%s: %s; idle invariant %d states\n", displayPath(res.Model.Spec.Device.Name), res.Model.Describe(), res.IdleStates)
	fmt.Fprintf(w, "  %-16s %8s %8s %8s %10s\n", "method", "beliefs", "edges", "accesses", "time")
	for _, st := range res.Methods {
		fmt.Fprintf(w, "  %-16s %8d %8d %8d %10s\n", st.Method.Name, st.Stats.Beliefs, st.Stats.Edges, st.Stats.Rank, st.Stats.Time.Round(time.Microsecond))
	}
	fmt.Fprintf(w, "  total %s\n", took.Round(time.Millisecond))
}

// displayPath is p relative to the working directory when that is shorter.
func displayPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, abs); err == nil && len(r) < len(abs) {
		return r
	}
	return abs
}

// repoRoot finds the directory holding generated/drivers.txt (this
// repository's root), walking up from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "generated", "drivers.txt")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no generated/drivers.txt above the working directory")
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
