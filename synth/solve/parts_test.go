package solve

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"

	"github.com/drvsynth/drvsynth/synth/internal/testspec"
	"github.com/drvsynth/drvsynth/synth/model"
)

var update = flag.Bool("update", false, "rewrite the want section of testdata/*.txtar")

// TestParts solves the small device and class pairs in testdata, one
// feature of the game each, and compares every method's rank and strategy
// (or the counterexample, when there is none) with the archive's "want"
// section. Run with -update to rewrite it after a deliberate change.
func TestParts(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.txtar")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			require.NoError(t, err)
			got := solvePart(t, ar)
			if *update {
				setSection(ar, "want", got)
				require.NoError(t, os.WriteFile(path, txtar.Format(ar), 0o644))
				return
			}
			want, ok := section(ar, "want")
			require.True(t, ok, "%s has no want section (run with -update)", path)
			require.Equal(t, want, got)
		})
	}
}

// solvePart checks, lowers and solves the archive's .dev against its .osi
// and describes the outcome as text.
func solvePart(t *testing.T, ar *txtar.Archive) string {
	t.Helper()
	spec, err := testspec.FromArchive(ar)
	require.NoError(t, err)
	m, err := model.Lower(spec)
	require.NoError(t, err)
	res, err := SynthesizeWith(m, Options{MaxBeliefs: 4000})
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	var b strings.Builder
	for _, st := range res.Methods {
		require.Equal(t, st.Starts[0].Rank, st.Stats.Rank, st.Method.Name)
		fmt.Fprintf(&b, "== %s rank %d\n%s", st.Method.Name, st.Stats.Rank, st.Dump())
	}
	return b.String()
}

func section(ar *txtar.Archive, name string) (string, bool) {
	for _, f := range ar.Files {
		if f.Name == name {
			return string(f.Data), true
		}
	}
	return "", false
}

func setSection(ar *txtar.Archive, name, data string) {
	for i := range ar.Files {
		if ar.Files[i].Name == name {
			ar.Files[i].Data = []byte(data)
			return
		}
	}
	ar.Files = append(ar.Files, txtar.File{Name: name, Data: []byte(data)})
}
