package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/review"
)

func TestGraphCLIPrintsDOT(t *testing.T) {
	code, stdout, stderr := runCLI("graph", "-method", "fsm", "../../devices/vblk/vblk.dev")
	require.Equal(t, 0, code, stderr)
	assert.True(t, strings.HasPrefix(stdout, `digraph "vblk_fsm" {`), stdout)
	assert.Regexp(t, `complete_flush \(vblk.dev:[0-9]+\)`, stdout, "an internal transition is labelled with its spec line")
}

func TestGraphCLIWritesFiles(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCLI("graph", "-o", dir, "../../devices/uart16550/uart16550.dev")
	require.Equal(t, 0, code, stderr)
	ext := ".dot"
	if review.HaveDot() {
		ext = ".svg"
	}
	for _, name := range []string{"fsm", "Init", "Configure", "Write", "Read"} {
		path := filepath.Join(dir, "uart16550_"+name+ext)
		assert.Contains(t, stdout, path)
		assert.FileExists(t, path)
	}
}

func TestGraphCLIUnknownMethod(t *testing.T) {
	code, _, stderr := runCLI("graph", "-method", "Nope", "../../devices/uart16550/uart16550.dev")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "uart16550 has no method Nope")
}

func TestGraphCLISpecWithErrors(t *testing.T) {
	dir := specTree(t, map[string]string{"bad": "device bad implements tc {\n\tbus port width 8\n\tregister A @ 0 : wo { field X [9:0] }\n\tbind tc { ready = true }\n}\n"})
	code, stdout, stderr := runCLI("graph", filepath.Join(dir, "devices/bad/bad.dev"))
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "bad.dev:3:")
}

// TestDocCLIWithoutStrategies: a device whose methods do not synthesize
// (here within a tiny budget) still gets its state machine and register
// reference, and a warning that says why there are no strategies.
func TestDocCLIWithoutStrategies(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCLI("doc", "-max-beliefs", "50", "-o", dir, "../../devices/vblk/vblk.dev")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "drvsynth doc: no strategies to draw:")
	assert.Contains(t, stdout, filepath.Join(dir, "vblk.md"))
	md, err := os.ReadFile(filepath.Join(dir, "vblk.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "No strategies: ")
	assert.Contains(t, string(md), "| 0x0000 | [MAGIC](#reg-MAGIC) | ro | 32 |")
}

func TestDocCLI(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCLI("doc", "-o", dir, "../../devices/uart16550/uart16550.dev")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, filepath.Join(dir, "uart16550.md")+"\n"+filepath.Join(dir, "uart16550.html")+"\n", stdout)
	page, err := os.ReadFile(filepath.Join(dir, "uart16550.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), `<table id="register-map">`)
	assert.Contains(t, string(page), `<a href="#reg-LSR">LSR</a>`)
	assert.Contains(t, string(page), "<td>Configure, Read, Write</td>", "LSR's users")
}
