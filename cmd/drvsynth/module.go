package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/drvsynth/drvsynth/dsl"
)

// drvsynthModule is the module holding the runtime every generated driver
// imports (os-interface/bus, os-interface/driver) and the bundled classes.
const drvsynthModule = "github.com/drvsynth/drvsynth"

// module is a Go module on disk: the directory of its go.mod and its path.
type module struct {
	Dir, Path string
}

// moduleOf finds the module a directory belongs to, walking up to the
// nearest go.mod. The directory need not exist yet.
func moduleOf(dir string) (*module, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	for d := dir; ; {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			p := modfile.ModulePath(data)
			if p == "" {
				return nil, fmt.Errorf("%s: no module line", filepath.Join(d, "go.mod"))
			}
			return &module{Dir: d, Path: p}, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		parent := filepath.Dir(d)
		if parent == d {
			return nil, fmt.Errorf("%s is not inside a Go module (no go.mod above it; run 'go mod init')", dir)
		}
		d = parent
	}
}

// importPath is the import path of the package in dir.
func (m *module) importPath(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(m.Dir, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside module %s", dir, m.Path)
	}
	if rel == "." {
		return m.Path, nil
	}
	return path.Join(m.Path, filepath.ToSlash(rel)), nil
}

// rel is p relative to the module root, with forward slashes.
func (m *module) rel(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	r, err := filepath.Rel(m.Dir, abs)
	if err != nil || strings.HasPrefix(r, "..") {
		return filepath.ToSlash(filepath.Base(p))
	}
	return filepath.ToSlash(r)
}

// requiredClasses finds a bundled class (serial, block, rtc) in the copy of
// the drvsynth module that the device's own module builds with, as the go
// tool resolves it: the class spec then matches the Go package the
// generated driver imports.
type requiredClasses struct{}

func (requiredClasses) FindClass(devicePath, class string) (string, error) {
	notFound := fmt.Errorf("class %q not found: no %s/%s.osi on the search path (-I, $DRVSYNTH_PATH), no os-interface/%s/%s.osi above %s, and none in the %s module; name the class spec with -class",
		class, class, class, class, class, filepath.Dir(devicePath), drvsynthModule)
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", drvsynthModule)
	cmd.Dir = filepath.Dir(devicePath)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", notFound
	}
	dir := strings.TrimSpace(out.String())
	if dir == "" {
		return "", notFound
	}
	p := filepath.Join(dir, "os-interface", class, class+".osi")
	if _, err := os.Stat(p); err != nil {
		return "", notFound
	}
	return p, nil
}

var _ dsl.ClassFinder = requiredClasses{}
