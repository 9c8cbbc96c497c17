package solve

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
)

func synthFile(t *testing.T, path string) *Result {
	t.Helper()
	m, err := model.Load(path)
	require.NoError(t, err)
	res, err := Synthesize(m)
	require.NoError(t, err)
	return res
}

func TestUARTDump(t *testing.T) {
	res := synthFile(t, "../../devices/uart16550/uart16550.dev")
	for _, st := range res.Methods {
		t.Logf("== %s (beliefs %d, edges %d, rank %d, %v)\n%s", st.Method.Name, st.Stats.Beliefs, st.Stats.Edges, st.Stats.Rank, st.Stats.Time, st.Dump())
	}
}

// TestUARTRanks pins the worst-case bus accesses of every UART method, so a
// change to the solver that makes a strategy worse (or a search artifact
// that hides a better one) is caught. Configure polls TEMT, then writes LCR
// (DLAB set), DLL, DLM and LCR again; Write and Read poll LSR and move one
// byte.
func TestUARTRanks(t *testing.T) {
	res := synthFile(t, "../../devices/uart16550/uart16550.dev")
	ranks := map[string]int{}
	for _, st := range res.Methods {
		ranks[st.Method.Name] = st.Stats.Rank
		require.Equal(t, st.Starts[0].Rank, st.Stats.Rank, st.Method.Name)
	}
	require.Equal(t, map[string]int{"Init": 1, "Configure": 5, "Write": 2, "Read": 2}, ranks)
}

// BenchmarkSynthesizeUART measures the whole UART synthesis: every method,
// the idle fixpoint included. It reports the beliefs of all games.
func BenchmarkSynthesizeUART(b *testing.B) {
	m, err := model.Load("../../devices/uart16550/uart16550.dev")
	require.NoError(b, err)
	beliefs := 0
	for b.Loop() {
		res, err := Synthesize(m)
		require.NoError(b, err)
		beliefs = 0
		for _, st := range res.Methods {
			beliefs += st.Stats.Beliefs
		}
	}
	b.ReportMetric(float64(beliefs), "beliefs")
}
