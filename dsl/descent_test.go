package dsl

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/alecthomas/participle/v2/lexer"
	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/stretchr/testify/require"
)

// Every tree the hand-written parser builds in this package's tests, from
// the bundled specs to the snippets of the checker's tests, is compared
// with the one participle builds from the same tokens.
func init() { descentCheck = mustMatchReference }

func mustMatchReference(name string, toks []lexer.Token, f *File) {
	if err := matchReference(toks, f); err != nil {
		panic(fmt.Sprintf("%s: %v", name, err))
	}
}

// matchReference reports how f, descend's tree for toks, differs from
// participle's.
func matchReference(toks []lexer.Token, f *File) error {
	ref, err := parseTokens(parser, toks)
	if err != nil {
		return fmt.Errorf("descend accepted a file participle rejects: %v", err)
	}
	if !reflect.DeepEqual(ref, f) {
		return fmt.Errorf("descend's tree differs from participle's:\n%s", diffTrees(ref, f))
	}
	return nil
}

// diffTrees shows two trees' differences, as JSON (which follows the
// pointers that %v would print as addresses).
func diffTrees(want, got *File) string {
	a, errA := json.MarshalIndent(want, "", "  ")
	b, errB := json.MarshalIndent(got, "", "  ")
	if errA != nil || errB != nil {
		return fmt.Sprintf("%v %v", errA, errB)
	}
	return udiff.Unified("participle", "descend", string(a), string(b))
}

// The bundled specs, and every spec file of the repository, take the
// hand-written path: a spec that falls back to participle loads slowly.
func TestDescendParsesEverySpec(t *testing.T) {
	var paths []string
	for _, pattern := range []string{"../devices/*/*.dev", "../devices/*/testdata/*.dev", "../os-interface/*/*.osi",
		"../synth/solve/testdata/*/*/*", "testdata/format/*.in"} {
		ps, err := filepath.Glob(pattern)
		require.NoError(t, err)
		paths = append(paths, ps...)
	}
	require.NotEmpty(t, paths)
	for _, p := range paths {
		src, err := os.ReadFile(p)
		require.NoError(t, err)
		toks, diags := scan(p, src)
		require.Empty(t, diags, p)
		f := descend(toks)
		if _, err := parseTokens(parser, toks); err != nil {
			require.Nil(t, f, "%s: participle rejects it", p)
			continue
		}
		require.NotNil(t, f, "%s: descend gave up on a spec participle parses", p)
		require.NoError(t, matchReference(toks, f), p)
	}
}

// FuzzDescend: whatever the input, a tree descend builds is the one
// participle builds, and participle accepts every file descend does.
//
//	go test ./dsl -run '^$' -fuzz FuzzDescend -fuzztime 5m -fuzzminimizetime 20x
func FuzzDescend(f *testing.F) {
	addSeeds(f, "../devices/*/*.dev")
	addSeeds(f, "../os-interface/*/*.osi")
	addSeeds(f, "testdata/format/*.in")
	f.Fuzz(func(t *testing.T, src []byte) {
		toks, diags := scan("fuzz", src)
		if toks == nil || len(diags) > 0 {
			return
		}
		if d := descend(toks); d != nil {
			require.NoError(t, matchReference(toks, d), "input:\n%q", src)
		}
	})
}
