package solve

import (
	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
)

// Value classes. A field the spec only ever compares, with == or !=, with
// constants (or shows whole in a status field) cannot tell apart two
// values that equal none of those constants: writing one or the other
// leads to the same behaviour, so the driver needs only one of them (the
// RTC's divider: the spec asks only whether DV == KHZ32, so MHZ4, MHZ1
// and the two RESET values stop the clock alike).

// eqOnlyFields marks, by REG.FIELD, the fields used only in comparisons
// with constants.
func eqOnlyFields(m *model.Model) map[string]bool {
	ok := map[string]bool{}
	bad := map[string]bool{}
	for _, r := range m.Regs {
		for _, f := range r.Fields {
			ok[f.Qual()] = true
		}
	}
	field := func(e *dsl.Expr, local *model.Reg) *model.Field {
		if e.Kind != dsl.NameExpr {
			return nil
		}
		if len(e.Path) == 2 {
			return m.FieldByQual(e.Name())
		}
		if len(e.Path) == 1 && local != nil {
			for _, f := range local.Fields {
				if f.Name == e.Path[0] {
					return f
				}
			}
		}
		return nil
	}
	isConst := func(e *dsl.Expr, f *model.Field) bool {
		v, err := m.EvalExpected(e, nil, nil, f.Enum)
		return err == nil && v.IsConst()
	}
	var visit func(e *dsl.Expr, local *model.Reg)
	visit = func(e *dsl.Expr, local *model.Reg) {
		if e == nil {
			return
		}
		if e.Kind == dsl.BinaryExpr && (e.Op == "==" || e.Op == "!=") {
			for _, side := range [][2]*dsl.Expr{{e.X, e.Y}, {e.Y, e.X}} {
				if f := field(side[0], local); f != nil && isConst(side[1], f) {
					return // a comparison with a constant: fine
				}
			}
		}
		if e.Kind == dsl.NameExpr {
			if f := field(e, local); f != nil {
				bad[f.Qual()] = true
			} else if r := m.Reg(e.Name()); r != nil {
				for _, f := range r.Fields {
					bad[f.Qual()] = true
				}
			}
			return
		}
		for _, x := range []*dsl.Expr{e.X, e.Y, e.Z} {
			visit(x, local)
		}
		for _, a := range e.Args {
			visit(a, local)
		}
		for _, c := range e.Cases {
			visit(c.Value, local)
		}
	}
	m.BehaviourExprs(func(e *dsl.Expr, site model.Site) {
		// A status field that shows another field whole exposes its value,
		// which tells the driver nothing it did not write.
		if site.Local == nil && site.Assign == nil && e.Kind == dsl.NameExpr && len(e.Path) == 2 {
			if f := m.FieldByQual(e.Name()); f != nil && isExposure(m, e) {
				return
			}
		}
		visit(e, site.Local)
	})
	emits := func(ss []*dsl.Stmt, local *model.Reg) {
		walkStmts(ss, func(s *dsl.Stmt) {
			if s.Emit != nil {
				for _, a := range s.Emit.Args {
					visit(a, local)
				}
			}
		})
	}
	for _, r := range m.Regs {
		emits(r.OnRead, r)
		emits(r.OnWrite, r)
	}
	for _, p := range m.Streams {
		emits(p.OnRead, nil)
		emits(p.OnWrite, nil)
	}
	for _, t := range append(append([]*model.Transition(nil), m.Internals...), m.Inputs...) {
		emits(t.Body, nil)
	}
	for _, pb := range m.Bindings {
		visit(pb.Body, nil)
	}
	for q := range bad {
		delete(ok, q)
	}
	return ok
}

// isExposure reports whether e is the whole value of some computed field.
func isExposure(m *model.Model, e *dsl.Expr) bool {
	for _, r := range m.Regs {
		for _, f := range r.Fields {
			if f.Value == e {
				return true
			}
		}
	}
	return false
}

// usableRegs marks the registers a move can do something with for this
// goal: write a field that matters, trigger something, run a handler with
// an effect, or read a value that matters.
func (gm *game) usableRegs() []bool {
	m := gm.m
	sliced := map[int]bool{}
	for _, i := range gm.cl.sliced {
		sliced[i] = true
	}
	effect := func(ss []*dsl.Stmt) bool {
		found := false
		walkStmts(ss, func(s *dsl.Stmt) { found = found || s.Assign != nil || s.Emit != nil })
		return found
	}
	out := make([]bool, len(m.Regs))
	for ri, r := range m.Regs {
		use := effect(r.OnWrite) && r.Write || effect(r.OnRead) && r.Read
		for _, f := range r.Fields {
			switch {
			case f.Stored && sliced[f.Var]:
			case f.Stored && (m.Vars[f.Var].Finite || gm.goal.relevant[f.Var]):
				use = true
			case f.Trigger && r.Write, f.RC && r.Read:
				use = true
			case f.Value != nil && r.Read:
				names := map[string]bool{}
				collectAllNames(f.Value, names)
				for n := range names {
					if i := m.Var(n); i >= 0 && !sliced[i] {
						use = true
					}
				}
			}
		}
		out[ri] = use
	}
	return out
}

// valueClasses is what finiteValues needs to keep one value per class.
type valueClasses struct {
	eqOnly map[string]bool
	// parked[qual][c]: writing c into bank field qual shows only registers
	// no move can use, and c matters nowhere but in those banks.
	parked map[string]map[uint64]bool
	// bankOnly marks the fields compared nowhere but in bank conditions: a
	// value that shows no register stands for nothing the driver needs.
	bankOnly map[string]bool
}

func (gm *game) classes() *valueClasses {
	if gm.vc != nil {
		return gm.vc
	}
	m := gm.m
	vc := &valueClasses{eqOnly: eqOnlyFields(m), parked: map[string]map[uint64]bool{}, bankOnly: map[string]bool{}}
	usable := gm.usableRegs()
	banks := map[*dsl.Expr]bool{}
	useful := map[string]map[uint64]bool{} // bank values that show a usable register
	for ri, r := range m.Regs {
		if r.Bank == nil {
			continue
		}
		banks[r.Bank] = true
		bc := bankOf(m, r.Bank)
		if bc == nil || !bc.c.IsConst() {
			continue
		}
		q := m.Vars[bc.v].Name
		if vc.parked[q] == nil {
			vc.parked[q], useful[q] = map[uint64]bool{}, map[uint64]bool{}
		}
		vc.parked[q][bc.c.Val] = true
		if usable[ri] {
			useful[q][bc.c.Val] = true
		}
	}
	for _, p := range m.Streams {
		if bc := bankOf(m, p.Bank); bc != nil && bc.c.IsConst() {
			banks[p.Bank] = true
			q := m.Vars[bc.v].Name
			if useful[q] == nil {
				useful[q] = map[uint64]bool{}
			}
			useful[q][bc.c.Val] = true
		}
	}
	// A value compared anywhere but in a bank condition matters.
	other := map[string]map[uint64]bool{}
	var visit func(e *dsl.Expr, local *model.Reg)
	visit = func(e *dsl.Expr, local *model.Reg) {
		if e == nil {
			return
		}
		if e.Kind == dsl.BinaryExpr {
			for _, side := range [][2]*dsl.Expr{{e.X, e.Y}, {e.Y, e.X}} {
				if name := fieldName(m, side[0], local); name != "" {
					if v, err := m.EvalExpected(side[1], nil, nil, m.EnumOf(side[0], localEnv(local))); err == nil && v.IsConst() {
						if other[name] == nil {
							other[name] = map[uint64]bool{}
						}
						other[name][v.Val] = true
					}
				}
			}
		}
		for _, x := range []*dsl.Expr{e.X, e.Y, e.Z} {
			visit(x, local)
		}
		for _, a := range e.Args {
			visit(a, local)
		}
		for _, c := range e.Cases {
			visit(c.Value, local)
		}
	}
	m.BehaviourExprs(func(e *dsl.Expr, site model.Site) {
		if !banks[e] {
			visit(e, site.Local)
		}
	})
	for _, pb := range m.Bindings {
		visit(pb.Body, nil)
	}
	for q := range vc.parked {
		vc.bankOnly[q] = len(other[q]) == 0
	}
	for q, vals := range vc.parked {
		for v := range vals {
			if useful[q][v] || other[q][v] {
				delete(vals, v)
			}
		}
	}
	gm.vc = vc
	return vc
}
