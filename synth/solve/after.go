package solve

import (
	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// Events that are not the last access. The ATA disk's DATA write emits
// sectors_written and always leaves the device Busy, a phase the idle
// invariant never has: the state right after the write is in the belief
// that follows (the device need not have moved yet), so that belief is no
// goal, and no fault either while the device has stayed fair. Some access
// comes after the one that emits the event, and when every other access
// the bound counts comes before it (the command's registers, the command,
// the status read before the transfer), that access is one more.

// leavesIdle reports whether every emission of ev is by an access whose
// handler always leaves a variable at a value no idle state has.
func leavesIdleAfter(m *model.Model, ev string, idle []*model.State) bool {
	if len(idle) == 0 {
		return false
	}
	sites := 0
	ok := true
	handler := func(ss []*dsl.Stmt, local *model.Reg) {
		emits := false
		walkStmts(ss, func(s *dsl.Stmt) { emits = emits || s.Emit != nil && s.Emit.Event == ev })
		if !emits {
			return
		}
		sites++
		ok = ok && leavesSet(m, ss, local, idle)
	}
	for _, r := range m.Regs {
		handler(r.OnRead, r)
		handler(r.OnWrite, r)
	}
	for _, p := range m.Streams {
		handler(p.OnRead, nil)
		handler(p.OnWrite, nil)
	}
	for _, t := range append(append([]*model.Transition(nil), m.Internals...), m.Inputs...) {
		walkStmts(t.Body, func(s *dsl.Stmt) {
			if s.Emit != nil && s.Emit.Event == ev {
				ok = false // the device emits it by itself
			}
		})
	}
	return ok && sites > 0
}

// leavesSet reports whether handler ss assigns, at its top level, a
// constant to a finite variable (not a register field) that it assigns
// nowhere else and that no idle state holds.
func leavesSet(m *model.Model, ss []*dsl.Stmt, local *model.Reg, idle []*model.State) bool {
	count := map[int]int{}
	walkStmts(ss, func(s *dsl.Stmt) {
		if s.Assign != nil {
			count[assignTarget(m, s.Assign, local)]++
		}
	})
	for _, s := range ss {
		if s.Assign == nil {
			continue
		}
		vi := assignTarget(m, s.Assign, local)
		if vi < 0 || count[vi] != 1 || m.Vars[vi].Field != nil || !m.Vars[vi].Finite {
			continue
		}
		v := m.Vars[vi]
		x, err := m.EvalExpected(s.Assign.Value, nil, nil, v.Enum)
		if err != nil || !x.IsConst() {
			continue
		}
		x = term.Resize(x, v.Width)
		held := false
		for _, st := range idle {
			held = held || st.Val(vi) == x
		}
		if !held {
			return true
		}
	}
	return false
}
