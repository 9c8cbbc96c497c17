package solve

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
)

// readActions lists the register reads of a strategy's moves.
func readActions(st *Strategy) []*Action {
	var out []*Action
	seen := map[*Node]bool{}
	var walk func(*Node)
	walk = func(n *Node) {
		if seen[n] || n.Best == nil {
			return
		}
		seen[n] = true
		if n.Best.Act.Kind == ActRead {
			out = append(out, n.Best.Act)
		}
		for _, o := range n.Best.Outs {
			walk(o.Next)
		}
	}
	for _, s := range st.Starts {
		walk(s)
	}
	return out
}

func faultNames(fs []*model.ElemFault) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name+"="+f.Field.Qual())
	}
	return out
}

// TestLineErrorsAreOutcomesOfRead: serial's Read declares four faults about
// a received byte, and the 16550 binds them to LSR. The strategy's LSR
// reads are the ones that show them (the poll for DR: one LSR read per
// byte), the RBR read shows none, and the game is as cheap as without
// them: 2 accesses per byte. The other methods declare no faults, so
// their reads of the same LSR report nothing.
func TestLineErrorsAreOutcomesOfRead(t *testing.T) {
	m, err := model.Load("../../devices/uart16550/uart16550.dev")
	require.NoError(t, err)
	res, err := Synthesize(m)
	require.NoError(t, err)
	all := []string{"overrun=LSR.OE", "parity=LSR.PE", "framing=LSR.FE", "break=LSR.BI"}
	for _, st := range res.Methods {
		if st.Method.Name != "Read" {
			assert.Empty(t, st.Faults, st.Method.Name)
			for _, a := range readActions(st) {
				assert.Empty(t, a.Reports, "%s: %s", st.Method.Name, a)
			}
			continue
		}
		assert.Equal(t, all, faultNames(st.Faults))
		assert.Equal(t, 2, st.Stats.Rank, "LSR then RBR, per byte")
		lsr := 0
		for _, a := range readActions(st) {
			switch a.Reg.Name {
			case "LSR":
				lsr++
				assert.Equal(t, all, faultNames(a.Reports), "%s", a)
			default:
				assert.Empty(t, a.Reports, "%s", a)
			}
		}
		assert.Positive(t, lsr, "Read reads LSR")
	}
}

// TestFaultsAreOptional: a device that binds none of the class's faults
// (the PL011 spec binds none) still synthesizes, and reports nothing.
func TestFaultsAreOptional(t *testing.T) {
	m, err := model.Load("../../devices/pl011/pl011.dev")
	require.NoError(t, err)
	assert.Empty(t, m.ElemFaults())
	res, err := Synthesize(m)
	require.NoError(t, err)
	for _, st := range res.Methods {
		assert.Empty(t, st.Faults, st.Method.Name)
		for _, a := range readActions(st) {
			assert.Empty(t, a.Reports, "%s: %s", st.Method.Name, a)
		}
	}
}
