package sim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/internal/testspec"
)

// A rare transition happens at most once between two NewCall, whatever the
// schedule: the counter of synth/solve/testdata/rare.txtar steps once per
// call however long the driver polls, and again after NewCall.
func TestRareOncePerCall(t *testing.T) {
	m, err := testspec.Model("rare")
	require.NoError(t, err)
	for seed := uint64(0); seed < 200; seed++ {
		d, err := NewFromModel(m, Options{Seed: seed, Unfair: true})
		require.NoError(t, err)
		b := d.Bus()
		for call := 1; call <= 3; call++ {
			d.NewCall()
			for range 20 {
				b.Read8(0)
			}
			require.LessOrEqual(t, d.Steps(), call, "seed %d call %d", seed, call)
		}
		require.NoError(t, d.Err())
		for _, e := range d.Events() {
			require.Equal(t, "seen", e.Name, "no pseudo-event reaches the record")
		}
	}
	// Over 200 seeds the step happens in some calls: the test would pass
	// vacuously otherwise.
	d, err := NewFromModel(m, Options{Seed: 1, Unfair: true})
	require.NoError(t, err)
	for range 50 {
		d.NewCall()
		d.Bus().Read8(1)
	}
	require.Positive(t, d.Steps())
	require.LessOrEqual(t, d.Steps(), 50)
}
