package solve

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
)

func synthFile(t *testing.T, path string) *Result {
	t.Helper()
	spec, diags := dsl.LoadDevice(path)
	require.False(t, diags.HasErrors(), "%v", diags)
	m, err := model.Lower(spec)
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
