package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/drvsynth/drvsynth/dsl"
)

func init() {
	register(&command{
		name:  "fmt",
		args:  "[-w] [-d] [-l] FILE... | -",
		short: "print specs in canonical form",
		long: `Fmt prints each spec file (.dev or .osi) in canonical form: tab
indentation, one declaration per line, single spaces, numbers spelled as
written, the fewest parentheses that keep the meaning (plus those around
&& under ||, and around a ? : nested in the middle of another), long
expressions broken at their && or || chain, ? :, argument list or match
cases, single blank lines where the source had blank lines, and every
comment kept. Formatting is idempotent and changes no meaning.

By default the formatted text goes to standard output. With -w, -d or -l
it does not: -w rewrites each file whose formatting differs, -d prints a
unified diff of the change, -l lists the files whose formatting differs.
The flags combine.

With "-" as the only argument, fmt formats standard input to standard
output (-d and -l apply; -w does not). A file with a syntax error is left
untouched; its diagnostic goes to
standard error. The exit status is 1 when some file could not be parsed,
read or written, 2 on a usage error, 0 otherwise.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.Bool("w", false, "write the result back to each file instead of to standard output")
			fs.Bool("d", false, "print a unified diff of the changes instead of the result")
			fs.Bool("l", false, "list the files whose formatting differs from fmt's")
		},
		run: runFmt,
	})
}

// stdin is where "fmt -" reads; tests replace it.
var stdin io.Reader = os.Stdin

func runFmt(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "drvsynth fmt: no files given")
		fs.Usage()
		return 2
	}
	flagSet := func(name string) bool { return fs.Lookup(name).Value.(flag.Getter).Get().(bool) }
	write, diff, list := flagSet("w"), flagSet("d"), flagSet("l")

	if len(args) == 1 && args[0] == "-" {
		if write {
			fmt.Fprintln(stderr, "drvsynth fmt: -w cannot write back to standard input")
			return 2
		}
		src, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintln(stderr, "drvsynth fmt:", err)
			return 1
		}
		if err := fmtSource("<stdin>", src, false, diff, list, stdout); err != nil {
			srcs := dsl.NewSources()
			srcs.Add("<stdin>", src)
			if ds, ok := err.(dsl.Diagnostics); ok {
				srcs.Print(stderr, ds)
			} else {
				fmt.Fprintln(stderr, err)
			}
			return 1
		}
		return 0
	}
	for _, path := range args {
		if path == "-" {
			fmt.Fprintln(stderr, "drvsynth fmt: \"-\" (standard input) must be the only argument")
			return 2
		}
	}

	status := 0
	for _, path := range args {
		if err := fmtFile(path, write, diff, list, stdout); err != nil {
			printError(stderr, err)
			status = 1
		}
	}
	return status
}

// fmtFile formats one file and does with the result what the flags ask.
func fmtFile(path string, write, diff, list bool, stdout io.Writer) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return fmtSource(path, src, write, diff, list, stdout)
}

// fmtSource formats the text of one file.
func fmtSource(path string, src []byte, write, diff, list bool, stdout io.Writer) error {
	f, err := dsl.Parse(path, src)
	if err != nil {
		return err // positioned diagnostics
	}
	out := dsl.Format(f)
	if !write && !diff && !list {
		_, err := stdout.Write(out)
		return err
	}
	if bytes.Equal(src, out) {
		return nil
	}
	if list {
		fmt.Fprintln(stdout, path)
	}
	if write {
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, out, info.Mode().Perm()); err != nil {
			return err
		}
	}
	if diff {
		fmt.Fprint(stdout, udiff.Unified(path+".orig", path, string(src), string(out)))
	}
	return nil
}
