package solve

import (
	"encoding/binary"

	"github.com/drvsynth/drvsynth/synth/model"
)

// guardMemo remembers the truth of one device transition's guard by the
// values of the variables it reads (model.GuardVars): the states the
// closer expands mostly differ in what a guard does not read, so most
// guards are evaluated once per combination of a few finite values.
type guardMemo struct {
	vars  []int
	truth map[string]bool // by the values' IDs; nil: not memoized
}

// newGuardMemos makes the memos of m's internal transitions, then its
// inputs, in deviceMoves' order.
func newGuardMemos(m *model.Model) []guardMemo {
	ts := append(append([]*model.Transition(nil), m.Internals...), m.Inputs...)
	out := make([]guardMemo, len(ts))
	for i, t := range ts {
		if vars, ok := m.GuardVars(t); ok && t.Guard != nil {
			out[i] = guardMemo{vars: vars, truth: map[string]bool{}}
		}
	}
	return out
}

// enabled is m.Enabled(t, s), where t is the gi'th transition of
// newGuardMemos.
func (c *closer) enabled(gi int, t *model.Transition, s *model.State) (bool, error) {
	if !model.Allowed(t, s) {
		return false, nil
	}
	g := &c.guards[gi]
	if g.truth == nil {
		return c.m.GuardHolds(t, s)
	}
	kb := c.guardKey[:0]
	for _, i := range g.vars {
		kb = binary.LittleEndian.AppendUint32(kb, s.Val(i).ID())
	}
	c.guardKey = kb
	if ok, known := g.truth[string(kb)]; known {
		return ok, nil
	}
	ok, err := c.m.GuardHolds(t, s)
	if err != nil {
		return false, err
	}
	g.truth[string(kb)] = ok
	return ok, nil
}
