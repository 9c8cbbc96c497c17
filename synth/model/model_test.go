package model_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/internal/testspec"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

func lower(t *testing.T, name string) *model.Model {
	t.Helper()
	m, err := testspec.Model(name)
	require.NoError(t, err)
	return m
}

func TestLowerLayout(t *testing.T) {
	m := lower(t, "settle")
	assert.Equal(t, "settle", m.Name)
	assert.Equal(t, "toy", m.Class)
	assert.Equal(t, "port", m.BusKind)
	assert.Equal(t, 8, m.BusWidth)

	status, ctrl := m.Reg("STATUS"), m.Reg("CTRL")
	require.NotNil(t, status)
	require.NotNil(t, ctrl)
	assert.True(t, status.Read)
	assert.False(t, status.Write)
	assert.True(t, ctrl.Read && ctrl.Write)
	assert.Equal(t, uint32(1), ctrl.Offset)

	// A field of a ro register is computed; a field of a rw register is
	// stored in a variable of its own.
	busy := status.Fields[0]
	assert.False(t, busy.Stored)
	assert.NotNil(t, busy.Value)
	en := ctrl.Fields[0]
	assert.True(t, en.Stored)
	assert.Equal(t, "CTRL.EN", m.Vars[en.Var].Name)
	assert.Equal(t, uint64(1), en.Mask())

	require.Len(t, m.Internals, 1)
	assert.True(t, m.Internals[0].Fair)
	assert.Equal(t, "settle", m.Internals[0].Name)

	assert.Contains(t, m.Bindings, "ready")
	require.Len(t, m.Methods, 1)
	assert.Equal(t, "Init", m.Methods[0].Name)
}

func TestLowerEnums(t *testing.T) {
	m := lower(t, "mode")
	sel := m.Reg("CTRL").Fields[0]
	require.NotNil(t, sel.Enum)
	v, ok := sel.Enum.Value("FAST")
	assert.True(t, ok)
	assert.Equal(t, uint64(2), v)
	assert.Equal(t, 2, sel.Width)

	mode := m.Enum("Mode")
	require.NotNil(t, mode, "class enums are lowered too")
	assert.True(t, mode.Class)
	v, ok = mode.Value("Fast")
	assert.True(t, ok)
	assert.Equal(t, uint64(1), v)
}

// The interpreter: a write breaks a require while the device is busy, the
// fair transition clears busy, then the same write is legal and stored.
func TestInterpreterRequireAndTransition(t *testing.T) {
	m := lower(t, "settle")
	s := m.Reset()
	busy := m.Var("busy")
	require.GreaterOrEqual(t, busy, 0)
	assert.Equal(t, term.C(1, 1), s.Val(busy), "busy after reset")

	ctrl := m.Reg("CTRL")
	_, viol, err := m.WriteReg(s, ctrl, []*term.T{term.C(1, 1)})
	require.NoError(t, err)
	require.NotNil(t, viol)
	assert.Equal(t, "CTRL written while the device is busy", *viol.Require.Message)

	settle := m.Internals[0]
	on, err := m.Enabled(settle, s)
	require.NoError(t, err)
	assert.True(t, on)
	s, err = m.Fire(settle, s, nil)
	require.NoError(t, err)
	assert.Equal(t, term.C(0, 1), s.Val(busy))
	on, err = m.Enabled(settle, s)
	require.NoError(t, err)
	assert.False(t, on, "the guard no longer holds")

	s, viol, err = m.WriteReg(s, ctrl, []*term.T{term.C(1, 1)})
	require.NoError(t, err)
	assert.Nil(t, viol)
	en := ctrl.Fields[0]
	assert.Equal(t, term.C(1, 1), s.Val(en.Var))

	vals, _, viol, err := m.ReadReg(s, m.Reg("STATUS"))
	require.NoError(t, err)
	assert.Nil(t, viol)
	assert.Equal(t, uint64(0), vals[0].Val, "STATUS.BUSY reads busy")
}

// A trigger field is not stored: writing it runs the handler, whose
// branches see the value written.
func TestInterpreterTrigger(t *testing.T) {
	m := lower(t, "stuck")
	cmd := m.Reg("CMD")
	code := cmd.Fields[0]
	assert.True(t, code.Trigger)
	assert.False(t, code.Stored)
	start, ok := code.Enum.Value("START")
	require.True(t, ok)

	s, viol, err := m.WriteReg(m.Reset(), cmd, []*term.T{term.C(start, 8)})
	require.NoError(t, err)
	assert.Nil(t, viol)
	assert.Equal(t, term.C(1, 1), s.Val(m.Var("started")))
	assert.Equal(t, term.C(1, 1), s.Val(m.Var("busy")))

	_, viol, err = m.WriteReg(s, cmd, []*term.T{term.C(start, 8)})
	require.NoError(t, err)
	require.NotNil(t, viol, "a second command while busy")
}

func TestLoadReportsDiagnostics(t *testing.T) {
	_, err := model.Load("testdata-does-not-exist.dev")
	require.Error(t, err)
}

// TestGuardVars: a guard over state variables and stored fields lists
// each once, in the order it reads them.
func TestGuardVars(t *testing.T) {
	m, err := model.Load("../../devices/ata/ata.dev")
	require.NoError(t, err)
	vars := func(name string) []string {
		for _, tr := range m.Internals {
			if tr.Name == name {
				is, ok := m.GuardVars(tr)
				require.True(t, ok, name)
				var out []string
				for _, i := range is {
					out = append(out, m.Vars[i].Name)
				}
				return out
			}
		}
		t.Fatalf("no transition %s", name)
		return nil
	}
	assert.Equal(t, []string{"phase", "op"}, vars("data_ready"))
	assert.Equal(t, []string{"settling"}, vars("settled"))
}
