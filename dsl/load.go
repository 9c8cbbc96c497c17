package dsl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Spec is a device spec together with the class spec it implements.
type Spec struct {
	Device *File
	Class  *File
	// ClassPath is where the class spec was found.
	ClassPath string
	// Info is what Check resolved every name to.
	Info *Info
}

// LoadDevice parses a device spec, finds the class it implements on the
// default search path (see ClassPath), parses it and checks both. The spec
// comes back even when there are diagnostics, as long as both files parsed.
func LoadDevice(path string) (*Spec, Diagnostics) {
	return LoadDeviceFrom(path, DefaultClassPath())
}

// LoadDeviceFrom is LoadDevice with the class found by classes.
func LoadDeviceFrom(path string, classes ClassFinder) (*Spec, Diagnostics) {
	dev, err := ParseFile(path)
	if err != nil {
		return nil, asDiagnostics(path, err)
	}
	if dev.Device == nil {
		return nil, Diagnostics{{Pos: dev.Pos, Msg: "expected a device spec (.dev), found a class"}}
	}
	impl := dev.Device.Implements
	classPath, err := classes.FindClass(path, impl.Name)
	if err != nil {
		return nil, Diagnostics{{Pos: impl.Pos, Msg: err.Error()}}
	}
	class, err := ParseFile(classPath)
	if err != nil {
		return nil, asDiagnostics(classPath, err)
	}
	if class.Class == nil {
		return nil, Diagnostics{{Pos: class.Pos, Msg: "expected a class spec (.osi), found a device"}}
	}
	s := &Spec{Device: dev, Class: class, ClassPath: classPath}
	return s, Check(s)
}

// LoadClass parses and checks a class spec on its own.
func LoadClass(path string) (*File, Diagnostics) {
	f, err := ParseFile(path)
	if err != nil {
		return nil, asDiagnostics(path, err)
	}
	if f.Class == nil {
		return nil, Diagnostics{{Pos: f.Pos, Msg: "expected a class spec (.osi), found a device"}}
	}
	return f, CheckClass(f)
}

func asDiagnostics(path string, err error) Diagnostics {
	if ds, ok := err.(Diagnostics); ok {
		return ds
	}
	return Diagnostics{{Pos: Pos{Filename: path, Line: 1, Column: 1}, Msg: err.Error()}}
}

// ClassFinder locates the spec of the class a device implements.
type ClassFinder interface {
	FindClass(devicePath, class string) (string, error)
}

// ClassPath finds a class spec as an explicit file, or by name in a list
// of directories, or by walking up from the device spec.
type ClassPath struct {
	// File, when set, is the class spec, whatever the device names.
	File string
	// Dirs are searched in order for <class>/<class>.osi and <class>.osi.
	Dirs []string
	// Fallback, when set, is asked last.
	Fallback ClassFinder
}

// DefaultClassPath searches the directories of $DRVSYNTH_PATH, then walks
// up from the device spec.
func DefaultClassPath() ClassPath {
	return ClassPath{Dirs: filepath.SplitList(os.Getenv("DRVSYNTH_PATH"))}
}

// FindClass implements ClassFinder.
func (cp ClassPath) FindClass(devicePath, class string) (string, error) {
	if cp.File != "" {
		if _, err := os.Stat(cp.File); err != nil {
			return "", fmt.Errorf("class spec %s: %w", cp.File, err)
		}
		return cp.File, nil
	}
	for _, dir := range cp.Dirs {
		if dir == "" {
			continue
		}
		for _, p := range []string{filepath.Join(dir, class, class+".osi"), filepath.Join(dir, class+".osi")} {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	p, err := FindClass(devicePath, class)
	if err == nil || cp.Fallback == nil {
		if err != nil && len(cp.Dirs) > 0 {
			err = fmt.Errorf("%w, nor in %s", err, strings.Join(cp.Dirs, string(filepath.ListSeparator)))
		}
		return p, err
	}
	return cp.Fallback.FindClass(devicePath, class)
}

// FindClass locates os-interface/<class>/<class>.osi for a device spec by
// walking up from the device file's directory, so specs check the same way
// from any working directory.
func FindClass(devicePath, class string) (string, error) {
	dir, err := filepath.Abs(filepath.Dir(devicePath))
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "os-interface", class, class+".osi")
		if _, err := os.Stat(p); err == nil {
			return relativeIfShorter(p), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("class %q not found: no os-interface/%s/%s.osi above %s (add the directory holding it to $DRVSYNTH_PATH)", class, class, class, filepath.Dir(devicePath))
		}
		dir = parent
	}
}

func relativeIfShorter(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && len(r) < len(p) {
		return r
	}
	return p
}
