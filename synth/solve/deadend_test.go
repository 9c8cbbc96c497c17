package solve

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDeadEndSearchAnswersAsAPlainSearch checks, on bundled drivers held
// to an idle invariant (the RTC's ReadTime has dead ends, the PL011 many
// skeleton states one write from idle), that the dead-end search, which
// follows leads first and keeps what it decided across questions and
// rounds, answers every question as a plain breadth-first search over
// every move would (checkDeadEnd panics otherwise), and that the
// strategies are those of a synthesis without the checks.
func TestDeadEndSearchAnswersAsAPlainSearch(t *testing.T) {
	for _, dev := range []string{"pl011", "mc146818"} {
		t.Run(dev, func(t *testing.T) {
			m := loadDevice(t, dev)
			checks := 0
			deadEndChecks = &checks
			checked, err := Synthesize(m)
			deadEndChecks = nil
			require.NoError(t, err)
			assert.Positive(t, checks)

			plain, err := Synthesize(m)
			require.NoError(t, err)
			require.Len(t, checked.Methods, len(plain.Methods))
			for i, st := range plain.Methods {
				got := checked.Methods[i]
				assert.Equal(t, st.Stats.Beliefs, got.Stats.Beliefs, st.Method.Name)
				assert.Equal(t, st.Dump(), got.Dump(), st.Method.Name)
			}
		})
	}
}
