package dsl

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInfoRecordsResolutions checks what the checker records for names of
// every kind in the bundled UART and its class.
func TestInfoRecordsResolutions(t *testing.T) {
	spec, diags := LoadDevice(filepath.Join(repoRoot(t), "devices", "uart16550", "uart16550.dev"))
	require.False(t, diags.HasErrors(), "%v", diags)
	require.NotNil(t, spec.Info)
	// uses collects, per spelling, the kinds the name resolved to.
	uses := map[string]map[ObjectKind]*Object{}
	for e, o := range spec.Info.Uses {
		n := e.Name()
		if uses[n] == nil {
			uses[n] = map[ObjectKind]*Object{}
		}
		uses[n][o.Kind] = o
	}
	require.NotNil(t, uses["rx_byte"][ObjState], "a state variable")
	require.Equal(t, "rx_byte", uses["rx_byte"][ObjState].State.Name)
	f := uses["DATA"][ObjField]
	require.NotNil(t, f, "a bare field in its register's handler")
	require.Equal(t, "DATA", f.Field.Name)
	require.NotNil(t, uses["LCR.DLAB"][ObjField], "REG.FIELD")
	require.NotNil(t, uses["TX_FIFO_DEPTH"][ObjConst], "a constant")
	require.NotNil(t, uses["baud"][ObjParam], "a binding parameter")
	m := uses["BITS8"][ObjMember]
	require.NotNil(t, m, "a field enum member")
	require.NotNil(t, m.Enum)
	require.Equal(t, uint64(3), m.Value)
	require.NotNil(t, uses["tx"][ObjEvent], "an event in a contract")
	require.NotNil(t, uses["line"][ObjPredicate], "a predicate in a contract")
	// Every assignment target resolved, to a state variable or a field.
	n := 0
	for a, o := range spec.Info.Targets {
		require.Contains(t, []ObjectKind{ObjState, ObjField}, o.Kind, "%v", a.Target.Parts)
		n++
	}
	require.Greater(t, n, 5)
}
