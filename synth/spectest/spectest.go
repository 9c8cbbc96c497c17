// Package spectest writes spec variants for tests: a device spec with some
// of its text replaced, as a datasheet revision or another integration of
// the part would change it, placed in a tree of its own where the device
// finds its class the usual way (os-interface/<class>/<class>.osi above it).
package spectest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Edit returns the text of the file at path with each edit {old, new}
// applied; every old text must occur, so a variant cannot silently stop
// changing anything when the spec moves on.
func Edit(t testing.TB, path string, edits ...[2]string) string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	for _, e := range edits {
		if !strings.Contains(text, e[0]) {
			t.Fatalf("%s: the variant's edit finds no %q", path, e[0])
		}
		text = strings.ReplaceAll(text, e[0], e[1])
	}
	return text
}

// Tree writes, in a fresh temporary directory, the class spec read from
// classPath at classRel and the device spec text at devRel (both relative
// to that directory), and returns the device spec's path.
func Tree(t testing.TB, classPath, classRel, devRel, dev string) string {
	t.Helper()
	cls, err := os.ReadFile(classPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(rel string, data []byte) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write(classRel, cls)
	return write(devRel, []byte(dev))
}
