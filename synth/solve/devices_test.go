package solve

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
)

// TestBundledDevicesFinish checks that synthesis of every bundled device
// ends quickly: with a strategy, or with an error that says why (a device
// may be unrealizable against its class), never by running for minutes.
func TestBundledDevicesFinish(t *testing.T) {
	for _, dev := range []string{"mc146818", "ata"} {
		t.Run(dev, func(t *testing.T) {
			spec, diags := dsl.LoadDevice("../../devices/" + dev + "/" + dev + ".dev")
			require.False(t, diags.HasErrors(), "%v", diags)
			m, err := model.Lower(spec)
			require.NoError(t, err)
			start := time.Now()
			// A small belief budget: the property is that synthesis ends
			// with a strategy or a reason, not how far the search can go.
			res, err := SynthesizeWith(m, Options{MaxBeliefs: 4000})
			took := time.Since(start)
			if err != nil {
				require.NotEmpty(t, err.Error())
				t.Logf("%s: %v after %v", dev, err, took)
			} else {
				for _, st := range res.Methods {
					t.Logf("%s %s: rank %d, %d beliefs, %v", dev, st.Method.Name, st.Stats.Rank, st.Stats.Beliefs, st.Stats.Time)
				}
			}
			require.Less(t, took, 20*time.Second)
		})
	}
}
