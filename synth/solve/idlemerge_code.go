package solve

import (
	"sort"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
)

// The dead-variable analysis runs the device's behaviour on thousands of
// abstract states, so it runs it compiled: every name is resolved once,
// where it is read (as model.evalName resolves it), to a slot of the
// abstract state, a field of the register accessed or a constant; and
// every statement list to a graph in which each statement leads to the
// next, an if to both its branches, both of which lead to what follows
// the if.

// aop is what an abstract expression computes.
type aop uint8

const (
	aAny     aop = iota // unknown, untainted: a data variable, a local, an unresolved name
	aKnown              // the constant val
	aVar                // the state's slot idx
	aSlot               // the accessed register's field idx (the value read or written)
	aNot                // !x
	aAndOr              // x && y, or x || y when or
	aCompare            // x cmp y
	aCond               // x ? y : z
	aOpaque             // unknown, depending on what kids read
)

// acode is a compiled abstract expression.
type acode struct {
	op      aop
	val     uint64
	idx     int
	or      bool
	cmp     string
	x, y, z *acode
	kids    []*acode
}

// anode is a compiled statement; next is the statement after it (nil:
// the end), and for an if the else branch, then the other.
type anode struct {
	stmt  aStmt
	cond  *acode   // require, if
	args  []*acode // emit
	value *acode   // assign
	slot  int      // assign: the finite variable's slot, or -1 for data
	width int      // assign: the variable's width
	then  *anode
	next  *anode
}

type aStmt uint8

const (
	aRequire aStmt = iota
	aEmit
	aAssign
	aIf
	aGiveUp // an assignment to what the model would refuse
)

// ascope is what a compiled expression may name besides device state:
// the fields of the register accessed (by slot) and locals, which the
// analysis always holds unknown and untainted (parameters, buf).
type ascope struct {
	reg    *model.Reg
	locals map[string]bool
}

// compile lowers e, read in scope (nil: the device's state only) and,
// for a bare enum member, in want.
func (da *deadAnalysis) compile(e *dsl.Expr, sc *ascope, want *model.Enum) *acode {
	switch e.Kind {
	case dsl.NumberExpr, dsl.BoolExpr:
		return &acode{op: aKnown, val: e.Value}
	case dsl.NameExpr:
		return da.compileName(e, sc, want)
	case dsl.UnaryExpr:
		x := da.compile(e.X, sc, nil)
		if e.Op == "!" {
			return &acode{op: aNot, x: x}
		}
		return &acode{op: aOpaque, kids: []*acode{x}}
	case dsl.BinaryExpr:
		return da.compileBinary(e, sc)
	case dsl.CondExpr:
		return &acode{op: aCond, x: da.compile(e.X, sc, nil), y: da.compile(e.Y, sc, want), z: da.compile(e.Z, sc, want)}
	}
	// Slices, concatenations, matches, calls: unknown, depending on all
	// they read.
	c := &acode{op: aOpaque}
	for _, x := range []*dsl.Expr{e.X, e.Y, e.Z} {
		if x != nil {
			c.kids = append(c.kids, da.compile(x, sc, nil))
		}
	}
	for _, a := range e.Args {
		c.kids = append(c.kids, da.compile(a, sc, nil))
	}
	for _, mc := range e.Cases {
		c.kids = append(c.kids, da.compile(mc.Value, sc, want))
	}
	return c
}

func (da *deadAnalysis) compileBinary(e *dsl.Expr, sc *ascope) *acode {
	switch e.Op {
	case "&&", "||":
		return &acode{op: aAndOr, or: e.Op == "||", x: da.compile(e.X, sc, nil), y: da.compile(e.Y, sc, nil)}
	case "==", "!=", "<", "<=", ">", ">=":
		var menv *model.Env
		if sc != nil && sc.reg != nil {
			menv = &model.Env{Reg: sc.reg}
		}
		// Each side reads a bare member in the other's enum.
		xe, ye := da.m.EnumOf(e.Y, menv), da.m.EnumOf(e.X, menv)
		return &acode{op: aCompare, cmp: e.Op, x: da.compile(e.X, sc, xe), y: da.compile(e.Y, sc, ye)}
	}
	return &acode{op: aOpaque, kids: []*acode{da.compile(e.X, sc, nil), da.compile(e.Y, sc, nil)}}
}

// compileName resolves a name as model.evalName does: locals, constants,
// state, the accessed register's fields, enum members.
func (da *deadAnalysis) compileName(e *dsl.Expr, sc *ascope, want *model.Enum) *acode {
	m := da.m
	unknown := &acode{op: aAny}
	if len(e.Path) == 1 {
		n := e.Path[0]
		if sc != nil && sc.locals[n] {
			return unknown
		}
		if c, ok := m.Const(n); ok {
			if c.IsConst() {
				return &acode{op: aKnown, val: c.Val}
			}
			return unknown
		}
		if i := m.Var(n); i >= 0 {
			return da.varCode(i)
		}
		if sc != nil && sc.reg != nil {
			for i, f := range sc.reg.Fields {
				if f.Name == n {
					return &acode{op: aSlot, idx: i}
				}
			}
		}
		if want != nil {
			if v, ok := want.Value(n); ok {
				return &acode{op: aKnown, val: v}
			}
		}
		if v, ok := da.members[n]; ok && v >= 0 {
			return &acode{op: aKnown, val: uint64(v)}
		}
		return unknown
	}
	if len(e.Path) == 2 {
		if r := m.Reg(e.Path[0]); r != nil {
			for _, f := range r.Fields {
				if f.Name == e.Path[1] {
					return da.fieldCode(f)
				}
			}
		}
		if en := m.Enum(e.Path[0]); en != nil {
			if v, ok := en.Value(e.Path[1]); ok {
				return &acode{op: aKnown, val: v}
			}
		}
	}
	return unknown
}

// varCode reads variable i: a data variable is always unknown and
// untainted.
func (da *deadAnalysis) varCode(i int) *acode {
	if k := da.slot[i]; k >= 0 {
		return &acode{op: aVar, idx: k}
	}
	return &acode{op: aAny}
}

// fieldCode is what field f reads as, made once per field.
func (da *deadAnalysis) fieldCode(f *model.Field) *acode {
	if c := da.fields[f]; c != nil {
		return c
	}
	var c *acode
	switch {
	case f.Stored:
		c = da.varCode(f.Var)
	case f.Value != nil:
		c = da.compile(f.Value, nil, f.Enum)
	default:
		c = &acode{op: aKnown, val: f.Reset}
	}
	da.fields[f] = c
	return c
}

// compileStmts lowers ss, run in scope, each path through it going on
// with next.
func (da *deadAnalysis) compileStmts(ss []*dsl.Stmt, sc *ascope, next *anode) *anode {
	for i := len(ss) - 1; i >= 0; i-- {
		next = da.compileStmt(ss[i], sc, next)
	}
	return next
}

func (da *deadAnalysis) compileStmt(st *dsl.Stmt, sc *ascope, next *anode) *anode {
	switch {
	case st.Require != nil:
		return &anode{stmt: aRequire, cond: da.compile(st.Require.Cond, sc, nil), next: next}
	case st.Emit != nil:
		n := &anode{stmt: aEmit, next: next}
		for _, a := range st.Emit.Args {
			n.args = append(n.args, da.compile(a, sc, nil))
		}
		return n
	case st.Assign != nil:
		idx := da.target(st.Assign, sc)
		if idx < 0 {
			return &anode{stmt: aGiveUp}
		}
		v := da.m.Vars[idx]
		return &anode{stmt: aAssign, value: da.compile(st.Assign.Value, sc, v.Enum), slot: da.slot[idx], width: v.Width, next: next}
	case st.If != nil:
		return &anode{stmt: aIf, cond: da.compile(st.If.Cond, sc, nil),
			then: da.compileStmts(st.If.Then, sc, next), next: da.compileStmts(st.If.Else, sc, next)}
	}
	return next
}

// target is the variable an assignment sets (as model.assign finds it).
func (da *deadAnalysis) target(a *dsl.Assign, sc *ascope) int {
	name := a.Target.Parts
	if len(name) == 1 {
		idx := da.m.Var(name[0])
		if idx < 0 && sc != nil && sc.reg != nil {
			idx = da.m.Var(sc.reg.Name + "." + name[0])
		}
		return idx
	}
	return da.m.Var(name[0] + "." + name[1])
}

// mentioned lists the slots of the finite state variables e names.
func (da *deadAnalysis) mentioned(e *dsl.Expr) []int {
	names := map[string]bool{}
	collectAllNames(e, names)
	var vars []int
	for n := range names {
		if i := da.m.Var(n); i >= 0 {
			vars = append(vars, i)
		}
	}
	sort.Ints(vars)
	var out []int
	for _, i := range vars {
		if k := da.slot[i]; k >= 0 {
			out = append(out, k)
		}
	}
	return out
}

// eval evaluates c abstractly in s, with slots the fields of the register
// accessed. Where it cannot compute the value it answers unknown, tainted
// by everything it evaluated.
func (da *deadAnalysis) eval(c *acode, s, slots []aval) aval {
	switch c.op {
	case aKnown:
		return avKnown(c.val)
	case aVar:
		return s[c.idx]
	case aSlot:
		return slots[c.idx]
	case aNot:
		x := da.eval(c.x, s, slots)
		if x.known {
			return avKnown(b2u(x.val == 0))
		}
		return aval{taint: x.taint}
	case aAndOr:
		return da.andOr(c, s, slots)
	case aCompare:
		return da.compare(c, s, slots)
	case aCond:
		x := da.eval(c.x, s, slots)
		if x.known {
			if x.val != 0 {
				return da.eval(c.y, s, slots)
			}
			return da.eval(c.z, s, slots)
		}
		y, z := da.eval(c.y, s, slots), da.eval(c.z, s, slots)
		if y.known && z.known && y.val == z.val {
			return avKnown(y.val)
		}
		return aval{taint: x.taint | y.taint | z.taint}
	case aOpaque:
		var t uint64
		for _, k := range c.kids {
			t |= da.eval(k, s, slots).taint
		}
		return aval{taint: t}
	}
	return avAny
}

func (da *deadAnalysis) andOr(c *acode, s, slots []aval) aval {
	x := da.eval(c.x, s, slots)
	if x.known && (x.val != 0) == c.or {
		return avKnown(b2u(c.or))
	}
	y := da.eval(c.y, s, slots)
	if x.known {
		return truthOf(y)
	}
	if y.known && (y.val != 0) == c.or {
		return avKnown(b2u(c.or))
	}
	return aval{taint: x.taint | y.taint}
}

func (da *deadAnalysis) compare(c *acode, s, slots []aval) aval {
	x, y := da.eval(c.x, s, slots), da.eval(c.y, s, slots)
	if !x.known || !y.known {
		return aval{taint: x.taint | y.taint}
	}
	var r bool
	switch c.cmp {
	case "==":
		r = x.val == y.val
	case "!=":
		r = x.val != y.val
	case "<":
		r = x.val < y.val
	case "<=":
		r = x.val <= y.val
	case ">":
		r = x.val > y.val
	default:
		r = x.val >= y.val
	}
	return avKnown(b2u(r))
}

func truthOf(a aval) aval {
	if a.known {
		a.val = b2u(a.val != 0)
	}
	return a
}

// exec runs the statements from n on s (which it may change) and adds
// the states every path ends in to da.out; a path that breaks a require
// ends nowhere (the driver may not take it, and whether it may is
// decided untainted).
func (da *deadAnalysis) exec(n *anode, s, slots []aval) {
	for ; n != nil; n = n.next {
		switch n.stmt {
		case aRequire:
			if can, _ := da.decide(da.eval(n.cond, s, slots)); !can {
				da.release(s)
				return
			}
		case aEmit:
			for _, a := range n.args {
				da.use(da.eval(a, s, slots))
			}
		case aGiveUp:
			da.blame = ^uint64(0) // what the model would refuse: give up
			da.release(s)
			return
		case aAssign:
			val := da.eval(n.value, s, slots)
			if n.slot < 0 {
				// Data the contract may compare with what it held
				// (frames) or read through a binding. It stays
				// unknown.
				da.use(val)
				continue
			}
			if val.known && n.width < 64 {
				val.val &= 1<<n.width - 1
			}
			s[n.slot] = val
		case aIf:
			t, f := da.decide(da.eval(n.cond, s, slots))
			switch {
			case t && f:
				da.exec(n.then, da.copyOf(s), slots)
			case t:
				da.exec(n.then, s, slots)
				return
			}
		}
	}
	da.out = append(da.out, s)
}
