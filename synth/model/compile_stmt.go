package model

import (
	"fmt"
	"slices"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/term"
)

// step is a compiled statement.
type step struct {
	// require: what breaking it returns, made once (a violation is
	// never changed)
	viol  *Violation
	cond  *code // require, if
	then  []*step
	els   []*step
	ifPos dsl.Pos
	// assignment: variable target gets value (read in its enum)
	target int
	value  *code
	// emit: event with args, each resized to width (0: as it is)
	emit   string
	args   []*code
	widths []int
	err    error // compiling failed: running it fails
}

func (c *compiler) stmts(ss []*dsl.Stmt, sc *scope) []*step {
	out := make([]*step, 0, len(ss))
	for _, st := range ss {
		switch {
		case st.Require != nil:
			out = append(out, &step{viol: &Violation{st.Require}, cond: c.expr(st.Require.Cond, sc, nil)})
		case st.Assign != nil:
			out = append(out, c.assign(st.Assign, sc))
		case st.Emit != nil:
			k := &step{emit: st.Emit.Event}
			decl := c.m.Events[st.Emit.Event]
			for i, a := range st.Emit.Args {
				k.args = append(k.args, c.expr(a, sc, nil))
				w := 0
				if decl != nil && i < len(decl.Params) && decl.Params[i].Type.Data != nil && !decl.Params[i].Type.Slice {
					w = *decl.Params[i].Type.Data
				}
				k.widths = append(k.widths, w)
			}
			out = append(out, k)
		case st.If != nil:
			out = append(out, &step{cond: c.expr(st.If.Cond, sc, nil), ifPos: st.If.Pos,
				then: c.stmts(st.If.Then, sc), els: c.stmts(st.If.Else, sc)})
		}
	}
	return out
}

func (c *compiler) assign(a *dsl.Assign, sc *scope) *step {
	m := c.m
	idx := -1
	if c.info != nil {
		if o := c.info.Targets[a]; o != nil {
			switch o.Kind {
			case dsl.ObjState:
				idx = m.Var(o.State.Name)
			case dsl.ObjField:
				idx = m.Var(o.Register.Name + "." + o.Field.Name)
			}
		}
	}
	if idx < 0 {
		name := a.Target.Parts
		if len(name) == 1 {
			idx = m.Var(name[0])
			if idx < 0 && sc != nil && sc.reg != nil {
				idx = m.Var(sc.reg.Name + "." + name[0])
			}
		} else if len(name) == 2 {
			idx = m.Var(name[0] + "." + name[1])
		}
	}
	if idx < 0 {
		return &step{err: fmt.Errorf("%s: cannot assign to %v", posString(a.Pos), a.Target.Parts)}
	}
	return &step{target: idx, value: c.expr(a.Value, sc, m.Vars[idx].Enum)}
}

// exec runs compiled statements on s (which it modifies). It stops at the
// first require that does not hold for certain and returns it.
func (m *Model) exec(steps []*step, fr *frame) (*Violation, error) {
	for _, st := range steps {
		switch {
		case st.err != nil:
			return nil, st.err
		case st.viol != nil:
			c, err := m.run(st.cond, fr)
			if err != nil {
				return nil, err
			}
			// A require the solver cannot prove true is as good as broken:
			// the driver must know the action is safe.
			if !c.IsTrue() {
				return st.viol, nil
			}
		case st.value != nil:
			v := m.Vars[st.target]
			val, err := m.run(st.value, fr)
			if err != nil {
				return nil, err
			}
			if v.Width == 1 {
				val = truthIfBool(val, 1)
			}
			fr.s.Set(st.target, term.Resize(val, v.Width))
		case st.emit != "":
			ev := Event{Name: st.emit, Args: make([]*term.T, len(st.args))}
			for i, a := range st.args {
				v, err := m.run(a, fr)
				if err != nil {
					return nil, err
				}
				if st.widths[i] > 0 {
					v = term.Resize(v, st.widths[i])
				}
				ev.Args[i] = v
			}
			fr.s.Emit(ev)
		case st.cond != nil:
			c, err := m.run(st.cond, fr)
			if err != nil {
				return nil, err
			}
			if !c.IsConst() {
				return nil, fmt.Errorf("%s: the device's choice depends on data the synthesizer does not enumerate (%s)", posString(st.ifPos), c)
			}
			body := st.els
			if c.IsTrue() {
				body = st.then
			}
			if v, err := m.exec(body, fr); v != nil || err != nil {
				return v, err
			}
		}
	}
	return nil, nil
}

// compiled is the code of the device's behaviour, built by Lower.
type compiled struct {
	// exprs holds the expressions evaluated without locals (bank
	// conditions, field values, guards, the interrupt, faults), by the
	// enum they are read in.
	exprs map[exprWant]*code
}

type exprWant struct {
	e    *dsl.Expr
	want *Enum
}

// compileBehaviour compiles every handler, transition and condition.
func (m *Model) compileBehaviour() {
	c := m.newCompiler()
	m.code = &compiled{exprs: map[exprWant]*code{}}
	top := func(e *dsl.Expr, want *Enum) {
		if e != nil {
			m.code.exprs[exprWant{e, want}] = c.expr(e, nil, want)
		}
	}
	for _, r := range m.Regs {
		top(r.Bank, nil)
		for _, f := range r.Fields {
			top(f.Value, f.Enum)
		}
		sc := &scope{reg: r}
		r.onRead, r.onWrite = c.stmts(r.OnRead, sc), c.stmts(r.OnWrite, sc)
	}
	for _, p := range m.Streams {
		top(p.Bank, nil)
		sc := &scope{slots: []string{"buf"}}
		p.onRead, p.onWrite = c.stmts(p.OnRead, sc), c.stmts(p.OnWrite, sc)
	}
	for _, t := range append(append([]*Transition(nil), m.Internals...), m.Inputs...) {
		top(t.Guard, nil)
		sc := &scope{}
		for _, p := range t.Params {
			sc.slots = append(sc.slots, p.Name)
		}
		t.body = c.stmts(t.Body, sc)
		for _, p := range t.Params {
			t.sources = append(t.sources, t.Name+"."+p.Name)
			w := 64
			if p.Type.Data != nil {
				w = *p.Type.Data
			} else if p.Type.Uint != nil {
				w = *p.Type.Uint
			}
			t.widths = append(t.widths, w)
		}
	}
	top(m.IRQ, nil)
	for _, f := range m.Faults {
		top(f.Cond, nil)
	}
	m.holders = m.freshHolders()
	m.assigned = make([]bool, len(m.Vars))
	var mark func(steps []*step)
	mark = func(steps []*step) {
		for _, st := range steps {
			if st.value != nil {
				m.assigned[st.target] = true
			}
			mark(st.then)
			mark(st.els)
		}
	}
	for _, r := range m.Regs {
		mark(r.onRead)
		mark(r.onWrite)
	}
	for _, p := range m.Streams {
		mark(p.onRead)
		mark(p.onWrite)
	}
	for _, t := range append(append([]*Transition(nil), m.Internals...), m.Inputs...) {
		mark(t.body)
	}
}

// Assigned reports whether some handler or transition of the device
// assigns variable i (besides the driver's writes of a stored field).
func (m *Model) Assigned(i int) bool { return m.assigned[i] }

// envCode is e compiled for evaluation with a caller's Env (a contract
// clause, a binding), compiled on first use; nil when some name in it has
// no record of the checker's, and e must be interpreted.
func (m *Model) envCode(e *dsl.Expr, want *Enum) *code {
	m.envMu.Lock()
	defer m.envMu.Unlock()
	key := exprWant{e, want}
	if k, ok := m.envExprs[key]; ok {
		return k
	}
	c := m.newCompiler()
	c.env = true
	k := c.expr(e, nil, want)
	if c.unresolved || c.info == nil {
		k = nil
	}
	if m.envExprs == nil {
		m.envExprs = map[exprWant]*code{}
	}
	m.envExprs[key] = k
	return k
}

// evalTop evaluates a compiled expression without locals, if e is one.
func (m *Model) evalTop(e *dsl.Expr, s *State, want *Enum) (*term.T, bool, error) {
	if m.code == nil {
		return nil, false, nil
	}
	k := m.code.exprs[exprWant{e, want}]
	if k == nil {
		return nil, false, nil
	}
	v, err := m.run(k, &frame{s: s})
	return v, true, err
}

// GuardVars lists the variables t's guard reads, each once, when they
// are all its truth depends on: it is then the same in any two states
// whose values of them are the same. ok is false when the guard reads a
// field computed from other state or is not compiled.
func (m *Model) GuardVars(t *Transition) (vars []int, ok bool) {
	if t.Guard == nil {
		return nil, true
	}
	if m.code == nil {
		return nil, false
	}
	k := m.code.exprs[exprWant{t.Guard, nil}]
	if k == nil {
		return nil, false
	}
	ok = true
	read := func(i int) {
		if !slices.Contains(vars, i) {
			vars = append(vars, i)
		}
	}
	k.visit(func(k *code) {
		switch {
		case k.op == opVar:
			read(k.i)
		case k.op == opField && k.f.Stored:
			read(k.f.Var)
		case k.op == opField && k.f.Value != nil, k.op == opSlot, k.op == opEnv:
			ok = false
		}
	})
	return vars, ok
}

// Fresh unknowns. An input brings values nobody can name; each firing
// brings new ones. The values of one firing get the smallest generation
// (term.Fresh) that no value of the state already holds, so two values
// that arrived at different times are never the same term, and a state
// holds at most as many generations as it has places for them. Which
// variables can hold an input's values is worked out once: those assigned
// from an expression over an input's parameters, or over a variable that
// can hold them, anywhere in the behaviour.

// freshHolders lists the variables that can hold an input's unknown.
func (m *Model) freshHolders() []int {
	may := make([]bool, len(m.Vars))
	// A flow is one assignment: the variables its value is computed from,
	// and whether it reads an input's parameters.
	type flow struct {
		target int
		vars   []int
		input  bool
	}
	var flows []flow
	var walk func(steps []*step, slotVars func(int) []int, input bool)
	walk = func(steps []*step, slotVars func(int) []int, input bool) {
		for _, st := range steps {
			if st.value != nil {
				fl := flow{target: st.target}
				st.value.visit(func(k *code) {
					switch k.op {
					case opVar:
						fl.vars = append(fl.vars, k.i)
					case opSlot:
						if input {
							fl.input = true
						} else {
							fl.vars = append(fl.vars, slotVars(k.i)...)
						}
					case opField:
						fl.vars = append(fl.vars, m.fieldVars(k.f)...)
					}
				})
				flows = append(flows, fl)
			}
			walk(st.then, slotVars, input)
			walk(st.els, slotVars, input)
		}
	}
	none := func(int) []int { return nil }
	for _, r := range m.Regs {
		r := r
		walk(r.onRead, func(i int) []int { return m.fieldVars(r.Fields[i]) }, false)
		walk(r.onWrite, none, false)
	}
	for _, p := range m.Streams {
		walk(p.onRead, none, false)
		walk(p.onWrite, none, false)
	}
	for _, t := range m.Internals {
		walk(t.body, none, false)
	}
	for _, t := range m.Inputs {
		walk(t.body, none, true)
	}
	for changed := true; changed; {
		changed = false
		for _, fl := range flows {
			if may[fl.target] {
				continue
			}
			hit := fl.input
			for _, v := range fl.vars {
				hit = hit || may[v]
			}
			if hit {
				may[fl.target], changed = true, true
			}
		}
	}
	var out []int
	for i, ok := range may {
		if ok {
			out = append(out, i)
		}
	}
	return out
}

// fieldVars lists the variables what field f reads as depends on.
func (m *Model) fieldVars(f *Field) []int {
	if f.Stored {
		return []int{f.Var}
	}
	var out []int
	if f.Value != nil {
		if k := m.code.exprs[exprWant{f.Value, f.Enum}]; k != nil {
			k.visit(func(k *code) {
				if k.op == opVar {
					out = append(out, k.i)
				}
			})
		}
	}
	return out
}

// visit calls f for k and every code below it.
func (k *code) visit(f func(*code)) {
	if k == nil {
		return
	}
	f(k)
	k.x.visit(f)
	k.y.visit(f)
	k.z.visit(f)
	for _, a := range k.args {
		a.visit(f)
	}
	for _, c := range k.cases {
		c.result.visit(f)
	}
}
