package solve

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMoveMemoReplaysExpansions checks, on every bundled driver, that a
// belief whose moves a later round of the idle fixpoint replays gets
// exactly what expanding it afresh gives (checkReplay panics otherwise),
// that replays happen, and that the strategies are those of a synthesis
// that solves every method in every round without the memo, belief for
// belief.
func TestMoveMemoReplaysExpansions(t *testing.T) {
	for _, dev := range []string{"uart16550", "vblk", "pl011"} {
		t.Run(dev, func(t *testing.T) {
			m := loadDevice(t, dev)
			checks := 0
			memoChecks = &checks
			checked, err := Synthesize(m)
			memoChecks = nil
			require.NoError(t, err)
			assert.Positive(t, checks, "a later round replays moves")

			replayed, err := Synthesize(m)
			require.NoError(t, err)
			plain, err := SynthesizeWith(m, Options{noMemo: true})
			require.NoError(t, err)
			require.Len(t, replayed.Methods, len(plain.Methods))
			for i, st := range plain.Methods {
				for _, got := range []*Strategy{checked.Methods[i], replayed.Methods[i]} {
					assert.Equal(t, st.Method.Name, got.Method.Name)
					assert.Equal(t, st.Stats.Beliefs, got.Stats.Beliefs, st.Method.Name)
					assert.Equal(t, st.Stats.Expanded, got.Stats.Expanded, st.Method.Name)
					assert.Equal(t, st.Stats.Edges, got.Stats.Edges, st.Method.Name)
					assert.Equal(t, st.Stats.Rank, got.Stats.Rank, st.Method.Name)
					assert.Equal(t, st.Dump(), got.Dump(), st.Method.Name)
				}
			}
		})
	}
}
