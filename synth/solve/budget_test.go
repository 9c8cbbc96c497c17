package solve

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
)

func dumpAll(t *testing.T, m *model.Model, opts Options) string {
	t.Helper()
	res, err := SynthesizeWith(m, opts)
	require.NoError(t, err, "%+v", opts)
	var b strings.Builder
	for _, st := range res.Methods {
		b.WriteString("== " + st.Method.Name + "\n" + st.Dump())
	}
	return b.String()
}

// TestDeepeningIsNotSemantics cuts the iterative deepening short, so every
// UART method is decided on its whole game graph by a fixpoint instead: the
// strategies must be the same as the deepening's.
func TestDeepeningIsNotSemantics(t *testing.T) {
	m, err := model.Load("../../devices/uart16550/uart16550.dev")
	require.NoError(t, err)
	require.Equal(t, dumpAll(t, m, Options{}), dumpAll(t, m, Options{depth: 1}))
}
