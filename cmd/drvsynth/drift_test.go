package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth"
	"github.com/drvsynth/drvsynth/synth/gen"
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
			res, err := synth.Build(spec, solve.Options{})
			require.NoError(t, err)
			rel, err := filepath.Rel(root, spec)
			require.NoError(t, err)
			want, err := gen.Generate(res, rel)
			require.NoError(t, err)
			got, err := os.ReadFile(filepath.Join(root, "generated", res.Model.Name, res.Model.Name+".go"))
			require.NoError(t, err)
			if string(got) != string(want) {
				t.Fatalf("generated/%s is stale: run 'go run ./cmd/drvsynth synth' and commit the result", res.Model.Name)
			}
		})
	}
}
