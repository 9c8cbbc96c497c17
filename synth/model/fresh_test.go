package model

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func loadBundled(t *testing.T, name string) *Model {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	m, err := Load(filepath.Join(dir, "..", "..", "devices", name, name+".dev"))
	require.NoError(t, err)
	return m
}

func transition(t *testing.T, m *Model, name string) *Transition {
	t.Helper()
	for _, tr := range append(append([]*Transition(nil), m.Internals...), m.Inputs...) {
		if tr.Name == name {
			return tr
		}
	}
	t.Fatalf("no transition %s", name)
	return nil
}

// TestTicksBringFreshValues: the RTC's time registers, loaded by one tick,
// must not be taken for the values the next tick brings.
func TestTicksBringFreshValues(t *testing.T) {
	// The spec whose ticks carry the calendar: the bundled one's do not.
	m, err := Load("../../devices/mc146818/testdata/untimed.dev")
	require.NoError(t, err)
	fire := func(s *State, name string) *State {
		tr := transition(t, m, name)
		ok, err := m.Enabled(tr, s)
		require.NoError(t, err)
		require.True(t, ok, "%s enabled", name)
		n, err := m.Fire(tr, s, nil)
		require.NoError(t, err)
		return n
	}
	sec, next := m.Var("SECONDS.VALUE"), m.Var("next_second")
	require.GreaterOrEqual(t, sec, 0)
	require.GreaterOrEqual(t, next, 0)
	s := fire(m.Reset(), "tick")
	s = fire(fire(fire(s, "announce"), "begin"), "finish")
	require.Same(t, s.Val(next), s.Val(sec), "finish copies the tick's second")
	s2 := fire(s, "tick")
	require.NotSame(t, s2.Val(next), s2.Val(sec), "a second tick's value is not the first one's")
	// Renumbering keeps the state space finite: once the first value is
	// gone, a third tick gives the state the second tick gave.
	// The update is rare: at most once per call, so the next is in a new one.
	s2 = s2.Clone()
	s2.ClearEvents()
	s3 := fire(fire(fire(fire(s2, "announce"), "begin"), "finish"), "tick")
	s3.ClearEvents()
	require.NotSame(t, s3.Val(next), s3.Val(sec))
	require.Equal(t, s2.Key(), s3.Key())
}

// TestOverwrittenUnknownIsRenumbered: a byte that overruns the one in RBR
// leaves one unknown, numbered like the first: the state does not depend
// on how many bytes arrived.
func TestOverwrittenUnknownIsRenumbered(t *testing.T) {
	m := loadBundled(t, "uart16550")
	rx := transition(t, m, "receive")
	one, err := m.Fire(rx, m.Reset(), nil)
	require.NoError(t, err)
	two, err := m.Fire(rx, one, nil)
	require.NoError(t, err)
	three, err := m.Fire(rx, two, nil)
	require.NoError(t, err)
	b := m.Var("rx_byte")
	require.Same(t, one.Val(b), two.Val(b))
	require.Equal(t, two.Key(), three.Key())
	require.NotEqual(t, one.Key(), two.Key(), "the overrun flag differs")
}
