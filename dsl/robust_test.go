package dsl

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Robustness (issue 2, "Done when"): a bundled spec cut off at any byte,
// or with a junk line put in or swapped in at any line, yields positioned
// diagnostics and never a panic.

// The parser's lexer costs time quadratic in the file's length (see
// BenchmarkParse), so trying every cut of a large spec takes minutes. By
// default each test tries the cases in a fixed pseudo-random order until
// its time budget is spent, and logs how many it covered; -robust.full
// tries them all.
var robustFull = flag.Bool("robust.full", false, "robustness tests: try every cut and junk line, with no time budget")

// robustBudget is the time each robustness test may spend, shared by the
// bundled specs (which run in parallel).
const robustBudget = 7 * time.Second

// budgeted calls try for the cases 0..n-1 in a fixed shuffled order until
// the file's share of the budget is spent.
func budgeted(t *testing.T, nfiles, n int, try func(i int)) {
	share := robustBudget * time.Duration(min(runtime.GOMAXPROCS(0), nfiles)) / time.Duration(nfiles)
	deadline := time.Now().Add(share)
	order := rand.New(rand.NewPCG(2, uint64(n))).Perm(n)
	for k, i := range order {
		if !*robustFull && time.Now().After(deadline) {
			t.Logf("time budget spent: tried %d of %d cases (-robust.full tries all)", k, n)
			return
		}
		try(i)
	}
	t.Logf("tried all %d cases", n)
}

// requirePositioned checks that every diagnostic has a message and points
// inside the file it names (the end of file counts as inside).
func requirePositioned(t testing.TB, srcs map[string][]byte, ds Diagnostics) {
	t.Helper()
	for _, d := range ds {
		require.NotEmpty(t, d.Msg)
		src, ok := srcs[d.Pos.Filename]
		require.True(t, ok, "diagnostic names file %q, not one of the inputs: %v", d.Pos.Filename, d)
		lines := strings.Split(string(src), "\n")
		require.True(t, d.Pos.Line >= 1 && d.Pos.Line <= len(lines), "line %d outside 1..%d: %v", d.Pos.Line, len(lines), d)
		line := lines[d.Pos.Line-1]
		require.True(t, d.Pos.Column >= 1 && d.Pos.Column <= len(line)+1, "column %d outside 1..%d: %v", d.Pos.Column, len(line)+1, d)
	}
}

// robustCase parses and checks one mutated spec. It returns the number of
// error diagnostics, after making sure they are all positioned.
func robustCase(t *testing.T, path string, src, classSrc []byte, classPath string) int {
	f, err := Parse(path, src)
	if err != nil {
		ds, ok := err.(Diagnostics)
		require.True(t, ok, "Parse returned %T: %v", err, err)
		require.NotEmpty(t, ds)
		requirePositioned(t, map[string][]byte{path: src}, ds)
		return len(ds)
	}
	// What parses must format and parse back.
	_, err = Parse(path, Format(f))
	require.NoError(t, err, "formatted mutant does not parse:\n%s", src)

	srcs := map[string][]byte{path: src}
	var ds Diagnostics
	switch {
	case f.Device != nil && classSrc != nil:
		class, err := Parse(classPath, classSrc)
		require.NoError(t, err)
		srcs[classPath] = classSrc
		ds = Check(&Spec{Device: f, Class: class})
	case f.Class != nil:
		ds = CheckClass(f)
	}
	requirePositioned(t, srcs, ds)
	n := 0
	for _, d := range ds {
		if d.Severity == Error {
			n++
		}
	}
	return n
}

// robustInputs reads a bundled spec and, for a device, its class.
func robustInputs(t *testing.T, path string) (src, classSrc []byte, classPath string) {
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := Parse(path, src)
	require.NoError(t, err)
	if f.Device != nil {
		classPath, err = FindClass(path, f.Device.Implements.Name)
		require.NoError(t, err)
		classSrc, err = os.ReadFile(classPath)
		require.NoError(t, err)
	}
	return src, classSrc, classPath
}

func TestRobustTruncation(t *testing.T) {
	specs := bundledSpecs(t)
	for _, path := range specs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			src, classSrc, classPath := robustInputs(t, path)
			// Cutting inside the final "}" or earlier leaves a brace open:
			// that must be an error. Past it, the text may still be valid.
			last := bytes.LastIndexByte(src, '}')
			budgeted(t, len(specs), len(src), func(k int) {
				n := robustCase(t, path, src[:k], classSrc, classPath)
				if k <= last {
					require.Positive(t, n, "no error for %s cut at byte %d", path, k)
				}
			})
		})
	}
}

// junkLines are lines that cannot appear where they are put: unlexable
// text, an unbalanced brace, a keyword without its declaration.
var junkLines = []string{"@@ junk $$", "}", "{", "register", "field", "= =", `"unterminated`}

func TestRobustJunkLines(t *testing.T) {
	specs := bundledSpecs(t)
	for _, path := range specs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			src, classSrc, classPath := robustInputs(t, path)
			lines := strings.SplitAfter(string(src), "\n")
			// Case i is junk line i%len(junkLines), put before (even) or in
			// place of (odd) line i/(2*len(junkLines)).
			nj := len(junkLines)
			budgeted(t, len(specs), 2*nj*len(lines), func(i int) {
				at, junk, replace := i/(2*nj), junkLines[i%nj], i/nj%2 == 1
				rest, what := lines[at:], "inserted before"
				if replace {
					// Swapping a line for a copy of itself is no change.
					if code, _, _ := strings.Cut(lines[at], "//"); strings.TrimSpace(code) == junk {
						return
					}
					rest, what = lines[at+1:], "in place of"
				}
				text := strings.Join(lines[:at], "") + junk + "\n" + strings.Join(rest, "")
				n := robustCase(t, path, []byte(text), classSrc, classPath)
				require.Positive(t, n, "no error for %q %s line %d of %s", junk, what, at+1, path)
			})
		})
	}
}
