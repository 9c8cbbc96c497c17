package solve

import (
	"strings"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// Values an event still owes the driver. A wanted event that carries
// results binds them to its arguments, and the method wins only when every
// argument is a value the driver can name. Once the device has emitted the
// event, an argument that still mentions a stored value the driver never
// read (the RTC's year, when it read the seconds first) has to be learned
// afterwards, and for a carried value only one register can teach it. The
// lower bound counts that read as it counts the reads before the event: a
// belief past the event is otherwise priced as if only the restores were
// left.
//
// It is admissible only if the value cannot reach the driver another way:
// nothing copies the variable anywhere, and what it copies from (the data
// an input brought) is shown by no register and copied into nothing else.

// owedVars lists, per wanted event, the carried values (bounds.carried)
// whose value stays where it is until its register teaches it.
func (gm *game) owedVars(carried map[string][]carriedVal) map[string][]carriedVal {
	m := gm.m
	shown := shownVars(m)
	copiedInto := map[int]map[int]bool{} // var -> the variables assignments copy it into
	eachAssign(m, func(target int, value *dsl.Expr, local *model.Reg, ownWrite bool) {
		names := map[string]bool{}
		collectAllNames(value, names)
		for n := range names {
			vi := -1
			if local != nil && !ownWrite {
				vi = m.Var(local.Name + "." + n)
			}
			if vi < 0 {
				vi = m.Var(n)
			}
			if vi < 0 {
				continue
			}
			if copiedInto[vi] == nil {
				copiedInto[vi] = map[int]bool{}
			}
			copiedInto[vi][target] = true
		}
	})
	out := map[string][]carriedVal{}
	for ev, cvs := range carried {
		for _, cv := range cvs {
			if len(copiedInto[cv.v]) > 0 {
				continue
			}
			ok := true
			for w, into := range copiedInto {
				if !into[cv.v] {
					continue
				}
				// A source of cv.v: shown by no register, copied nowhere else.
				if shown[w] || len(into) != 1 {
					ok = false
				}
			}
			if ok {
				out[ev] = append(out[ev], cv)
			}
		}
	}
	return out
}

// owes reports whether state s has emitted event ev with an argument that
// mentions the value variable v holds, while the driver cannot name it.
func owes(s *model.State, ev string, v int) bool {
	x := s.Val(v)
	if x.Kind != term.Entry && x.Kind != term.Unknown {
		return false
	}
	for _, e := range s.Events {
		if e.Name != ev {
			continue
		}
		// The first such event is the one the goal binds (evalEvent).
		for _, a := range e.Args {
			if contains(a, x) {
				return true
			}
		}
		return false
	}
	return false
}

// contains reports whether leaf x occurs in t.
func contains(t, x *term.T) bool {
	if t == x {
		return true
	}
	if !t.Leaves().Meets(x.Leaves()) {
		return false
	}
	for _, a := range t.Args {
		if contains(a, x) {
			return true
		}
	}
	for _, c := range t.Cases {
		if contains(c.Result, x) {
			return true
		}
	}
	return false
}

// shownVars marks the variables some register shows: a stored field's, or
// one a computed field's value names.
func shownVars(m *model.Model) []bool {
	out := make([]bool, len(m.Vars))
	for _, r := range m.Regs {
		for _, f := range r.Fields {
			if f.Stored {
				out[f.Var] = true
			}
			if f.Value == nil {
				continue
			}
			names := map[string]bool{}
			collectAllNames(f.Value, names)
			for n := range names {
				if vi := m.Var(n); vi >= 0 {
					out[vi] = true
				}
				if vi := m.Var(r.Name + "." + n); vi >= 0 {
					out[vi] = true
				}
			}
		}
	}
	return out
}

// eachAssign calls f for every assignment of the behaviour: its target
// variable, its value, the register whose handler it is in (nil for a
// stream or a transition) and whether that handler is the register's write
// handler, where a bare field name is the value written.
func eachAssign(m *model.Model, f func(target int, value *dsl.Expr, local *model.Reg, ownWrite bool)) {
	visit := func(ss []*dsl.Stmt, local *model.Reg, ownWrite bool) {
		walkStmts(ss, func(s *dsl.Stmt) {
			if s.Assign == nil {
				return
			}
			vi := -1
			if local != nil && len(s.Assign.Target.Parts) == 1 {
				vi = m.Var(local.Name + "." + s.Assign.Target.Parts[0])
			}
			if vi < 0 {
				vi = m.Var(strings.Join(s.Assign.Target.Parts, "."))
			}
			f(vi, s.Assign.Value, local, ownWrite)
		})
	}
	for _, r := range m.Regs {
		visit(r.OnRead, r, false)
		visit(r.OnWrite, r, true)
	}
	for _, p := range m.Streams {
		visit(p.OnRead, nil, false)
		visit(p.OnWrite, nil, false)
	}
	for _, t := range append(append([]*model.Transition(nil), m.Internals...), m.Inputs...) {
		visit(t.Body, nil, false)
	}
}
