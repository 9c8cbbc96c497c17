package solve

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
)

// TestBundledDevicesFinish checks that synthesis of every bundled device
// ends: with a strategy, or with an error that says why (a device may be
// unrealizable against its class, or need more beliefs than the budget).
// The belief budget, not a clock, bounds the work: timings belong in
// benchmarks.
func TestBundledDevicesFinish(t *testing.T) {
	for _, dev := range []string{"mc146818", "ata"} {
		t.Run(dev, func(t *testing.T) {
			m, err := model.Load("../../devices/" + dev + "/" + dev + ".dev")
			require.NoError(t, err)
			// A small belief budget: the property is that synthesis ends
			// with a strategy or a reason, not how far the search can go.
			res, err := SynthesizeWith(m, Options{MaxBeliefs: 4000})
			if err != nil {
				require.NotEmpty(t, err.Error())
				t.Logf("%s: %v", dev, err)
			} else {
				for _, st := range res.Methods {
					t.Logf("%s %s: rank %d, %d beliefs, %v", dev, st.Method.Name, st.Stats.Rank, st.Stats.Beliefs, st.Stats.Time)
				}
			}
		})
	}
}
