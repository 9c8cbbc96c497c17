package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/solve"
)

// TestGeneratedDriversMatchSpecs regenerates every committed driver and
// fails on any difference: a spec or synthesizer change must come with its
// regenerated driver.
func TestGeneratedDriversMatchSpecs(t *testing.T) {
	root, err := repoRoot()
	require.NoError(t, err)
	specs, err := bundledDrivers(root)
	require.NoError(t, err)
	require.NotEmpty(t, specs)
	for _, spec := range specs {
		t.Run(filepath.Base(spec), func(t *testing.T) {
			// The same path "drvsynth synth" takes: import paths from go.mod.
			f, err := synthesize(spec, "", dsl.DefaultClassPath(), solve.Options{})
			require.NoError(t, err)
			require.Equal(t, filepath.Join(root, "generated", f.res.Model.Name, f.res.Model.Name+".go"), f.path)
			got, err := os.ReadFile(f.path)
			require.NoError(t, err)
			if string(got) != string(f.src) {
				t.Fatalf("generated/%s is stale: run 'go run ./cmd/drvsynth synth' and commit the result", f.res.Model.Name)
			}
		})
	}
}
