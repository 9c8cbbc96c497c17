package solve

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
)

// TestEnabledMemoAgrees: the closer's memoized guards say what
// model.Enabled says in every state the device reaches by itself from
// reset and from where the synthesized methods end, asked once and again
// (from the memo), on every bundled driver.
func TestEnabledMemoAgrees(t *testing.T) {
	for _, dev := range []string{"uart16550", "vblk", "pl011", "mc146818", "ata"} {
		t.Run(dev, func(t *testing.T) {
			m := loadDevice(t, dev)
			res, err := Synthesize(m)
			require.NoError(t, err)
			cl := newCloser(m)
			starts := []int32{cl.intern(m.Reset())}
			for _, st := range res.Methods {
				for _, s := range st.endStates() {
					starts = append(starts, cl.intern(s))
				}
			}
			_, err = cl.close(starts)
			require.NoError(t, err)
			ts := append(append([]*model.Transition(nil), m.Internals...), m.Inputs...)
			for pass := 0; pass < 2; pass++ {
				for _, r := range cl.recs {
					for gi, tr := range ts {
						want, err := m.Enabled(tr, r.s)
						require.NoError(t, err)
						got, err := cl.enabled(gi, tr, r.s)
						require.NoError(t, err)
						assert.Equal(t, want, got, "%s in %s", tr.Name, m.FiniteKey(r.s))
					}
				}
			}
		})
	}
}
