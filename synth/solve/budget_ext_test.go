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

// TestBudgetErrorNamesTheMethod: a game that outgrows the budget ends
// synthesis with a MethodError that names the method and the size its game
// reached, and carries the strategies of the methods solved before it (what
// bench synth reports of a spec that does not synthesize).
func TestBudgetErrorNamesTheMethod(t *testing.T) {
	_, err := synth.Build("../../devices/mc146818/mc146818.dev", solve.Options{MaxBeliefs: 60})
	var merr *solve.MethodError
	require.ErrorAs(t, err, &merr)
	require.Equal(t, "ReadTime", merr.Method.Name)
	require.Contains(t, err.Error(), "method ReadTime: the game grew past 60 beliefs")
	require.Greater(t, merr.Stats.Beliefs, 60)
	require.Equal(t, -1, merr.Stats.Rank)
	require.Len(t, merr.Solved, 1)
	require.Equal(t, "Init", merr.Solved[0].Method.Name)
}
