package model

import (
	"fmt"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/term"
)

// Violation is a require that an action would break.
type Violation struct {
	Require *dsl.Require
}

func (v *Violation) String() string {
	msg := ""
	if v.Require.Message != nil {
		msg = ": " + *v.Require.Message
	}
	return fmt.Sprintf("%s: require%s", posString(v.Require.Pos), msg)
}

// Exec runs statements on s (which it modifies). It stops at the first
// require that does not hold for certain and returns it.
func (m *Model) Exec(ss []*dsl.Stmt, s *State, env *Env) (*Violation, error) {
	for _, st := range ss {
		switch {
		case st.Require != nil:
			c, err := m.Eval(st.Require.Cond, s, env)
			if err != nil {
				return nil, err
			}
			// A require the solver cannot prove true is as good as broken:
			// the driver must know the action is safe.
			if !c.IsTrue() {
				return &Violation{st.Require}, nil
			}
		case st.Assign != nil:
			if err := m.assign(st.Assign, s, env); err != nil {
				return nil, err
			}
		case st.Emit != nil:
			ev := Event{Name: st.Emit.Event}
			decl := m.Events[st.Emit.Event]
			for i, a := range st.Emit.Args {
				v, err := m.Eval(a, s, env)
				if err != nil {
					return nil, err
				}
				if decl != nil && i < len(decl.Params) && decl.Params[i].Type.Data != nil && !decl.Params[i].Type.Slice {
					v = term.Resize(v, *decl.Params[i].Type.Data)
				}
				ev.Args = append(ev.Args, v)
			}
			s.Emit(ev)
		case st.If != nil:
			c, err := m.Eval(st.If.Cond, s, env)
			if err != nil {
				return nil, err
			}
			if !c.IsConst() {
				return nil, fmt.Errorf("%s: the device's choice depends on data the synthesizer does not enumerate (%s)", posString(st.If.Pos), c)
			}
			body := st.If.Else
			if c.IsTrue() {
				body = st.If.Then
			}
			if v, err := m.Exec(body, s, env); v != nil || err != nil {
				return v, err
			}
		}
	}
	return nil, nil
}

func (m *Model) assign(a *dsl.Assign, s *State, env *Env) error {
	name := a.Target.Parts
	idx := -1
	if len(name) == 1 {
		idx = m.Var(name[0])
		if idx < 0 && env != nil && env.Reg != nil {
			idx = m.Var(env.Reg.Name + "." + name[0])
		}
	} else {
		idx = m.Var(name[0] + "." + name[1])
	}
	if idx < 0 {
		return fmt.Errorf("%s: cannot assign to %v", posString(a.Pos), a.Target.Parts)
	}
	v := m.Vars[idx]
	val, err := m.EvalExpected(a.Value, s, env, v.Enum)
	if err != nil {
		return err
	}
	if v.Width == 1 {
		val = truthIfBool(val, 1)
	}
	s.Set(idx, term.Resize(val, v.Width))
	return nil
}

// Visible reports whether a register or stream bank condition holds in s:
// true, false, or an error when it depends on data.
func (m *Model) Visible(bank *dsl.Expr, s *State) (bool, error) {
	if bank == nil {
		return true, nil
	}
	c, err := m.Eval(bank, s, nil)
	if err != nil {
		return false, err
	}
	if !c.IsConst() {
		return false, fmt.Errorf("%s: bank condition depends on data", posString(bank.Pos))
	}
	return c.IsTrue(), nil
}

// ReadReg performs a driver read of r in s: the value of every field (in
// r.Fields order) as read, and the state after the read's side effects.
func (m *Model) ReadReg(s *State, r *Reg) ([]*term.T, *State, *Violation, error) {
	next := new(State)
	vals, viol, err := m.ReadRegTo(next, s, r, make([]*term.T, len(r.Fields)))
	if vals == nil {
		return nil, nil, nil, err
	}
	return vals, next, viol, err
}

// ReadRegTo is ReadReg with the state after the read built in next,
// whatever next held (see WriteRegTo), and the values read in vals, one
// per field, which it returns.
func (m *Model) ReadRegTo(next, s *State, r *Reg, vals []*term.T) ([]*term.T, *Violation, error) {
	vals = vals[:len(r.Fields)]
	for i, f := range r.Fields {
		v, err := m.FieldValue(f, s)
		if err != nil {
			return nil, nil, err
		}
		vals[i] = v
	}
	s.own = 0 // as Clone
	*next = *s
	for _, f := range r.Fields {
		switch {
		case !f.RC:
		case f.Stored:
			next.Set(f.Var, term.C(0, f.Width))
		case f.rcVar >= 0:
			next.Set(f.rcVar, term.C(0, m.Vars[f.rcVar].Width))
		}
	}
	// The handler sees the fields, by bare name, as the values read.
	viol, err := m.exec(r.onRead, &frame{s: next, slots: vals})
	return vals, viol, err
}

// WriteReg performs a driver write of r with one value per field (in
// r.Fields order). The handler runs first: in it, a bare field name is the
// value being written and REG.FIELD the value before the write. Then the
// stored fields take their new values.
func (m *Model) WriteReg(s *State, r *Reg, vals []*term.T) (*State, *Violation, error) {
	next := new(State)
	viol, err := m.WriteRegTo(next, s, r, vals)
	return next, viol, err
}

// WriteRegTo is WriteReg with the state after the write built in next,
// whatever next held: a caller that interns the result and keeps it only
// when it is new can build every result in one scratch state.
func (m *Model) WriteRegTo(next, s *State, r *Reg, vals []*term.T) (*Violation, error) {
	s.own = 0 // as Clone: neither may change the shared nodes in place
	*next = *s
	var buf [16]*term.T
	written := buf[:0]
	for i, f := range r.Fields {
		written = append(written, term.Resize(vals[i], f.Width))
	}
	viol, err := m.exec(r.onWrite, &frame{s: next, slots: written})
	if viol != nil || err != nil {
		return viol, err
	}
	for i, f := range r.Fields {
		v := written[i]
		switch {
		case !f.Stored:
		case f.W1C:
			// Writing 1 clears the bit; writing 0 leaves it.
			if !v.IsConst() {
				return nil, fmt.Errorf("w1c field %s written with a non-constant", f.Qual())
			}
			old := next.Val(f.Var)
			if old.IsConst() {
				next.Set(f.Var, term.C(old.Val&^v.Val, f.Width))
			} else if v.Val != 0 {
				next.Set(f.Var, term.C(0, f.Width))
			}
		default:
			next.Set(f.Var, v)
		}
	}
	return nil, nil
}

// StreamIO moves buf through stream port p (read when read is true).
func (m *Model) StreamIO(s *State, p *Stream, read bool, buf *term.T) (*State, *Violation, error) {
	next := s.Clone()
	body := p.onWrite
	if read {
		body = p.onRead
	}
	viol, err := m.exec(body, &frame{s: next, slots: []*term.T{buf}})
	return next, viol, err
}

// Enabled reports whether a transition's guard holds in s.
func (m *Model) Enabled(t *Transition, s *State) (bool, error) {
	if !Allowed(t, s) {
		return false, nil
	}
	return m.GuardHolds(t, s)
}

// Allowed reports whether t may happen in s if its guard holds: a rare
// transition not yet spent, a between transition between calls.
func Allowed(t *Transition, s *State) bool {
	return !RareSpent(t, s) && (!t.Between || BetweenCalls(s))
}

// GuardHolds reports whether t's guard holds in s, whatever the call
// (rare and between transitions aside).
func (m *Model) GuardHolds(t *Transition, s *State) (bool, error) {
	if t.Guard == nil {
		return true, nil
	}
	c, err := m.Eval(t.Guard, s, nil)
	if err != nil {
		return false, err
	}
	if !c.IsConst() {
		return false, fmt.Errorf("%s: guard of %s depends on data", posString(t.Pos), t.Name)
	}
	return c.IsTrue(), nil
}

// Fire takes transition t in s. An input's parameters get the given values
// (nil: values nobody can name).
func (m *Model) Fire(t *Transition, s *State, args []*term.T) (*State, error) {
	return m.FireTo(new(State), t, s, args)
}

// FireTo is Fire with the state after the transition built in next,
// whatever next held (see WriteRegTo). It returns next, or a new state
// when the transition made fresh unknowns.
func (m *Model) FireTo(next *State, t *Transition, s *State, args []*term.T) (*State, error) {
	s.own = 0 // as Clone
	*next = *s
	slots := make([]*term.T, len(t.Params))
	gen, fresh := uint64(0), false
	for i := range t.Params {
		if i < len(args) && args[i] != nil {
			slots[i] = args[i]
			continue
		}
		if !fresh {
			gen, fresh = m.freshGeneration(s, t), true
		}
		slots[i] = t.fresh[i].Gen(gen)
	}
	viol, err := m.exec(t.body, &frame{s: next, slots: slots})
	if err != nil {
		return nil, err
	}
	if viol != nil {
		// A device transition that breaks its own require is a spec bug.
		return nil, fmt.Errorf("%s: device transition %s breaks %s", posString(t.Pos), t.Name, viol)
	}
	if fresh {
		next = m.renumber(next, t)
	}
	if t.Rare {
		next.Emit(Event{Name: RareMark(t)})
	}
	return next, nil
}

// IRQLevel is the interrupt line in s.
func (m *Model) IRQLevel(s *State) (bool, error) {
	if m.IRQ == nil {
		return false, nil
	}
	c, err := m.Eval(m.IRQ, s, nil)
	if err != nil {
		return false, err
	}
	return c.IsTrue(), nil
}

// FaultHolds reports whether fault f's condition holds in s for certain.
func (m *Model) FaultHolds(f *Fault, s *State) (bool, error) {
	c, err := m.Eval(f.Cond, s, nil)
	if err != nil {
		return false, err
	}
	return c.IsTrue(), nil
}
