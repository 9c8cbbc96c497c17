package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// specTree writes a class and the given device specs into a temporary
// tree laid out like the repository, and returns the paths of the files.
func specTree(t *testing.T, devs map[string]string) (dir string) {
	t.Helper()
	dir = t.TempDir()
	write := func(rel, src string) {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
	}
	write("os-interface/tc/tc.osi", `class tc {
	event tx(b: data<8>)
	predicate ready
	method Init() {
		ensures ready
	}
}
`)
	for name, src := range devs {
		write(filepath.Join("devices", name, name+".dev"), src)
	}
	return dir
}

func TestCheckCLIClean(t *testing.T) {
	code, stdout, stderr := runCLI("check", "-v", "../../devices/uart16550/uart16550.dev", "../../os-interface/serial/serial.osi")
	assert.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)
	assert.Equal(t, "../../devices/uart16550/uart16550.dev: ok\n../../os-interface/serial/serial.osi: ok\n", stdout)
}

func TestCheckCLIErrors(t *testing.T) {
	dir := specTree(t, map[string]string{"bad": `device bad implements tc {
	bus port width 8
	state n: uint<4> = 16
	register A @ 0 : wo {
		field X [7:0]
		on read { }
	}
	bind tc { ready = true }
}
`})
	dev := filepath.Join(dir, "devices/bad/bad.dev")
	code, stdout, stderr := runCLI("check", dev)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	// Two diagnostics of three lines each (message, source, caret), in
	// source order.
	require.Len(t, lines, 6, stderr)
	assert.Equal(t, dev+":3:21: error: cannot use 16 (untyped constant) as uint<4> in initial value of n: constant 16 does not fit in 4 bits", lines[0])
	assert.Equal(t, "\t    state n: uint<4> = 16", lines[1])
	assert.Equal(t, "\t                       ^", lines[2])
	assert.Equal(t, dev+":6:6: error: on read handler on write-only register A: it is never read", lines[3])
}

func TestCheckCLIWarningsPass(t *testing.T) {
	dir := specTree(t, map[string]string{"warn": `device warn implements tc {
	bus port width 8
	state s: bool
	internal spin fair { s = !s }
	bind tc { ready = true }
}
`})
	dev := filepath.Join(dir, "devices/warn/warn.dev")
	code, _, stderr := runCLI("check", dev)
	assert.Equal(t, 0, code)
	assert.Contains(t, stderr, dev+":4:11: warning: internal spin is fair and has no guard")
}

func TestCheckCLIClassOnceForManyDevices(t *testing.T) {
	// A class error is reported once even when two devices load the class.
	dir := specTree(t, map[string]string{
		"a": "device a implements tc {\n\tbus port width 8\n\tbind tc { ready = true }\n}\n",
		"b": "device b implements tc {\n\tbus port width 8\n\tbind tc { ready = true }\n}\n",
	})
	cls := filepath.Join(dir, "os-interface/tc/tc.osi")
	require.NoError(t, os.WriteFile(cls, []byte("class tc {\n\tpredicate ready\n\tmethod init() { ensures ready }\n}\n"), 0o644))
	code, _, stderr := runCLI("check", filepath.Join(dir, "devices/a/a.dev"), filepath.Join(dir, "devices/b/b.dev"), cls)
	assert.Equal(t, 1, code)
	assert.Equal(t, 1, strings.Count(stderr, "method init must start with an upper-case letter"), stderr)
}

func TestCheckCLISyntaxError(t *testing.T) {
	dir := specTree(t, map[string]string{"syn": "device syn implements tc {\n\tbus port width 8\n\tregister A @ : rw { }\n}\n"})
	code, _, stderr := runCLI("check", filepath.Join(dir, "devices/syn/syn.dev"))
	assert.Equal(t, 1, code)
	// The error is at the offending token, in the language's words.
	assert.Contains(t, stderr, "syn.dev:3:15: error: syntax error: unexpected \":\", expected a number\n\t    register A @ : rw { }\n\t                 ^\n")
}

func TestCheckCLIMissingFile(t *testing.T) {
	code, _, stderr := runCLI("check", filepath.Join(t.TempDir(), "nope.dev"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "nope.dev:1:1: error:")
}

func TestCheckCLIUsage(t *testing.T) {
	code, _, stderr := runCLI("check")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "usage: drvsynth check")

	code, _, stderr = runCLI("check", "README.md")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "README.md is not a spec file")

	code, stdout, stderr := runCLI("check", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout+stderr, "usage: drvsynth check [-v] [-json]")

	code, _, _ = runCLI("check", "-bogus", "x.dev")
	assert.Equal(t, 2, code)
}

func TestCheckCLIEverySyntaxErrorAsJSON(t *testing.T) {
	dir := specTree(t, map[string]string{"syn": `device syn implements tc {
	bus port width 8
	register A @ 0 : rx { }
	state s: bool = = true
	register B @ 1 : rw {
		field X [7:0
	}
	bind tc { ready = true }
}
`})
	dev := filepath.Join(dir, "devices/syn/syn.dev")
	code, stdout, stderr := runCLI("check", "-json", dev)
	assert.Equal(t, 1, code)
	assert.Empty(t, stderr)
	assert.Equal(t, `{"file":"`+dev+`","line":3,"column":19,"severity":"error","message":"syntax error: unexpected name rx, expected ro, wo or rw"}
{"file":"`+dev+`","line":4,"column":18,"severity":"error","message":"syntax error: unexpected \"=\", expected an expression"}
{"file":"`+dev+`","line":7,"column":2,"severity":"error","message":"syntax error: unexpected \"}\", expected \"]\""}
`, stdout)
}

func TestCheckCLIRelatedPositions(t *testing.T) {
	dir := specTree(t, map[string]string{"dup": "device dup implements tc {\n\tbus port width 8\n\tstate s: bool\n\tstate s: bool\n\tbind tc { ready = true }\n}\n"})
	dev := filepath.Join(dir, "devices/dup/dup.dev")
	code, stdout, _ := runCLI("check", "-json", dev)
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, `"related":[{"file":"`+dev+`","line":3,"column":8,"message":"state s first declared here"}]`)
}
