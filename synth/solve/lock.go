package solve

import (
	"strings"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// Conditions only a write can start. An event may need a condition that
// the device reaches by itself, but only after a condition that needs yet
// another, and so on back to one register's write: the ATA disk emits
// sectors_written only from the DATA port's write, which requires phase ==
// DataOut; only want_first and sector_done set it, and both need op ==
// Write, which only a write of COMMAND sets. While none of these holds and
// the event has not happened, every run writes COMMAND first.
//
// The argument, for a register R and a set C of conditions v == c: every
// assignment that makes a condition of C true, and every emission of the
// event, is either in R's write handler or needs (by a guard, an enclosing
// if or a require) another condition of C. In a state where all of C is
// false, the first condition of C to become true, or the event, would need
// one already true: so neither happens before R is written.

// atom is a condition: finite variable v (not a register field) equals val.
type atom struct {
	v   int
	val *term.T
}

// site is an emission or an assignment in the behaviour, with the
// conditions that must hold for it to run.
type site struct {
	write int // the register whose write handler holds it, or -1
	ctx   []atom
	// access: the site is in a register's or a stream's handler; req are
	// the atoms of ctx its requires ask for (the move is illegal where
	// one is false).
	access bool
	req    []atom
	// blind: the site is in a driver move that shows the driver nothing
	// (a register's write or a stream transfer).
	blind bool
}

// assignSite is an assignment of a constant (or, with val nil, of a value
// that is not one) to a variable.
type assignSite struct {
	site
	val *term.T
}

// lock says that event ev needs a write of register ri while every atom
// is false (and no state has emitted it or may end in a fault).
type lock struct {
	ev    string
	ri    int
	atoms []atom
}

// behaviourSites lists, per event, where it is emitted, and per variable,
// where it is assigned.
type behaviourSites struct {
	emits   map[string][]site
	assigns map[int][]assignSite
}

func collectSites(m *model.Model, sliced map[int]bool) *behaviourSites {
	bs := &behaviourSites{emits: map[string][]site{}, assigns: map[int][]assignSite{}}
	body := func(ss []*dsl.Stmt, local *model.Reg, write int, access, blind bool, guard *dsl.Expr) {
		// The atoms of each condition, read where it stands: a variable the
		// body may have assigned before it is not the state's any more.
		at := map[*dsl.Expr][]atom{}
		assigned := map[int]bool{}
		note := func(c *dsl.Expr) {
			for _, x := range conjuncts(c) {
				if a, ok := atomOf(m, x, local); ok && !assigned[a.v] && !sliced[a.v] {
					at[c] = append(at[c], a)
				}
			}
		}
		if guard != nil {
			note(guard)
		}
		walkStmts(ss, func(s *dsl.Stmt) {
			switch {
			case s.Require != nil:
				note(s.Require.Cond)
			case s.If != nil:
				note(s.If.Cond)
			case s.Assign != nil:
				if vi := assignTarget(m, s.Assign, local); vi >= 0 {
					assigned[vi] = true
				}
			}
		})
		atomsOf := func(conds []*dsl.Expr) []atom {
			var out []atom
			for _, c := range conds {
				out = append(out, at[c]...)
			}
			return out
		}
		var walk func(ss []*dsl.Stmt, conds, reqs []*dsl.Expr)
		walk = func(ss []*dsl.Stmt, conds, reqs []*dsl.Expr) {
			// A require anywhere in the block must hold for the move to be
			// legal at all.
			for _, s := range ss {
				if s.Require != nil {
					conds = append(conds[:len(conds):len(conds)], s.Require.Cond)
					reqs = append(reqs[:len(reqs):len(reqs)], s.Require.Cond)
				}
			}
			here := func() site {
				return site{write: write, ctx: atomsOf(conds), access: access, req: atomsOf(reqs), blind: blind}
			}
			for _, s := range ss {
				switch {
				case s.Emit != nil:
					bs.emits[s.Emit.Event] = append(bs.emits[s.Emit.Event], here())
				case s.Assign != nil:
					vi := assignTarget(m, s.Assign, local)
					if vi < 0 {
						continue
					}
					as := assignSite{site: here()}
					if v := m.Vars[vi]; v.Finite {
						if x, err := m.EvalExpected(s.Assign.Value, nil, nil, v.Enum); err == nil && x.IsConst() {
							as.val = term.Resize(x, v.Width)
						}
					}
					bs.assigns[vi] = append(bs.assigns[vi], as)
				case s.If != nil:
					walk(s.If.Then, append(conds[:len(conds):len(conds)], s.If.Cond), reqs)
					walk(s.If.Else, conds, reqs)
				}
			}
		}
		var top []*dsl.Expr
		if guard != nil {
			top = append(top, guard)
		}
		walk(ss, top, nil)
	}
	for ri, r := range m.Regs {
		body(r.OnRead, r, -1, true, false, nil)
		body(r.OnWrite, r, ri, true, true, nil)
	}
	for _, p := range m.Streams {
		body(p.OnRead, nil, -1, true, true, nil)
		body(p.OnWrite, nil, -1, true, true, nil)
	}
	for _, t := range append(append([]*model.Transition(nil), m.Internals...), m.Inputs...) {
		body(t.Body, nil, -1, false, false, t.Guard)
	}
	return bs
}

// assignTarget resolves an assignment's target as eachAssign does.
func assignTarget(m *model.Model, a *dsl.Assign, local *model.Reg) int {
	if local != nil && len(a.Target.Parts) == 1 {
		if vi := m.Var(local.Name + "." + a.Target.Parts[0]); vi >= 0 {
			return vi
		}
	}
	return m.Var(strings.Join(a.Target.Parts, "."))
}

// atomOf reads conjunct x as a condition on a finite variable that is not
// a register field: v, !v, v == C or C == v.
func atomOf(m *model.Model, x *dsl.Expr, local *model.Reg) (atom, bool) {
	name := func(e *dsl.Expr) int {
		if e.Kind != dsl.NameExpr || len(e.Path) != 1 {
			return -1
		}
		if local != nil && m.Var(local.Name+"."+e.Path[0]) >= 0 {
			return -1 // the register's own field (in a write: the value written)
		}
		if local != nil {
			for _, f := range local.Fields {
				if f.Name == e.Path[0] {
					return -1
				}
			}
		}
		vi := m.Var(e.Path[0])
		if vi < 0 || !m.Vars[vi].Finite || m.Vars[vi].Field != nil {
			return -1
		}
		return vi
	}
	constOf := func(vi int, e *dsl.Expr) *term.T {
		v := m.Vars[vi]
		c, err := m.EvalExpected(e, nil, nil, v.Enum)
		if err != nil || !c.IsConst() {
			return nil
		}
		return term.Resize(c, v.Width)
	}
	switch {
	case x.Kind == dsl.NameExpr:
		if vi := name(x); vi >= 0 && m.Vars[vi].Width == 1 {
			return atom{vi, term.C(1, 1)}, true
		}
	case x.Kind == dsl.UnaryExpr && x.Op == "!" && x.X.Kind == dsl.NameExpr:
		if vi := name(x.X); vi >= 0 && m.Vars[vi].Width == 1 {
			return atom{vi, term.C(0, 1)}, true
		}
	case x.Kind == dsl.BinaryExpr && x.Op == "==":
		for _, side := range [][2]*dsl.Expr{{x.X, x.Y}, {x.Y, x.X}} {
			if vi := name(side[0]); vi >= 0 {
				if c := constOf(vi, side[1]); c != nil {
					return atom{vi, c}, true
				}
			}
		}
	}
	return atom{}, false
}

// locks finds, for each wanted event, every register whose write it needs
// while a set of conditions is false (see above).
func locks(m *model.Model, bs *behaviourSites, want []string) []lock {
	// Only a register whose write handler assigns or emits something can
	// be what a lock asks for (another lock's conditions could never
	// become true: sound, and of no use): the others are not tried, so
	// registers no behaviour looks at cost nothing here.
	writers := map[int]bool{}
	for _, as := range bs.assigns {
		for _, a := range as {
			if a.write >= 0 {
				writers[a.write] = true
			}
		}
	}
	for _, ss := range bs.emits {
		for _, s := range ss {
			if s.write >= 0 {
				writers[s.write] = true
			}
		}
	}
	var out []lock
	for _, ev := range want {
		sites := bs.emits[ev]
		if len(sites) == 0 {
			continue
		}
		for ri := range m.Regs {
			if !writers[ri] {
				continue
			}
			if c, ok := lockBy(bs, sites, ri); ok {
				out = append(out, lock{ev: ev, ri: ri, atoms: c})
			}
		}
	}
	return out
}

// lockBy finds a set of atoms that makes every site need a write of ri,
// if there is one.
func lockBy(bs *behaviourSites, sites []site, ri int) ([]atom, bool) {
	in := map[atom]bool{}
	var order []atom
	var cover func(s site, depth int) bool
	// add puts a in the set, with what its assignments need; on failure
	// the set is left as it was.
	add := func(a atom, depth int) bool {
		if in[a] {
			return true
		}
		if depth > 8 {
			return false
		}
		mark := len(order)
		in[a] = true
		order = append(order, a)
		for _, as := range bs.assigns[a.v] {
			if as.val != nil && as.val != a.val {
				continue // sets another value
			}
			if as.write == ri {
				continue // a write of ri: what the lock asks for
			}
			if as.val == nil || !cover(as.site, depth+1) {
				for _, b := range order[mark:] {
					delete(in, b)
				}
				order = order[:mark]
				return false
			}
		}
		return true
	}
	cover = func(s site, depth int) bool {
		if s.write == ri {
			return true
		}
		for _, a := range s.ctx {
			if in[a] {
				return true
			}
		}
		for _, a := range s.ctx {
			if add(a, depth) {
				return true
			}
		}
		return false
	}
	for _, s := range sites {
		if !cover(s, 0) {
			return nil, false
		}
	}
	if len(order) == 0 {
		return nil, false // only ri's writes emit it: the emitter counts that
	}
	return order, true
}

// holdsIn reports whether lock l holds in some state of b that lacks its
// event and took no unfair transition: every atom is false there. The
// device may stay fair from now on, and then the driver never leaves that
// state out (no read can), never ends in a fault (every state would have
// to show one the device chose), and must make the event happen there.
func (l *lock) holdsIn(b *Belief) bool {
	for _, s := range b.States {
		if s.HasEvent(l.ev) || s.HasEvent(failureMark) {
			continue
		}
		off := true
		for _, a := range l.atoms {
			off = off && s.Val(a.v) != a.val
		}
		if off {
			return true
		}
	}
	return false
}

// Conditions only a read can make known. When every emission of a wanted
// event is by an access that requires a condition no write and no stream
// transfer makes true (only the device does: the ATA disk's DRQ phase
// before a DATA transfer), and some state of the belief does not meet
// it, the driver must read before the event: writes map that state to
// states that do not meet it either, and only a read's outcome leaves a
// state out of the belief. A state that lacks the event and may not end
// in a fault needs the event, or a read to rule it out, on every path.

// gate lists, per emission site of event ev, the atoms its requires ask
// for that only a read or the device can make known.
type gate struct {
	ev    string
	sites [][]atom
}

// gates finds the wanted events every emission of which is behind a gate.
func gates(bs *behaviourSites, want []string) []gate {
	blindly := func(a atom) bool {
		for _, as := range bs.assigns[a.v] {
			if as.blind && (as.val == nil || as.val == a.val) {
				return true
			}
		}
		return false
	}
	var out []gate
	for _, ev := range want {
		sites := bs.emits[ev]
		g := gate{ev: ev}
		for _, s := range sites {
			var atoms []atom
			for _, a := range s.req {
				if !blindly(a) {
					atoms = append(atoms, a)
				}
			}
			if !s.access || len(atoms) == 0 {
				g.sites = nil
				break
			}
			g.sites = append(g.sites, atoms)
		}
		if len(g.sites) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// closedIn reports whether b needs a read before the gate's event: some
// state lacks it and may not end in a fault, and every emission site has
// an atom some state does not meet.
func (g *gate) closedIn(b *Belief) bool {
	needs := false
	for _, s := range b.States {
		if !s.HasEvent(g.ev) && !s.HasEvent(failureMark) {
			needs = true
			break
		}
	}
	if !needs {
		return false
	}
	for _, atoms := range g.sites {
		shut := false
		for _, a := range atoms {
			for _, s := range b.States {
				if s.Val(a.v) != a.val {
					shut = true
					break
				}
			}
			if shut {
				break
			}
		}
		if !shut {
			return false
		}
	}
	return true
}
