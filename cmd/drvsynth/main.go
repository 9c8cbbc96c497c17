// Command drvsynth checks device and driver-class specs, synthesizes drivers
// from them, and runs the tools built around those drivers.
//
// Usage:
//
//	drvsynth <command> [flags] [arguments]
//
// Run "drvsynth help" for the list of commands and "drvsynth <command> -h"
// for the flags of one.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand. Each lives in its own file and adds itself to
// commands from an init function, so the list in "drvsynth help" is the list
// of files here.
type command struct {
	name  string
	args  string // argument synopsis, e.g. "[-w] FILE..."
	short string // one line for "drvsynth help"
	long  string // paragraph for "drvsynth help <command>"
	// run gets the flag set already carrying the command's flags (set by
	// setFlags) and the arguments after the command name. It returns the
	// process exit code.
	setFlags func(fs *flag.FlagSet)
	run      func(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("drvsynth: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// usageError is a mistake in the command line: the command's usage follows
// it, and the exit status is 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				commandUsage(c, stdout)
				return 0
			}
			fmt.Fprintf(stderr, "drvsynth help %s: unknown help topic. Run 'drvsynth help'.\n", args[1])
			return 2
		}
		usage(stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "drvsynth %s: unknown command\nRun 'drvsynth help' for usage.\n", name)
		return 2
	}
	fs := flag.NewFlagSet("drvsynth "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	// The flag package prints the error itself; the short usage follows,
	// and -h prints the whole help on standard output.
	fs.Usage = func() {}
	if c.setFlags != nil {
		c.setFlags(fs)
	}
	rest, err := parseInterleaved(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			commandUsage(c, stdout)
			return 0
		}
		shortUsage(c, stderr)
		return 2
	}
	fs.Usage = func() { shortUsage(c, stderr) }
	return c.run(fs, rest, stdout, stderr)
}

// parseInterleaved parses flags wherever they stand among the arguments,
// as the go tool does ("drvsynth synth SPEC -o DIR"), and returns the
// arguments that are not flags. After "--" everything is an argument.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if consumed := args[:len(args)-len(left)]; len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(rest, left...), nil
		}
		if len(left) == 0 {
			return rest, nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

// shortUsage is what follows a usage error: the synopsis and where to read
// more.
func shortUsage(c *command, w io.Writer) {
	fmt.Fprintf(w, "usage: drvsynth %s %s\nRun 'drvsynth help %s' for details.\n", c.name, c.args, c.name)
}

func usage(w io.Writer) {
	fmt.Fprint(w, "drvsynth synthesizes device drivers from formal device and driver-class specs.\n\n")
	fmt.Fprint(w, "Usage:\n\n\tdrvsynth <command> [flags] [arguments]\n\nThe commands are:\n\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "\t%-12s %s\n", n, commands[n].short)
	}
	fmt.Fprint(w, "\nUse \"drvsynth help <command>\" or \"drvsynth <command> -h\" for more about a command.\n")
}

func commandUsage(c *command, w io.Writer) {
	fmt.Fprintf(w, "usage: drvsynth %s %s\n\n%s\n", c.name, c.args, strings.TrimSpace(c.long))
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	if c.setFlags != nil {
		c.setFlags(fs)
	}
	var hasFlags bool
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}
