package main

import (
	"errors"
	"flag"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/drvsynth/drvsynth/dsl"
)

// countFlag is an int flag that must not be negative: a bound or a count.
type countFlag int

func (c *countFlag) String() string { return strconv.Itoa(int(*c)) }

func (c *countFlag) Set(s string) error {
	n, err := strconv.ParseInt(s, 0, strconv.IntSize)
	if err != nil {
		return errors.New("not a whole number")
	}
	if n < 0 {
		return errors.New("must be 0 or more")
	}
	*c = countFlag(n)
	return nil
}

// listFlag is a flag that may be given more than once (-I DIR -I DIR).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, string(filepath.ListSeparator)) }

func (l *listFlag) Set(s string) error {
	if s == "" {
		return errors.New("empty directory")
	}
	*l = append(*l, s)
	return nil
}

// classFlags say where the class a device implements is found.
type classFlags struct {
	file string
	dirs listFlag
}

func (cf *classFlags) register(fs *flag.FlagSet) {
	cf.file, cf.dirs = "", nil
	fs.StringVar(&cf.file, "class", "", "use the class `spec` FILE.osi, whatever class the device names")
	fs.Var(&cf.dirs, "I", "search `dir` for CLASS/CLASS.osi or CLASS.osi, before $DRVSYNTH_PATH (repeatable)")
}

// finder searches -class, then -I, then $DRVSYNTH_PATH, then os-interface/
// above the device spec, then the classes of the drvsynth module the
// device's own module requires.
func (cf *classFlags) finder() dsl.ClassFinder {
	cp := dsl.DefaultClassPath()
	cp.File = cf.file
	cp.Dirs = append(append([]string(nil), cf.dirs...), cp.Dirs...)
	cp.Fallback = requiredClasses{}
	return cp
}

// validate checks the flags before anything runs.
func (cf *classFlags) validate() error {
	if cf.file != "" && filepath.Ext(cf.file) != ".osi" {
		return errors.New("-class " + cf.file + ": not a class spec (want .osi)")
	}
	return nil
}
