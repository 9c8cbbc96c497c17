package model

import (
	"fmt"
	"math/bits"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/term"
)

// Env holds the names an expression may use besides device state: the
// fields of the register being accessed (with the values read or written),
// a stream's buf, an input's parameters, a binding's parameters.
type Env struct {
	Reg    *Reg
	Locals map[string]*term.T
	// Enums gives the enum type of a local, for resolving bare members
	// (a class enum parameter in a binding's match).
	Enums map[string]*Enum
}

func (e *Env) local(name string) (*term.T, bool) {
	if e == nil || e.Locals == nil {
		return nil, false
	}
	t, ok := e.Locals[name]
	return t, ok
}

// Eval evaluates e in state s. Finite parts fold to constants; wide parts
// stay terms.
func (m *Model) Eval(e *dsl.Expr, s *State, env *Env) (*term.T, error) {
	return m.EvalExpected(e, s, env, nil)
}

// enumOf returns the enum type of a name expression, if it has one.
func (m *Model) EnumOf(e *dsl.Expr, env *Env) *Enum {
	if e == nil || e.Kind != dsl.NameExpr {
		return nil
	}
	if len(e.Path) == 1 {
		if env != nil && env.Enums != nil {
			if en, ok := env.Enums[e.Path[0]]; ok {
				return en
			}
		}
		if env != nil && env.Reg != nil {
			for _, f := range env.Reg.Fields {
				if f.Name == e.Path[0] {
					return f.Enum
				}
			}
		}
	}
	if i := m.varOfPath(e.Path); i >= 0 {
		return m.Vars[i].Enum
	}
	if len(e.Path) == 2 {
		if r := m.Reg(e.Path[0]); r != nil {
			for _, f := range r.Fields {
				if f.Name == e.Path[1] {
					return f.Enum
				}
			}
		}
	}
	return nil
}

// EvalExpected evaluates e in state s, reading a bare enum member in enum
// want. The device's own expressions run compiled; others (a contract's,
// with the method's parameters in env) are interpreted.
func (m *Model) EvalExpected(e *dsl.Expr, s *State, env *Env, want *Enum) (*term.T, error) {
	if env == nil {
		if v, ok, err := m.evalTop(e, s, want); ok {
			return v, err
		}
	} else if env.Reg == nil {
		if k := m.envCode(e, want); k != nil {
			return m.run(k, &frame{s: s, env: env})
		}
	}
	return m.interpret(e, s, env, want)
}

func (m *Model) interpret(e *dsl.Expr, s *State, env *Env, want *Enum) (*term.T, error) {
	switch e.Kind {
	case dsl.NumberExpr:
		return term.C(e.Value, 0), nil
	case dsl.BoolExpr:
		return term.Bool(e.Value != 0), nil
	case dsl.NameExpr:
		return m.evalName(e, s, env, want)
	case dsl.UnaryExpr:
		x, err := m.EvalExpected(e.X, s, env, nil)
		if err != nil {
			return nil, err
		}
		if e.Op == "!" {
			return term.O("!", 1, x), nil
		}
		return term.O(e.Op, x.Width, x), nil
	case dsl.BinaryExpr:
		return m.evalBinary(e, s, env)
	case dsl.CondExpr:
		c, err := m.EvalExpected(e.X, s, env, nil)
		if err != nil {
			return nil, err
		}
		if c.IsConst() {
			if c.IsTrue() {
				return m.EvalExpected(e.Y, s, env, want)
			}
			return m.EvalExpected(e.Z, s, env, want)
		}
		y, err := m.EvalExpected(e.Y, s, env, want)
		if err != nil {
			return nil, err
		}
		z, err := m.EvalExpected(e.Z, s, env, want)
		if err != nil {
			return nil, err
		}
		return term.O("?:", max(y.Width, z.Width), c, y, z), nil
	case dsl.SliceExpr:
		x, err := m.EvalExpected(e.X, s, env, nil)
		if err != nil {
			return nil, err
		}
		if x.Width == 0 {
			x = term.Resize(x, e.Hi+1)
		}
		return term.Sl(x, e.Hi, e.Lo), nil
	case dsl.ConcatExpr:
		parts := make([]*term.T, len(e.Args))
		for i, a := range e.Args {
			p, err := m.EvalExpected(a, s, env, nil)
			if err != nil {
				return nil, err
			}
			if p.Width == 0 {
				return nil, fmt.Errorf("%s: unsized value in a concatenation", posString(a.Pos))
			}
			parts[i] = p
		}
		return term.Cat(parts...), nil
	case dsl.MatchExpr:
		return m.evalMatch(e, s, env, want)
	case dsl.CallExpr:
		if e.Name() == "len" && len(e.Args) == 1 {
			// The byte length of a buffer: known to the driver, opaque here.
			x, err := m.EvalExpected(e.Args[0], s, env, nil)
			if err != nil {
				return nil, err
			}
			return term.O("len", 0, x), nil
		}
		return nil, fmt.Errorf("%s: %s(...) is not a value here", posString(e.Pos), e.Name())
	}
	return nil, fmt.Errorf("%s: unsupported expression", posString(e.Pos))
}

func (m *Model) evalBinary(e *dsl.Expr, s *State, env *Env) (*term.T, error) {
	switch e.Op {
	case "&&", "||":
		x, err := m.EvalExpected(e.X, s, env, nil)
		if err != nil {
			return nil, err
		}
		if x.IsConst() && (x.IsTrue() == (e.Op == "||")) {
			return term.Bool(e.Op == "||"), nil
		}
		y, err := m.EvalExpected(e.Y, s, env, nil)
		if err != nil {
			return nil, err
		}
		if x.IsConst() {
			return truth(y), nil
		}
		if y.IsConst() {
			if y.IsTrue() == (e.Op == "||") {
				return term.Bool(e.Op == "||"), nil
			}
			return truth(x), nil
		}
		return term.O(e.Op, 1, x, y), nil
	case "==", "!=", "<", "<=", ">", ">=":
		// A bare enum member on one side is read in the other side's enum.
		xe, ye := m.EnumOf(e.Y, env), m.EnumOf(e.X, env)
		x, err := m.EvalExpected(e.X, s, env, xe)
		if err != nil {
			return nil, err
		}
		y, err := m.EvalExpected(e.Y, s, env, ye)
		if err != nil {
			return nil, err
		}
		if x.IsConst() && y.IsConst() {
			return term.O(e.Op, 1, x, y), nil
		}
		if e.Op == "==" || e.Op == "!=" {
			w := max(x.Width, y.Width)
			if w > 0 && term.Resize(x, w).Key() == term.Resize(y, w).Key() {
				return term.Bool(e.Op == "=="), nil
			}
		}
		return term.O(e.Op, 1, x, y), nil
	}
	x, err := m.EvalExpected(e.X, s, env, nil)
	if err != nil {
		return nil, err
	}
	y, err := m.EvalExpected(e.Y, s, env, nil)
	if err != nil {
		return nil, err
	}
	w := 0
	switch e.Op {
	case "&", "|", "^":
		w = max(x.Width, y.Width)
	}
	return term.O(e.Op, w, x, y), nil
}

// truth turns a value into a one-bit truth value.
func truth(t *term.T) *term.T {
	if t.IsConst() {
		return term.Bool(t.Val != 0)
	}
	if t.Width == 1 {
		return t
	}
	return term.O("!=", 1, t, term.C(0, t.Width))
}

func (m *Model) evalName(e *dsl.Expr, s *State, env *Env, want *Enum) (*term.T, error) {
	name := e.Name()
	if len(e.Path) == 1 {
		if t, ok := env.local(name); ok {
			return t, nil
		}
		if c, ok := m.consts[name]; ok {
			return c, nil
		}
		if i := m.Var(name); i >= 0 {
			if s == nil {
				return nil, fmt.Errorf("%s: %s is device state, not a constant", posString(e.Pos), name)
			}
			return s.Val(i), nil
		}
		if env != nil && env.Reg != nil {
			for _, f := range env.Reg.Fields {
				if f.Name == name {
					return m.FieldValue(f, s)
				}
			}
		}
		if want != nil {
			if v, ok := want.Value(name); ok {
				return term.C(v, want.Width), nil
			}
		}
		if en, v, ok := m.uniqueMember(name); ok {
			return term.C(v, en.Width), nil
		}
		return nil, fmt.Errorf("%s: undefined: %s", posString(e.Pos), name)
	}
	if len(e.Path) == 2 {
		if r := m.Reg(e.Path[0]); r != nil {
			for _, f := range r.Fields {
				if f.Name == e.Path[1] {
					return m.FieldValue(f, s)
				}
			}
		}
		if en := m.enums[e.Path[0]]; en != nil {
			if v, ok := en.Value(e.Path[1]); ok {
				return term.C(v, en.Width), nil
			}
		}
	}
	return nil, fmt.Errorf("%s: undefined: %s", posString(e.Pos), name)
}

// uniqueMember finds a bare enum member name that means one value in every
// enum that declares it.
func (m *Model) uniqueMember(name string) (*Enum, uint64, bool) {
	var found *Enum
	var val uint64
	check := func(en *Enum) bool {
		if en == nil {
			return true
		}
		if v, ok := en.Value(name); ok {
			if found != nil && v != val {
				return false
			}
			found, val = en, v
		}
		return true
	}
	for _, en := range m.enums {
		if !check(en) {
			return nil, 0, false
		}
	}
	for _, v := range m.Vars {
		if !check(v.Enum) {
			return nil, 0, false
		}
	}
	for _, r := range m.Regs {
		for _, f := range r.Fields {
			if !check(f.Enum) {
				return nil, 0, false
			}
		}
	}
	return found, val, found != nil
}

func (m *Model) evalMatch(e *dsl.Expr, s *State, env *Env, want *Enum) (*term.T, error) {
	x, err := m.EvalExpected(e.X, s, env, nil)
	if err != nil {
		return nil, err
	}
	scrut := m.EnumOf(e.X, env)
	w := 0
	if want != nil {
		w = want.Width
	}
	var cases []term.Case
	for _, c := range e.Cases {
		var pat uint64
		if scrut != nil {
			v, ok := scrut.Value(c.Pattern)
			if !ok {
				return nil, fmt.Errorf("%s: %s is not a member of %s", posString(c.Pos), c.Pattern, scrut.Name)
			}
			pat = v
		} else if _, v, ok := m.uniqueMember(c.Pattern); ok {
			pat = v
		} else {
			return nil, fmt.Errorf("%s: undefined: %s", posString(c.Pos), c.Pattern)
		}
		r, err := m.EvalExpected(c.Value, s, env, want)
		if err != nil {
			return nil, err
		}
		if !r.IsConst() {
			return nil, fmt.Errorf("%s: match arms must be constants", posString(c.Value.Pos))
		}
		if w == 0 {
			w = max(w, r.Width)
		}
		cases = append(cases, term.Case{Pattern: pat, Label: c.Pattern, Result: r})
	}
	if w == 0 {
		// Bare numbers in the arms: as wide as the largest of them.
		var top uint64
		for _, c := range cases {
			top = max(top, c.Result.Val)
		}
		w = max(1, bits.Len64(top))
	}
	for i := range cases {
		cases[i].Result = term.Resize(cases[i].Result, w)
	}
	return term.Match(x, w, cases), nil
}

// FieldValue is what field f reads as in state s.
func (m *Model) FieldValue(f *Field, s *State) (*term.T, error) {
	if f.Stored {
		if s == nil {
			return nil, fmt.Errorf("%s is device state, not a constant", f.Qual())
		}
		return s.Val(f.Var), nil
	}
	if f.Value != nil {
		v, err := m.EvalExpected(f.Value, s, nil, f.Enum)
		if err != nil {
			return nil, err
		}
		return term.Resize(truthIfBool(v, f.Width), f.Width), nil
	}
	return term.C(f.Reset, f.Width), nil
}

func truthIfBool(v *term.T, w int) *term.T {
	if w == 1 && v.Width != 1 && !v.IsConst() {
		return truth(v)
	}
	return v
}
