package solve_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth"
	"github.com/drvsynth/drvsynth/synth/gen"
	"github.com/drvsynth/drvsynth/synth/solve"
)

// TestBudgetIsNotSemantics generates every bundled driver at the default
// belief budget and at ten times it: the Go source must be byte-identical.
// A budget may end synthesis with an error; it must never choose a
// different driver.
func TestBudgetIsNotSemantics(t *testing.T) {
	list, err := os.ReadFile("../../generated/drivers.txt")
	require.NoError(t, err)
	var specs []string
	for _, line := range strings.Split(string(list), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			specs = append(specs, line)
		}
	}
	require.NotEmpty(t, specs)
	for _, spec := range specs {
		t.Run(filepath.Base(spec), func(t *testing.T) {
			var srcs []string
			for _, budget := range []int{solve.DefaultMaxBeliefs, 10 * solve.DefaultMaxBeliefs} {
				res, err := synth.Build(filepath.Join("../..", spec), solve.Options{MaxBeliefs: budget})
				require.NoError(t, err, "budget %d", budget)
				src, err := gen.Generate(res, spec)
				require.NoError(t, err)
				srcs = append(srcs, string(src))
			}
			require.Equal(t, srcs[0], srcs[1], "10x the belief budget changed the driver")
		})
	}
}
