package solve

import (
	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// Writes that need another register set first. The RTC's time registers
// require REGB.SET == 1 to be written: while some state has SET clear, a
// write of REGB comes before them. Where the idle invariant never has SET
// set, REGB is written once more afterwards, to clear it; and when REGB
// is behind a bank, every bank of those registers is visited between the
// two, so the bank register is written to reach each of them after the
// first REGB write, to come back to REGB's bank and to go back to its idle
// value.

// setup is a require REG.F == c in register ri's write handler, over a
// field only its register g's writes change.
type setup struct {
	ri, g int
	v     int
	c     *term.T
	// twice: no idle state has F == c, so g is written again to restore F.
	twice bool
}

// setups lists the requires of the write handlers on another register's
// stored field, for a method held to the idle invariant when idle is set.
func setups(m *model.Model, assigned map[string]bool, sliced map[int]bool, idle []*model.State, held bool) []setup {
	regIndex := map[*model.Reg]int{}
	for ri, r := range m.Regs {
		regIndex[r] = ri
	}
	var out []setup
	for ri, r := range m.Regs {
		for _, s := range r.OnWrite { // top level only: always asked
			if s.Require == nil {
				continue
			}
			for _, x := range conjuncts(s.Require.Cond) {
				su, ok := setupOf(m, x, r)
				if !ok || assigned[m.Vars[su.v].Name] || sliced[su.v] {
					continue
				}
				su.ri, su.g = ri, regIndex[m.Vars[su.v].Field.Reg]
				if held && len(idle) > 0 {
					su.twice = true
					for _, st := range idle {
						su.twice = su.twice && st.Val(su.v) != su.c
					}
				}
				out = append(out, su)
			}
		}
	}
	return out
}

// setupOf reads x as REG.F == C over a stored finite field of a writable
// register other than r.
func setupOf(m *model.Model, x *dsl.Expr, r *model.Reg) (setup, bool) {
	if x.Kind != dsl.BinaryExpr || x.Op != "==" {
		return setup{}, false
	}
	for _, side := range [][2]*dsl.Expr{{x.X, x.Y}, {x.Y, x.X}} {
		if side[0].Kind != dsl.NameExpr || len(side[0].Path) != 2 {
			continue
		}
		f := m.FieldByQual(side[0].Name())
		if f == nil || !f.Stored || f.Reg == r || !f.Reg.Write || f.RC || f.W1C || !m.Vars[f.Var].Finite {
			continue
		}
		c, err := m.EvalExpected(side[1], nil, nil, f.Enum)
		if err != nil || !c.IsConst() {
			continue
		}
		return setup{v: f.Var, c: term.Resize(c, m.Vars[f.Var].Width)}, true
	}
	return setup{}, false
}

// setupWrites adds to need the registers the writes in need must set up
// first, and returns those written twice, with the least number of bank
// writes each selector then needs (by selector register). A setup already
// made, where F must be restored, still orders the restore after the
// writes that need it: from the bank shown now through theirs and back.
func (gm *game) setupWrites(n *Node, need *regSet) (twice map[int]bool, banks map[int]int) {
	b := gm.bounds()
	type key struct {
		g, v int
		c    *term.T
	}
	type use struct {
		regs []int // the registers of need it is for
		open bool  // some state does not meet it: g is written first
	}
	var active map[key]*use // made for the first setup that applies
	var keys []key
	for _, su := range b.setups {
		if !need.has(su.ri) {
			continue
		}
		open := false
		for _, s := range n.B.States {
			if s.Val(su.v) != su.c {
				open = true
				break
			}
		}
		if !open && !su.twice {
			continue
		}
		k := key{su.g, su.v, su.c}
		u := active[k]
		if u == nil {
			if active == nil {
				active = map[key]*use{}
			}
			u = &use{}
			active[k] = u
			keys = append(keys, k)
		}
		u.regs = append(u.regs, su.ri)
		u.open = u.open || open
		if open && su.twice {
			if twice == nil {
				twice = map[int]bool{}
			}
			twice[su.g] = true
		}
	}
	for _, k := range keys {
		u := active[k]
		if u.open {
			need.add(k.g)
		}
		bg := b.banks[k.g]
		if bg == nil || (u.open && !twice[k.g]) {
			continue
		}
		// (g's bank,) every other bank of the registers set up, g's bank
		// again, then the idle value.
		vals := map[*term.T]bool{}
		for _, ri := range u.regs {
			if bc := b.banks[ri]; bc != nil && bc.sel == bg.sel && bc.c != bg.c {
				vals[bc.c] = true
			}
		}
		w := len(vals)
		if w > 0 {
			w++ // back to g's bank
		}
		first, shown := false, false
		for _, s := range n.B.States {
			first = first || s.Val(bg.v) != bg.c
			shown = shown || vals[s.Val(bg.v)]
		}
		switch {
		case u.open && first:
			w++ // to g's bank first
		case !u.open && shown:
			w-- // one of them is shown now
		}
		if bg.idle != nil && bg.idle != bg.c {
			w++
		}
		if banks == nil {
			banks = map[int]int{}
		}
		banks[bg.sel] = max(banks[bg.sel], w)
	}
	return twice, banks
}
