package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOutsideRepository is the README's out-of-repository recipe, run: a
// fresh module elsewhere with its own class (Go package and .osi) and its
// own device spec, plus a device on a class bundled with drvsynth, builds
// its drivers with go generate, then go build and go vet. drvsynth comes
// from this checkout through a replace directive, and every module from
// the local cache (GOPROXY=off), so the test needs no network.
func TestOutsideRepository(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(rel, src string) {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
	}
	write("go.mod", `module example.com/widget

go 1.26

require github.com/drvsynth/drvsynth v0.0.0

replace github.com/drvsynth/drvsynth => `+repo+`

tool github.com/drvsynth/drvsynth/cmd/drvsynth
`)
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	require.NoError(t, err)
	write("go.sum", string(sum))
	write("classes/modal/modal.osi", `// A device with two speeds.
class modal {
	type Mode = enum { Slow, Fast }

	predicate mode(m: Mode)

	method Init() {
		ensures mode(Slow)
	}

	method SetMode(m: Mode) {
		ensures mode(m)
	}
}
`)
	write("classes/modal/modal.go", `// Package modal is the Go shape of modal.osi.
package modal

// Mode is the speed of the device.
type Mode uint8

const (
	ModeSlow Mode = iota
	ModeFast
)
`)
	write("specs/widget.dev", `device widget implements modal {
	bus port width 8

	register CTRL @ 0 : rw {
		field SPEED [1:0] enum { SLOW = 1, FAST = 2 }
	}

	bind modal {
		mode(m) = CTRL.SPEED == match m { Slow => SLOW, Fast => FAST }
	}
}
`)
	uart, err := os.ReadFile(filepath.Join(repo, "devices/uart16550/uart16550.dev"))
	require.NoError(t, err)
	write("specs/uart16550.dev", string(uart))
	write("generate.go", `// Package widget holds this module's synthesized drivers.
package widget

//go:generate go tool drvsynth synth -I classes specs/widget.dev specs/uart16550.dev
`)

	env := append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "DRVSYNTH_PATH=")
	goCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(goTool, args...)
		cmd.Dir = dir
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
		return string(out)
	}
	// -e: tidy also wants the modules that only the tests of dependencies
	// import (participle's), which a fresh module cache does not hold and
	// nothing here builds.
	goCmd("mod", "tidy", "-e")
	out := goCmd("generate", "./...")
	require.Contains(t, out, "wrote generated/widget/widget.go")
	require.Contains(t, out, "wrote generated/uart16550/uart16550.go")

	src, err := os.ReadFile(filepath.Join(dir, "generated/widget/widget.go"))
	require.NoError(t, err)
	require.Contains(t, string(src), `"example.com/widget/classes/modal"`, "the class package is imported from the user's module")
	require.Contains(t, string(src), "specs/widget.dev and the class contract classes/modal/modal.osi")
	require.Contains(t, string(src), "timeout: driver.DefaultTimeout", "a class of the user's own need not declare a timeout")
	src, err = os.ReadFile(filepath.Join(dir, "generated/uart16550/uart16550.go"))
	require.NoError(t, err)
	require.Contains(t, string(src), `"github.com/drvsynth/drvsynth/os-interface/serial"`)

	goCmd("build", "./...")
	goCmd("vet", "./...")

	out = goCmd("generate", "./...")
	require.Contains(t, out, "generated/widget/widget.go: unchanged")
}
