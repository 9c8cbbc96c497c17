package solve

import (
	"strings"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// sliceVars lists the finite variables outside the cone of influence of
// everything a driver can be held to: the class bindings, the events and
// the conditions under which they are emitted, the requires, the bank
// conditions and the faults (with, when the device has faults, the guards
// of its unfair transitions, which mark a failure as the device's choice).
// A variable is in the cone if one of those reads it, or if it decides the
// value of one in the cone (the value assigned, an enclosing if, the guard
// of the transition that assigns it).
//
// What lies outside (the RTC's periodic and update-ended flags) decides
// nothing in the cone, so the closer holds it at its reset value: every
// state then stands for all its values, and a belief shrinks by their
// product. The projection is exact: a move's effect inside the cone does
// not depend on them, and reading them teaches the driver nothing the goal
// can use, so no strategy, and no optimal one, is lost.
func sliceVars(m *model.Model) []int {
	rel := make([]bool, len(m.Vars))
	// names resolves the variables an expression reads, through computed
	// fields; local is the register whose handler or field it belongs to.
	var names func(e *dsl.Expr, local *model.Reg, out map[int]bool)
	seenField := map[*model.Field]bool{}
	resolve := func(name string, local *model.Reg, out map[int]bool) {
		cands := []string{name}
		if local != nil {
			cands = append(cands, local.Name+"."+name)
		}
		for _, n := range cands {
			if i := m.Var(n); i >= 0 {
				out[i] = true
			}
			if f := m.FieldByQual(n); f != nil && !f.Stored && f.Value != nil && !seenField[f] {
				seenField[f] = true
				names(f.Value, f.Reg, out)
				delete(seenField, f)
			}
		}
	}
	names = func(e *dsl.Expr, local *model.Reg, out map[int]bool) {
		all := map[string]bool{}
		collectAllNames(e, all)
		for n := range all {
			resolve(n, local, out)
		}
	}
	mark := func(e *dsl.Expr, local *model.Reg) bool {
		if e == nil {
			return false
		}
		vs := map[int]bool{}
		names(e, local, vs)
		changed := false
		for i := range vs {
			if !rel[i] {
				rel[i], changed = true, true
			}
		}
		return changed
	}
	// A site is a statement list with what decides whether it runs.
	type site struct {
		stmts []*dsl.Stmt
		local *model.Reg
		guard *dsl.Expr
		root  bool // the guard is a root in itself (an unfair transition)
	}
	var sites []site
	for _, r := range m.Regs {
		sites = append(sites, site{stmts: r.OnRead, local: r}, site{stmts: r.OnWrite, local: r})
		mark(r.Bank, nil)
	}
	for _, p := range m.Streams {
		sites = append(sites, site{stmts: p.OnRead}, site{stmts: p.OnWrite})
		mark(p.Bank, nil)
		for _, l := range p.Layouts {
			// What a read shows through a layout, and when.
			mark(l.When, nil)
			for _, f := range l.Fields {
				mark(f.Value, nil)
			}
		}
	}
	for _, t := range m.Internals {
		sites = append(sites, site{stmts: t.Body, guard: t.Guard, root: !t.Fair && len(m.Faults) > 0})
	}
	for _, t := range m.Inputs {
		sites = append(sites, site{stmts: t.Body, guard: t.Guard})
	}
	for _, f := range m.Faults {
		mark(f.Cond, nil)
	}
	for _, pb := range m.Bindings {
		mark(pb.Body, nil)
	}
	for _, s := range sites {
		if s.root {
			mark(s.guard, nil)
		}
	}
	// Grow the cone to a fixpoint. A statement matters when it emits, when
	// it requires, or when it assigns a variable in the cone; then what it
	// reads and every condition above it join the cone.
	var matters func(ss []*dsl.Stmt, local *model.Reg) bool
	matters = func(ss []*dsl.Stmt, local *model.Reg) bool {
		for _, s := range ss {
			switch {
			case s.Emit != nil, s.Require != nil:
				return true
			case s.Assign != nil:
				vs := map[int]bool{}
				resolve(strings.Join(s.Assign.Target.Parts, "."), local, vs)
				for i := range vs {
					if rel[i] {
						return true
					}
				}
			case s.If != nil:
				if matters(s.If.Then, local) || matters(s.If.Else, local) {
					return true
				}
			}
		}
		return false
	}
	var walk func(ss []*dsl.Stmt, local *model.Reg) bool
	walk = func(ss []*dsl.Stmt, local *model.Reg) bool {
		changed := false
		for _, s := range ss {
			switch {
			case s.Emit != nil:
				for _, a := range s.Emit.Args {
					changed = mark(a, local) || changed
				}
			case s.Require != nil:
				changed = mark(s.Require.Cond, local) || changed
			case s.Assign != nil:
				if matters([]*dsl.Stmt{s}, local) {
					changed = mark(s.Assign.Value, local) || changed
				}
			case s.If != nil:
				if matters(s.If.Then, local) || matters(s.If.Else, local) {
					changed = mark(s.If.Cond, local) || changed
				}
				changed = walk(s.If.Then, local) || changed
				changed = walk(s.If.Else, local) || changed
			}
		}
		return changed
	}
	// A variable that decides what a field shows of one in the cone decides
	// what a read teaches about it, so it joins the cone too: ATA's status
	// shows the old bits for a moment after a command (ERR = settling ?
	// was_err : err). That matters only where the field, with the variables
	// outside the cone held at their reset values as the closer holds them,
	// still shows something of the cone: the game would then let the driver
	// learn from it while it may show something else. Where it reads the same
	// whatever the cone holds (the 16550's RXFE = FIFOE && line errors, the
	// RTC's IRQF, each flag gated by an enable that resets to 0), the game
	// never looks at it, and the variables stay out.
	shown := func() bool {
		changed := false
		for _, r := range m.Regs {
			if !r.Read {
				continue
			}
			for _, f := range r.Fields {
				if f.Stored || f.Value == nil {
					continue
				}
				vs := map[int]bool{}
				names(f.Value, r, vs)
				var inside, outside []int
				for i := range vs {
					if rel[i] {
						inside = append(inside, i)
					} else {
						outside = append(outside, i)
					}
				}
				if len(inside) == 0 || len(outside) == 0 || !showsCone(m, f, inside) {
					continue
				}
				for _, i := range outside {
					rel[i], changed = true, true
				}
			}
		}
		return changed
	}
	// What a rare transition and the fair ones it sets going leave behind
	// besides their effect on the cone is how a driver learns afterwards
	// that they happened: the RTC's update rewrites the time registers and
	// sets UF, and once it is over UF is the only trace of it, so a driver
	// that reads the time across an update checks UF to know its reading is
	// spoilt. Such a flag decides what the driver knows of the cone, so it
	// joins the cone where the transition changes something in it.
	rare := rareEpisode(m)
	witnesses := func() bool {
		changed := false
		for _, t := range rare {
			if !matters(t.Body, nil) {
				continue
			}
			walkStmts(t.Body, func(s *dsl.Stmt) {
				if s.Assign == nil {
					return
				}
				vs := map[int]bool{}
				resolve(strings.Join(s.Assign.Target.Parts, "."), nil, vs)
				for i := range vs {
					if !rel[i] {
						rel[i], changed = true, true
					}
				}
			})
		}
		return changed
	}
	for changed := true; changed; {
		changed = false
		for _, s := range sites {
			changed = walk(s.stmts, s.local) || changed
			if matters(s.stmts, s.local) {
				changed = mark(s.guard, nil) || changed
			}
		}
		changed = shown() || changed
		changed = witnesses() || changed
	}
	var out []int
	for i, v := range m.Vars {
		if v.Finite && !rel[i] {
			out = append(out, i)
		}
	}
	return out
}

// showsCone reports whether field f, in the reset state with the variables
// inside (those of the cone it reads) set to every combination of their
// values, reads as more than one value, or as a value that is not a
// constant. A combination too large to try counts as showing.
func showsCone(m *model.Model, f *model.Field, inside []int) bool {
	const most = 256
	choices := make([][]uint64, len(inside))
	n := 1
	for k, i := range inside {
		v := m.Vars[i]
		switch {
		case v.Enum != nil:
			for _, mem := range v.Enum.Members {
				choices[k] = append(choices[k], mem.Value)
			}
		case v.Finite && v.Width <= 4:
			for x := uint64(0); x < 1<<uint(v.Width); x++ {
				choices[k] = append(choices[k], x)
			}
		default:
			return true
		}
		n *= len(choices[k])
		if n > most {
			return true
		}
	}
	var first *term.T
	for c := 0; c < n; c++ {
		s := m.Reset()
		rest := c
		for k, i := range inside {
			s.Set(i, term.C(choices[k][rest%len(choices[k])], m.Vars[i].Width))
			rest /= len(choices[k])
		}
		t, err := m.FieldValue(f, s)
		if err != nil || !t.IsConst() {
			return true
		}
		if first == nil {
			first = t
		} else if t.Val != first.Val {
			return true
		}
	}
	return false
}

// rareEpisode lists the rare internal transitions and the fair ones they
// set going: a fair transition whose guard reads a variable one of the
// list assigns (the RTC's announced update begins, then finishes).
func rareEpisode(m *model.Model) []*model.Transition {
	var out []*model.Transition
	in := map[*model.Transition]bool{}
	assigned := map[string]bool{}
	add := func(t *model.Transition) {
		in[t] = true
		out = append(out, t)
		walkStmts(t.Body, func(s *dsl.Stmt) {
			if s.Assign != nil {
				assigned[strings.Join(s.Assign.Target.Parts, ".")] = true
			}
		})
	}
	for _, t := range m.Internals {
		if t.Rare {
			add(t)
		}
	}
	for grown := len(out) > 0; grown; {
		grown = false
		for _, t := range m.Internals {
			if in[t] || !t.Fair {
				continue
			}
			reads := map[string]bool{}
			collectAllNames(t.Guard, reads)
			for n := range reads {
				if assigned[n] {
					add(t)
					grown = true
					break
				}
			}
		}
	}
	return out
}
