package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	messySpec = "class  c{ // the class\npredicate ready ( )\n\n\n  method Init(){ensures (ready)}}\n"
	tidySpec  = "class c { // the class\n\tpredicate ready\n\n\tmethod Init() {\n\t\tensures ready\n\t}\n}\n"
)

// writeSpec puts a spec into a temporary directory and returns its path.
func writeSpec(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(src), 0o640))
	return p
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

func TestFmtPrints(t *testing.T) {
	p := writeSpec(t, "c.osi", messySpec)
	code, out, errs := runCLI("fmt", p)
	assert.Equal(t, 0, code, errs)
	assert.Equal(t, tidySpec, out)
	assert.Equal(t, messySpec, readFile(t, p), "without -w the file stays as it was")
}

func TestFmtWrite(t *testing.T) {
	messy := writeSpec(t, "c.osi", messySpec)
	tidy := writeSpec(t, "d.osi", tidySpec)
	before, err := os.Stat(tidy)
	require.NoError(t, err)

	code, out, errs := runCLI("fmt", "-w", "-l", messy, tidy)
	assert.Equal(t, 0, code, errs)
	assert.Equal(t, messy+"\n", out, "-l lists only the file that changed")
	assert.Equal(t, tidySpec, readFile(t, messy))
	info, err := os.Stat(messy)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), info.Mode().Perm(), "-w keeps the file mode")

	after, err := os.Stat(tidy)
	require.NoError(t, err)
	assert.Equal(t, before.ModTime(), after.ModTime(), "a canonical file is not rewritten")

	// Once written, fmt has nothing more to say.
	code, out, _ = runCLI("fmt", "-l", "-d", messy)
	assert.Equal(t, 0, code)
	assert.Empty(t, out)
}

func TestFmtDiff(t *testing.T) {
	p := writeSpec(t, "c.osi", "class c {\n\tpredicate ready()\n\tevent tx(b: data<8>)\n}\n")
	code, out, errs := runCLI("fmt", "-d", p)
	assert.Equal(t, 0, code, errs)
	assert.Equal(t, "--- "+p+".orig\n+++ "+p+"\n@@ -1,4 +1,4 @@\n class c {\n-\tpredicate ready()\n+\tpredicate ready\n \tevent tx(b: data<8>)\n }\n", out)
}

func TestFmtSyntaxError(t *testing.T) {
	bad := writeSpec(t, "bad.osi", "class c {\n\tmethod Init( {\n}\n")
	good := writeSpec(t, "good.osi", messySpec)
	code, out, errs := runCLI("fmt", "-w", bad, good)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, bad+":2:")
	assert.Contains(t, errs, "error: syntax error")
	assert.Contains(t, errs, "    method Init( {\n", "the source line is shown")
	assert.Equal(t, "class c {\n\tmethod Init( {\n}\n", readFile(t, bad), "a file that does not parse is left alone")
	assert.Equal(t, tidySpec, readFile(t, good), "the other files are still formatted")
}

func TestFmtUsage(t *testing.T) {
	code, _, errs := runCLI("fmt")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "no files given")

	// -h is a request, not a mistake: the help goes to standard output.
	code, out, errs := runCLI("fmt", "-h")
	assert.Equal(t, 0, code)
	assert.Empty(t, errs)
	assert.Contains(t, out, "usage: drvsynth fmt")

	code, out, _ = runCLI("help", "fmt")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "usage: drvsynth fmt [-w] [-d] [-l] FILE...")

	code, _, errs = runCLI("fmt", "missing.dev")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "missing.dev")
}

// The bundled specs are canonical: fmt -l lists none of them.
func TestFmtBundledSpecsAreCanonical(t *testing.T) {
	specs, err := filepath.Glob("../../devices/*/*.dev")
	require.NoError(t, err)
	classes, err := filepath.Glob("../../os-interface/*/*.osi")
	require.NoError(t, err)
	specs = append(specs, classes...)
	require.NotEmpty(t, specs)
	code, out, errs := runCLI(append([]string{"fmt", "-l"}, specs...)...)
	assert.Equal(t, 0, code, errs)
	assert.Empty(t, out, "not canonical; run drvsynth fmt -w on them")
}

func TestFmtStdin(t *testing.T) {
	old := stdin
	defer func() { stdin = old }()

	stdin = strings.NewReader("class  c {\n    predicate   ready\n}\n")
	code, out, errs := runCLI("fmt", "-")
	assert.Equal(t, 0, code, errs)
	assert.Equal(t, "class c {\n\tpredicate ready\n}\n", out)

	stdin = strings.NewReader("class c {\n\tpredicate ready\n}\n")
	code, out, _ = runCLI("fmt", "-l", "-")
	assert.Equal(t, 0, code)
	assert.Empty(t, out, "canonical input is not listed")

	stdin = strings.NewReader("class c {\n\tpredicate\n}\n")
	code, out, errs = runCLI("fmt", "-")
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Equal(t, "<stdin>:3:1: error: syntax error: unexpected \"}\", expected a name\n\t}\n\t^\n", errs)

	code, _, errs = runCLI("fmt", "-w", "-")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "standard input")

	code, _, errs = runCLI("fmt", "a.dev", "-")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "only argument")
}
