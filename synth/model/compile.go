package model

import (
	"fmt"
	"math/bits"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/term"
)

// The device's behaviour is compiled once, when the model is lowered:
// every name is resolved (with the checker's dsl.Info where there is one)
// to a state variable's index, a field, a constant or the slot of a local
// (a field of the register being accessed, an input's parameter, a
// stream's buf), and every operator to an opcode. Evaluating compiled code
// looks nothing up by name.

type opcode uint8

const (
	opConst   opcode = iota // k
	opVar                   // the value of variable i
	opSlot                  // local slot i
	opField                 // what field f reads as
	opNot                   // !x
	opUnary                 // name x (~, -)
	opAndOr                 // x && y, x || y (name)
	opCompare               // x name y, for ==, !=, <, <=, >, >=
	opBinary                // x name y, arithmetic and bitwise
	opCond                  // x ? y : z
	opSlice                 // x[hi:lo]
	opConcat                // {args}
	opMatch                 // match x { cases }
	opLen                   // len(x)
	opEnv                   // the caller's local name (Env.Locals), or else alt
	opError                 // evaluating it is an error: err
)

// code is a compiled expression.
type code struct {
	op      opcode
	k       *term.T
	i       int
	f       *Field
	name    string // the operator, as term.O spells it
	x, y, z *code
	args    []*code
	hi, lo  int
	cases   []codeCase
	want    *Enum // match: the enum its result is read in
	pos     dsl.Pos
	err     string
	alt     *code // opEnv: what the name means when the caller has no such local
}

type codeCase struct {
	pattern uint64
	label   string
	result  *code
}

// scope is what a compiled expression may name besides device state.
type scope struct {
	reg   *Reg     // its fields are visible by bare name, in slots 0..
	slots []string // the names of the other locals (parameters, buf), in slot order
}

func (sc *scope) slot(name string) (int, bool) {
	if sc == nil {
		return 0, false
	}
	if sc.reg != nil {
		for i, f := range sc.reg.Fields {
			if f.Name == name {
				return i, true
			}
		}
	}
	for i, n := range sc.slots {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// compiler lowers expressions and statements of one model.
type compiler struct {
	m     *Model
	info  *dsl.Info
	enums map[*dsl.EnumBody]*Enum
	// env: compiling for a caller's Env (a contract, a binding): the
	// checker's parameters are the caller's locals, looked up when the
	// code runs. unresolved is set when a name has no record, and the
	// code must not be used.
	env        bool
	unresolved bool
}

func (m *Model) newCompiler() *compiler {
	c := &compiler{m: m, enums: map[*dsl.EnumBody]*Enum{}}
	if m.Spec != nil {
		c.info = m.Spec.Info
	}
	for _, it := range m.Spec.Class.Class.Items {
		if it.Type != nil && it.Type.Type.Enum != nil {
			c.enums[it.Type.Type.Enum] = m.enums[it.Type.Name]
		}
	}
	for _, it := range m.Spec.Device.Device.Items {
		switch {
		case it.Type != nil && it.Type.Type.Enum != nil:
			c.enums[it.Type.Type.Enum] = m.enums[it.Type.Name]
		case it.State != nil && it.State.Type.Enum != nil:
			if i := m.Var(it.State.Name); i >= 0 {
				c.enums[it.State.Type.Enum] = m.Vars[i].Enum
			}
		}
	}
	for _, r := range m.Regs {
		for _, f := range r.Fields {
			if f.Decl.Enum != nil {
				c.enums[f.Decl.Enum] = f.Enum
			}
		}
	}
	return c
}

func errCode(e *dsl.Expr, format string, args ...any) *code {
	return &code{op: opError, pos: e.Pos, err: fmt.Sprintf("%s: ", posString(e.Pos)) + fmt.Sprintf(format, args...)}
}

// enumOf is EnumOf at compile time: the enum type of a name, if it has one.
func (c *compiler) enumOf(e *dsl.Expr, sc *scope) *Enum {
	if e == nil || e.Kind != dsl.NameExpr {
		return nil
	}
	if c.env && len(e.Path) == 1 && c.info != nil {
		// The caller gives its parameters' enums (Env.Enums); the checker
		// recorded the same types.
		if o := c.info.Uses[e]; o != nil && o.Kind == dsl.ObjParam && o.Enum != nil {
			return c.enums[o.Enum]
		}
	}
	if len(e.Path) == 1 && sc != nil && sc.reg != nil {
		for _, f := range sc.reg.Fields {
			if f.Name == e.Path[0] {
				return f.Enum
			}
		}
	}
	if i := c.m.Var(e.Name()); i >= 0 {
		return c.m.Vars[i].Enum
	}
	if len(e.Path) == 2 {
		if r := c.m.Reg(e.Path[0]); r != nil {
			for _, f := range r.Fields {
				if f.Name == e.Path[1] {
					return f.Enum
				}
			}
		}
	}
	return nil
}

// expr compiles e, read in enum want (nil: no enum expected).
func (c *compiler) expr(e *dsl.Expr, sc *scope, want *Enum) *code {
	switch e.Kind {
	case dsl.NumberExpr:
		return &code{op: opConst, k: term.C(e.Value, 0)}
	case dsl.BoolExpr:
		return &code{op: opConst, k: term.Bool(e.Value != 0)}
	case dsl.NameExpr:
		return c.name(e, sc, want)
	case dsl.UnaryExpr:
		x := c.expr(e.X, sc, nil)
		if e.Op == "!" {
			return &code{op: opNot, x: x}
		}
		return &code{op: opUnary, name: e.Op, x: x}
	case dsl.BinaryExpr:
		switch e.Op {
		case "&&", "||":
			return &code{op: opAndOr, name: e.Op, x: c.expr(e.X, sc, nil), y: c.expr(e.Y, sc, nil)}
		case "==", "!=", "<", "<=", ">", ">=":
			// A bare enum member on one side is read in the other side's enum.
			xe, ye := c.enumOf(e.Y, sc), c.enumOf(e.X, sc)
			return &code{op: opCompare, name: e.Op, x: c.expr(e.X, sc, xe), y: c.expr(e.Y, sc, ye)}
		}
		return &code{op: opBinary, name: e.Op, x: c.expr(e.X, sc, nil), y: c.expr(e.Y, sc, nil)}
	case dsl.CondExpr:
		return &code{op: opCond, x: c.expr(e.X, sc, nil), y: c.expr(e.Y, sc, want), z: c.expr(e.Z, sc, want)}
	case dsl.SliceExpr:
		return &code{op: opSlice, x: c.expr(e.X, sc, nil), hi: e.Hi, lo: e.Lo}
	case dsl.ConcatExpr:
		k := &code{op: opConcat}
		for _, a := range e.Args {
			k.args = append(k.args, c.expr(a, sc, nil))
			k.args[len(k.args)-1].pos = a.Pos
		}
		return k
	case dsl.MatchExpr:
		return c.match(e, sc, want)
	case dsl.CallExpr:
		if len(e.Path) == 1 && e.Path[0] == "len" && len(e.Args) == 1 {
			// The byte length of a buffer: known to the driver, opaque here.
			return &code{op: opLen, x: c.expr(e.Args[0], sc, nil)}
		}
		return errCode(e, "%s(...) is not a value here", e.Name())
	}
	return errCode(e, "unsupported expression")
}

// name resolves a name: with the checker's record when there is one,
// otherwise by the same rules, in the same order, as the checker.
func (c *compiler) name(e *dsl.Expr, sc *scope, want *Enum) *code {
	var o *dsl.Object
	if c.info != nil {
		o = c.info.Uses[e]
	}
	if c.env {
		switch {
		case o == nil:
			c.unresolved = true
		case o.Kind == dsl.ObjParam && len(e.Path) == 1:
			return &code{op: opEnv, name: e.Path[0], alt: c.unrecorded(e, sc, want), pos: e.Pos}
		}
	}
	if o != nil {
		if k := c.object(e, o, sc, want); k != nil {
			return k
		}
	}
	return c.unrecorded(e, sc, want)
}

// unrecorded resolves a name the checker did not record, by the
// checker's rules in the checker's order.
func (c *compiler) unrecorded(e *dsl.Expr, sc *scope, want *Enum) *code {
	m := c.m
	name := e.Name()
	if len(e.Path) == 1 {
		if i, ok := sc.slot(name); ok {
			return &code{op: opSlot, i: i}
		}
		if k, ok := m.consts[name]; ok {
			return &code{op: opConst, k: k}
		}
		if i := m.Var(name); i >= 0 {
			return &code{op: opVar, i: i, pos: e.Pos, name: name}
		}
		if want != nil {
			if v, ok := want.Value(name); ok {
				return &code{op: opConst, k: term.C(v, want.Width)}
			}
		}
		if en, v, ok := m.uniqueMember(name); ok {
			return &code{op: opConst, k: term.C(v, en.Width)}
		}
		return errCode(e, "undefined: %s", name)
	}
	if len(e.Path) == 2 {
		if r := m.Reg(e.Path[0]); r != nil {
			for _, f := range r.Fields {
				if f.Name == e.Path[1] {
					return c.field(f, e)
				}
			}
		}
		if en := m.enums[e.Path[0]]; en != nil {
			if v, ok := en.Value(e.Path[1]); ok {
				return &code{op: opConst, k: term.C(v, en.Width)}
			}
		}
	}
	return errCode(e, "undefined: %s", name)
}

// object compiles a name the checker resolved to o; nil when the record
// does not fit the scope (the name is then resolved as if unrecorded).
func (c *compiler) object(e *dsl.Expr, o *dsl.Object, sc *scope, want *Enum) *code {
	m := c.m
	switch o.Kind {
	case dsl.ObjState:
		if i := m.Var(o.State.Name); i >= 0 {
			return &code{op: opVar, i: i, pos: e.Pos, name: o.State.Name}
		}
	case dsl.ObjField:
		r := m.Reg(o.Register.Name)
		if r == nil {
			return nil
		}
		// A bare field of the register being accessed is the value read or
		// written: a local.
		if len(e.Path) == 1 && sc != nil && sc.reg == r {
			if i, ok := sc.slot(o.Field.Name); ok {
				return &code{op: opSlot, i: i}
			}
		}
		for _, f := range r.Fields {
			if f.Decl == o.Field {
				return c.field(f, e)
			}
		}
	case dsl.ObjConst:
		if k, ok := m.consts[o.Const.Name]; ok {
			return &code{op: opConst, k: k}
		}
	case dsl.ObjMember:
		if en := c.enums[o.Enum]; en != nil {
			return &code{op: opConst, k: term.C(o.Value, en.Width)}
		}
	case dsl.ObjParam:
		if i, ok := sc.slot(o.Name); ok {
			return &code{op: opSlot, i: i}
		}
	}
	return nil
}

// field compiles what field f reads as.
func (c *compiler) field(f *Field, e *dsl.Expr) *code {
	if f.Stored {
		return &code{op: opVar, i: f.Var, pos: e.Pos, name: f.Qual()}
	}
	return &code{op: opField, f: f}
}

func (c *compiler) match(e *dsl.Expr, sc *scope, want *Enum) *code {
	k := &code{op: opMatch, x: c.expr(e.X, sc, nil), want: want}
	scrut := c.enumOf(e.X, sc)
	for _, mc := range e.Cases {
		var pat uint64
		if scrut != nil {
			v, ok := scrut.Value(mc.Pattern)
			if !ok {
				return errCode(e, "%s is not a member of %s", mc.Pattern, scrut.Name)
			}
			pat = v
		} else if _, v, ok := c.m.uniqueMember(mc.Pattern); ok {
			pat = v
		} else {
			return &code{op: opError, err: fmt.Sprintf("%s: undefined: %s", posString(mc.Pos), mc.Pattern)}
		}
		res := c.expr(mc.Value, sc, want)
		res.pos = mc.Value.Pos
		k.cases = append(k.cases, codeCase{pattern: pat, label: mc.Pattern, result: res})
	}
	return k
}

// frame is what compiled code runs on.
type frame struct {
	s     *State
	slots []*term.T
	env   *Env // the caller's locals (opEnv)
}

func (m *Model) run(k *code, fr *frame) (*term.T, error) {
	switch k.op {
	case opConst:
		return k.k, nil
	case opVar:
		if fr.s == nil {
			return nil, fmt.Errorf("%s: %s is device state, not a constant", posString(k.pos), k.name)
		}
		return fr.s.Val(k.i), nil
	case opSlot:
		return fr.slots[k.i], nil
	case opField:
		return m.FieldValue(k.f, fr.s)
	case opNot:
		x, err := m.run(k.x, fr)
		if err != nil {
			return nil, err
		}
		return term.O("!", 1, x), nil
	case opUnary:
		x, err := m.run(k.x, fr)
		if err != nil {
			return nil, err
		}
		return term.O(k.name, x.Width, x), nil
	case opAndOr:
		or := k.name == "||"
		x, err := m.run(k.x, fr)
		if err != nil {
			return nil, err
		}
		if x.IsConst() && x.IsTrue() == or {
			return term.Bool(or), nil
		}
		y, err := m.run(k.y, fr)
		if err != nil {
			return nil, err
		}
		if x.IsConst() {
			return truth(y), nil
		}
		if y.IsConst() {
			if y.IsTrue() == or {
				return term.Bool(or), nil
			}
			return truth(x), nil
		}
		return term.O(k.name, 1, x, y), nil
	case opCompare:
		x, err := m.run(k.x, fr)
		if err != nil {
			return nil, err
		}
		y, err := m.run(k.y, fr)
		if err != nil {
			return nil, err
		}
		return compare(k.name, x, y), nil
	case opBinary:
		x, err := m.run(k.x, fr)
		if err != nil {
			return nil, err
		}
		y, err := m.run(k.y, fr)
		if err != nil {
			return nil, err
		}
		return arith(k.name, x, y), nil
	case opCond:
		c, err := m.run(k.x, fr)
		if err != nil {
			return nil, err
		}
		if c.IsConst() {
			if c.IsTrue() {
				return m.run(k.y, fr)
			}
			return m.run(k.z, fr)
		}
		y, err := m.run(k.y, fr)
		if err != nil {
			return nil, err
		}
		z, err := m.run(k.z, fr)
		if err != nil {
			return nil, err
		}
		return term.O("?:", max(y.Width, z.Width), c, y, z), nil
	case opSlice:
		x, err := m.run(k.x, fr)
		if err != nil {
			return nil, err
		}
		if x.Width == 0 {
			x = term.Resize(x, k.hi+1)
		}
		return term.Sl(x, k.hi, k.lo), nil
	case opConcat:
		var buf [8]*term.T
		parts := buf[:0]
		for _, a := range k.args {
			p, err := m.run(a, fr)
			if err != nil {
				return nil, err
			}
			if p.Width == 0 {
				return nil, fmt.Errorf("%s: unsized value in a concatenation", posString(a.pos))
			}
			parts = append(parts, p)
		}
		return term.Cat(parts...), nil
	case opMatch:
		x, err := m.run(k.x, fr)
		if err != nil {
			return nil, err
		}
		w := 0
		if k.want != nil {
			w = k.want.Width
		}
		cases := make([]term.Case, 0, len(k.cases))
		for _, mc := range k.cases {
			r, err := m.run(mc.result, fr)
			if err != nil {
				return nil, err
			}
			if !r.IsConst() {
				return nil, fmt.Errorf("%s: match arms must be constants", posString(mc.result.pos))
			}
			if w == 0 {
				w = max(w, r.Width)
			}
			cases = append(cases, term.Case{Pattern: mc.pattern, Label: mc.label, Result: r})
		}
		return matchTerm(x, w, cases), nil
	case opEnv:
		if t, ok := fr.env.local(k.name); ok {
			return t, nil
		}
		return m.run(k.alt, fr)
	case opLen:
		x, err := m.run(k.x, fr)
		if err != nil {
			return nil, err
		}
		return term.O("len", 0, x), nil
	case opError:
		return nil, fmt.Errorf("%s", k.err)
	}
	return nil, fmt.Errorf("%s: unsupported expression", posString(k.pos))
}

// matchTerm finishes a match whose arms are evaluated: the arms meet at
// width w (0: as wide as the largest bare number among them).
func matchTerm(x *term.T, w int, cases []term.Case) *term.T {
	if w == 0 {
		var top uint64
		for _, c := range cases {
			top = max(top, c.Result.Val)
		}
		w = max(1, bits.Len64(top))
	}
	for i := range cases {
		cases[i].Result = term.Resize(cases[i].Result, w)
	}
	return term.Match(x, w, cases)
}

// compare is a comparison of two values.
func compare(op string, x, y *term.T) *term.T {
	if x.IsConst() && y.IsConst() {
		return term.O(op, 1, x, y)
	}
	if op == "==" || op == "!=" {
		w := max(x.Width, y.Width)
		if w > 0 && term.Resize(x, w) == term.Resize(y, w) {
			return term.Bool(op == "==")
		}
	}
	return term.O(op, 1, x, y)
}

// arith is an arithmetic or bitwise operation.
func arith(op string, x, y *term.T) *term.T {
	w := 0
	switch op {
	case "&", "|", "^":
		w = max(x.Width, y.Width)
	}
	return term.O(op, w, x, y)
}
