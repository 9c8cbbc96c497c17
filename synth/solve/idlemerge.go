package solve

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
)

// Two idle states that differ only in variables nothing will ever look at
// again are one state to every driver and every contract: the ATA disk's
// left (sectors still to move) and committing (a sector being written) are
// both set afresh by the next command before anything reads them, so the
// idle states a fault leaves with left = 1 or committing = 1 behave exactly
// like those with 0. The invariant keeps one of each such class (the dead
// variables at their reset values), which halves the states every ATA
// belief holds before the command is written.
//
// deadAt finds, for one idle state, a set D of state variables (not
// register fields) such that changing them changes nothing observable,
// ever. It runs the device's behaviour abstractly from the state with the
// variables of D unknown and tainted, every value the driver writes and
// every input unknown but untainted, and follows every register access,
// stream transfer, internal transition and input, through both branches of
// every condition it cannot decide. A taint that reaches something
// observable (a value a read shows, a condition that decides what the
// device does or whether the driver may act, an event's argument, a
// fault, the interrupt line, a class binding, data the contract may
// compare) makes the first variable it came from live: it leaves D, and
// once the run is over the next starts with it known. When a run ends with
// no such use, the state's behaviour does not depend on D at all (the
// standard noninterference argument: every observation is computed from
// untainted values only, and those are the same whatever D held), so the
// state and every state that differs from it only in D are bisimilar. A
// variable assigned an untainted value is clean again from there on: that
// is how left stops mattering once a READ SECTORS command sets it, and a
// state in which nothing is tainted any more needs no further look.

// deadLimit bounds the abstract states one run may visit; past it no
// variable is taken as dead (the answer is a property of the spec, and the
// default is the exact invariant, only larger).
const deadLimit = 20000

// aval is an abstract value: a known constant, or unknown (any value); and
// the candidate variables (bits, by index in deadAnalysis.cands) it depends
// on. A known value depends on none: it is the same whatever they held.
type aval struct {
	known bool
	val   uint64
	taint uint64
}

func avKnown(v uint64) aval { return aval{known: true, val: v} }

var avAny = aval{}

// deadAnalysis is the analysis of one model; deadAt answers per state.
type deadAnalysis struct {
	m      *model.Model
	cands  []int // finite state variables that are not register fields
	finite []int
	// slot is where a variable's value sits in an abstract state, which
	// holds the finite variables only (-1 for a data variable: always
	// unknown and untainted), so that a step costs what the finite part
	// does, whatever number of data registers the device has.
	slot []int
	bit  map[int]uint64
	// members resolves a bare enum member that is not read against an
	// enum (as the model's uniqueMember): -1 when ambiguous.
	members map[string]int64
	// known groups the states analysed by their dead variables: a state
	// that agrees with one of them outside those is dead in the same
	// ones (the runs that found them go the same way from it).
	known []*deadClass
	exact map[string][]int // by FiniteSig
	blame uint64           // of the run under way
	// runs remembers each run by where it starts: most idle states start
	// the first run alike (every candidate tainted).
	runs  map[string]runResult
	names map[*dsl.Expr]nameRes
	// envs are the (constant) environments of bindings, register writes,
	// streams and transitions, made once.
	envs    map[any]*aenv
	trans   []*model.Transition
	binds   []*dsl.PredBinding
	acts    map[*model.Reg]bool // writeActs, by register
	readAct map[*model.Reg]bool // readActs, by register
	// Scratch of the runs, reused so that a step allocates nothing: the
	// abstract states no longer in use (all of length len(finite)), the
	// successors of the state being expanded, the queue, a key and the
	// values a read shows.
	free     [][]aval
	succ     [][]aval
	queue    [][]aval
	keyBuf   []byte
	readVals []aval
	// sigBuf and withoutBuf hold deadAt's signatures of the state asked.
	sigBuf, withoutBuf []byte
}

type runResult struct {
	live uint64
	ok   bool
}

type deadClass struct {
	dead []int
	skip []bool
	sigs map[string]bool
}

func newDeadAnalysis(m *model.Model) *deadAnalysis {
	da := &deadAnalysis{m: m, bit: map[int]uint64{}, members: map[string]int64{}, names: map[*dsl.Expr]nameRes{}, runs: map[string]runResult{}, envs: map[any]*aenv{}, acts: map[*model.Reg]bool{}, readAct: map[*model.Reg]bool{}, exact: map[string][]int{}}
	da.trans = append(append(da.trans, m.Internals...), m.Inputs...)
	for _, name := range sortedKeys(m.Bindings) {
		da.binds = append(da.binds, m.Bindings[name])
	}
	da.slot = make([]int, len(m.Vars))
	for i, v := range m.Vars {
		da.slot[i] = -1
		if v.Finite {
			da.slot[i] = len(da.finite)
			da.finite = append(da.finite, i)
		}
		if v.Finite && v.Field == nil && len(da.cands) < 64 {
			da.bit[i] = 1 << len(da.cands)
			da.cands = append(da.cands, i)
		}
	}
	add := func(en *model.Enum) {
		if en == nil {
			return
		}
		for _, mb := range en.Members {
			if old, ok := da.members[mb.Name]; ok && old != int64(mb.Value) {
				da.members[mb.Name] = -1
			} else {
				da.members[mb.Name] = int64(mb.Value)
			}
		}
	}
	for _, v := range m.Vars {
		add(v.Enum)
	}
	for _, r := range m.Regs {
		for _, f := range r.Fields {
			add(f.Enum)
		}
	}
	return da
}

// deadAt lists the variables dead in s (indexes into m.Vars, ascending).
func (da *deadAnalysis) deadAt(s *model.State) []int {
	sig := da.m.AppendFiniteSig(da.sigBuf[:0], s)
	da.sigBuf = sig
	if d, ok := da.exact[string(sig)]; ok {
		return d
	}
	for _, c := range da.known {
		if c.sigs[string(da.sigWithout(c.skip, s))] {
			da.exact[string(sig)] = c.dead
			return c.dead
		}
	}

	start := make([]aval, len(da.finite))
	for k, i := range da.finite {
		if val := s.Val(i); val.IsConst() {
			start[k] = avKnown(val.Val)
		}
	}
	d := uint64(0)
	for _, i := range da.cands {
		d |= da.bit[i]
	}
	for d != 0 {
		live, ok := da.run(start, d)
		if !ok {
			d = 0
			break
		}
		if live == 0 {
			break
		}
		d &^= live
	}
	var out []int
	for _, i := range da.cands {
		if d&da.bit[i] != 0 {
			out = append(out, i)
		}
	}
	key := fmt.Sprint(out)
	var c *deadClass
	for _, x := range da.known {
		if fmt.Sprint(x.dead) == key {
			c = x
		}
	}
	if c == nil {
		c = &deadClass{dead: out, skip: make([]bool, len(da.m.Vars)), sigs: map[string]bool{}}
		for _, i := range out {
			c.skip[i] = true
		}
		da.known = append(da.known, c)
	}
	c.sigs[string(da.sigWithout(c.skip, s))] = true
	da.exact[string(sig)] = out
	return out
}

// sigWithout encodes s's finite values but those skip marks, in a buffer
// the next call overwrites.
func (da *deadAnalysis) sigWithout(skip []bool, s *model.State) []byte {
	b := da.withoutBuf[:0]
	for i, v := range da.m.Vars {
		if v.Finite && !skip[i] {
			b = binary.LittleEndian.AppendUint32(b, s.Val(i).ID())
		}
	}
	da.withoutBuf = b
	return b
}

// run explores from start with the variables of d tainted, and returns
// the variables it found live (see use), or false past deadLimit.
func (da *deadAnalysis) run(start []aval, d uint64) (live uint64, ok bool) {
	st := da.clone(start)
	for _, i := range da.cands {
		if d&da.bit[i] != 0 {
			st[da.slot[i]] = aval{taint: da.bit[i]}
		}
	}
	start0 := string(da.key(st))
	if r, ok := da.runs[start0]; ok {
		da.release(st)
		return r.live, r.ok
	}
	defer func() { da.runs[start0] = runResult{live, ok} }()
	da.blame = 0
	seen := map[string]bool{start0: true}

	queue := append(da.queue[:0], st)
	defer func() { clear(queue); da.queue = queue[:0] }()
	for head := 0; head < len(queue); head++ {
		s := queue[head]
		da.succ = da.steps(s, da.succ[:0])
		for _, next := range da.succ {
			if !da.tainted(next) {
				// Nothing in it depends on d any more, nor will.
				da.release(next)
				continue
			}
			if k := da.key(next); !seen[string(k)] {
				if len(seen) >= deadLimit {
					return 0, false
				}
				seen[string(k)] = true
				queue = append(queue, next)
			} else {
				da.release(next)
			}
		}
		queue[head] = nil
		da.release(s)
	}
	return da.blame & d, true
}

// clone is a copy of the abstract state s, reusing a released one.
func (da *deadAnalysis) clone(s []aval) []aval {
	n := len(da.free)
	if n == 0 {
		return append([]aval(nil), s...)
	}
	c := da.free[n-1]
	da.free = da.free[:n-1]
	copy(c, s)
	return c
}

// release hands back an abstract state nothing refers to any more.
func (da *deadAnalysis) release(s []aval) {
	da.free = append(da.free, s)
}

// tainted reports whether some finite variable of s is tainted: data
// variables never hold a taint (see exec).
func (da *deadAnalysis) tainted(s []aval) bool {
	for _, a := range s {
		if a.taint != 0 {
			return true
		}
	}
	return false
}

// readActs reports whether a read of r can show a finite value or change
// the state: a read that shows only stored data shows unknown, untainted
// values and changes nothing.
func (da *deadAnalysis) readActs(r *model.Reg) bool {
	if acts, ok := da.readAct[r]; ok {
		return acts
	}
	acts := len(r.OnRead) > 0 || hasRC(r)
	for _, f := range r.Fields {
		acts = acts || !f.Stored || da.m.Vars[f.Var].Finite
	}
	da.readAct[r] = acts
	return acts
}

// writeActs reports whether a write of r can change an abstract state: it
// runs statements, or it stores a finite field. A write that only stores
// data (which stays unknown and untainted) leaves the state as it was, so
// it is not a step; on a spec with hundreds of such registers, trying
// each from every abstract state was most of the analysis.
func (da *deadAnalysis) writeActs(r *model.Reg) bool {
	if acts, ok := da.acts[r]; ok {
		return acts
	}
	acts := len(r.OnWrite) > 0
	for _, f := range r.Fields {
		acts = acts || f.Stored && da.m.Vars[f.Var].Finite
	}
	da.acts[r] = acts
	return acts
}

// get is variable i's value in the abstract state s.
func (da *deadAnalysis) get(s []aval, i int) aval {
	if k := da.slot[i]; k >= 0 {
		return s[k]
	}
	return avAny
}

// set stores a into variable i of s; a data variable stays unknown.
func (da *deadAnalysis) set(s []aval, i int, a aval) {
	if k := da.slot[i]; k >= 0 {
		s[k] = a
	}
}

// key encodes an abstract state (its finite variables: data ones are
// always unknown and untainted, see exec and set), in a buffer the next
// call overwrites.
func (da *deadAnalysis) key(s []aval) []byte {
	b := da.keyBuf[:0]
	for _, a := range s {
		switch {
		case !a.known:
			b = append(b, 0)
		case a.val>>32 == 0:
			b = append(b, 1)
			b = binary.LittleEndian.AppendUint32(b, uint32(a.val))
		default:
			b = append(b, 2)
			b = binary.LittleEndian.AppendUint64(b, a.val)
		}
		if a.taint != 0 {
			b = binary.LittleEndian.AppendUint64(b, a.taint)
		}
	}
	da.keyBuf = b
	return b
}

// use records that a is observable: when it is tainted, the first of the
// variables it depends on (in declaration order) is live. (Blaming the
// first only matters for precision: a guard like phase == Busy &&
// committing is about committing only once phase is known.)
func (da *deadAnalysis) use(a aval) {
	if a.taint != 0 {
		da.blame |= a.taint & -a.taint
	}
}

// decide is a condition that decides what happens: both ways when it is
// unknown. A tainted one goes neither way: the run has found a live
// variable, and goes on only to find more before the next run, which
// starts with it known.
func (da *deadAnalysis) decide(a aval) (canTrue, canFalse bool) {
	if a.taint != 0 {
		da.use(a)
		return false, false
	}
	if a.known {
		return a.val != 0, a.val == 0
	}
	return true, true
}

// aenv is what an expression sees besides the state: the fields of the
// register being accessed (the values read or written) and named locals.
type aenv struct {
	reg    *model.Reg
	slots  []aval
	locals map[string]aval
}

// steps appends the abstract successors of s to out, after checking what
// s shows by itself (faults, the interrupt line, the class bindings).
func (da *deadAnalysis) steps(s []aval, out [][]aval) [][]aval {
	m := da.m
	for _, f := range m.Faults {
		da.use(da.eval(f.Cond, s, nil, nil))
	}
	if m.IRQ != nil {
		da.use(da.eval(m.IRQ, s, nil, nil))
	}
	for _, pb := range da.binds {
		env := da.envs[pb]
		if env == nil {
			env = &aenv{locals: map[string]aval{}}
			for _, p := range pb.Params {
				env.locals[p.Name] = avAny
			}
			da.envs[pb] = env
		}
		da.use(da.eval(pb.Body, s, env, nil))
	}
	visible := func(bank *dsl.Expr) bool {
		if bank == nil {
			return true
		}
		t, _ := da.decide(da.eval(bank, s, nil, nil))
		return t
	}
	for _, r := range m.Regs {
		if !visible(r.Bank) {
			continue
		}
		if r.Read && da.readActs(r) {
			vals := slices.Grow(da.readVals[:0], len(r.Fields))[:len(r.Fields)]
			da.readVals = vals
			for i, f := range r.Fields {
				vals[i] = da.fieldValue(f, s)
				da.use(vals[i])
			}
			if len(r.OnRead) > 0 || hasRC(r) { // else the read changes nothing
				out = da.read(r, s, vals, out)
			}
		}
		if r.Write && da.writeActs(r) {
			env := da.envs[r]
			if env == nil {
				// Any value of every field: the written values are all
				// unknown and untainted.
				env = &aenv{reg: r, slots: make([]aval, len(r.Fields))}
				da.envs[r] = env
			}
			n := len(out)
			out = da.exec(r.OnWrite, da.clone(s), env, out)
			for _, after := range out[n:] {
				for _, f := range r.Fields {
					switch {
					case !f.Stored:
					case f.W1C:
						da.set(after, f.Var, aval{taint: da.get(after, f.Var).taint})
					default:
						da.set(after, f.Var, avAny)
					}
				}
			}
		}
	}
	for _, p := range m.Streams {
		if !visible(p.Bank) {
			continue
		}
		env := da.envs[p]
		if env == nil {
			env = &aenv{locals: map[string]aval{"buf": avAny}}
			da.envs[p] = env
		}
		if p.Read {
			for _, l := range p.Layouts {
				if l.When != nil {
					if t, _ := da.decide(da.eval(l.When, s, nil, nil)); !t {
						continue
					}
				}
				for _, f := range l.Fields {
					if f.Value != nil {
						da.use(da.eval(f.Value, s, nil, nil))
					}
				}
			}
			out = da.exec(p.OnRead, da.clone(s), env, out)
		}
		if p.Write {
			out = da.exec(p.OnWrite, da.clone(s), env, out)
		}
	}
	for _, t := range da.trans {
		if t.Guard != nil {
			if can, _ := da.decide(da.eval(t.Guard, s, nil, nil)); !can {
				continue
			}
		}
		env := da.envs[t]
		if env == nil {
			env = &aenv{locals: map[string]aval{}}
			for _, p := range t.Params {
				env.locals[p.Name] = avAny
			}
			da.envs[t] = env
		}
		out = da.exec(t.Body, da.clone(s), env, out)
	}
	return out
}

// read appends to out the states after a read of r that shows vals in s.
func (da *deadAnalysis) read(r *model.Reg, s, vals []aval, out [][]aval) [][]aval {
	next := da.clone(s)
	for _, f := range r.Fields {
		switch {
		case !f.RC:
		case f.Stored:
			da.set(next, f.Var, avKnown(0))
		case f.Value != nil:
			// The read clears the variable the field shows.
			for _, i := range da.mentioned(f.Value) {
				da.set(next, i, aval{taint: da.get(next, i).taint})
			}
		}
	}
	return da.exec(r.OnRead, next, &aenv{reg: r, slots: vals}, out)
}

func hasRC(r *model.Reg) bool {
	for _, f := range r.Fields {
		if f.RC {
			return true
		}
	}
	return false
}

// exec runs ss on s (which it owns and may change) and appends to out
// the states every path through it ends in; a path that breaks a require
// ends nowhere (the driver may not take it, and whether it may is decided
// untainted).
func (da *deadAnalysis) exec(ss []*dsl.Stmt, s []aval, env *aenv, out [][]aval) [][]aval {
	for i, st := range ss {
		switch {
		case st.Require != nil:
			if can, _ := da.decide(da.eval(st.Require.Cond, s, env, nil)); !can {
				da.release(s)
				return out
			}
		case st.Emit != nil:
			for _, a := range st.Emit.Args {
				da.use(da.eval(a, s, env, nil))
			}
		case st.Assign != nil:
			idx := da.target(st.Assign, env)
			if idx < 0 {
				da.blame = ^uint64(0) // what the model would refuse: give up
				da.release(s)
				return out
			}
			v := da.m.Vars[idx]
			val := da.eval(st.Assign.Value, s, env, v.Enum)
			if !v.Finite {
				// Data the contract may compare with what it held
				// (frames) or read through a binding. It stays
				// unknown.
				da.use(val)
				continue
			}
			if val.known && v.Width < 64 {
				val.val &= 1<<v.Width - 1
			}
			da.set(s, idx, val)
		case st.If != nil:
			t, f := da.decide(da.eval(st.If.Cond, s, env, nil))
			mid := len(out)
			switch {
			case t && f:
				out = da.exec(st.If.Then, da.clone(s), env, out)
				out = da.exec(st.If.Else, s, env, out)
			case t:
				out = da.exec(st.If.Then, s, env, out)
			default:
				out = da.exec(st.If.Else, s, env, out)
			}
			return da.execRest(ss[i+1:], mid, env, out)
		}
	}
	return append(out, s)
}

// execRest runs rest on each of the states out[mid:] and leaves in their
// place, in order, the states that ends in.
func (da *deadAnalysis) execRest(rest []*dsl.Stmt, mid int, env *aenv, out [][]aval) [][]aval {
	if len(rest) == 0 {
		return out
	}
	n := len(out) - mid
	for k := range n {
		out = da.exec(rest, out[mid+k], env, out)
	}
	copy(out[mid:], out[mid+n:])
	clear(out[len(out)-n:])
	return out[:len(out)-n]
}

// target is the variable an assignment sets (as model.assign finds it).
func (da *deadAnalysis) target(a *dsl.Assign, env *aenv) int {
	name := a.Target.Parts
	if len(name) == 1 {
		idx := da.m.Var(name[0])
		if idx < 0 && env != nil && env.reg != nil {
			idx = da.m.Var(env.reg.Name + "." + name[0])
		}
		return idx
	}
	return da.m.Var(name[0] + "." + name[1])
}

func (da *deadAnalysis) fieldValue(f *model.Field, s []aval) aval {
	switch {
	case f.Stored:
		return da.get(s, f.Var)
	case f.Value != nil:
		return da.eval(f.Value, s, nil, f.Enum)
	}
	return avKnown(f.Reset)
}

// mentioned lists the state variables e names.
func (da *deadAnalysis) mentioned(e *dsl.Expr) []int {
	names := map[string]bool{}
	collectAllNames(e, names)
	var out []int
	for n := range names {
		if i := da.m.Var(n); i >= 0 {
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out
}

// eval evaluates e abstractly, reading a bare enum member in want (as the
// model's EvalExpected). Where it cannot compute the value it answers
// unknown, tainted by everything it evaluated.
func (da *deadAnalysis) eval(e *dsl.Expr, s []aval, env *aenv, want *model.Enum) aval {
	switch e.Kind {
	case dsl.NumberExpr:
		return avKnown(e.Value)
	case dsl.BoolExpr:
		return avKnown(e.Value)
	case dsl.NameExpr:
		return da.name(e, s, env, want)
	case dsl.UnaryExpr:
		x := da.eval(e.X, s, env, nil)
		if e.Op == "!" && x.known {
			return avKnown(b2u(x.val == 0))
		}
		return aval{taint: x.taint}
	case dsl.BinaryExpr:
		return da.binary(e, s, env)
	case dsl.CondExpr:
		c := da.eval(e.X, s, env, nil)
		if c.known {
			if c.val != 0 {
				return da.eval(e.Y, s, env, want)
			}
			return da.eval(e.Z, s, env, want)
		}
		y, z := da.eval(e.Y, s, env, want), da.eval(e.Z, s, env, want)
		if y.known && z.known && y.val == z.val {
			return avKnown(y.val)
		}
		return aval{taint: c.taint | y.taint | z.taint}
	}
	// Slices, concatenations, matches, calls: unknown, depending on all
	// they read.
	var t uint64
	for _, x := range []*dsl.Expr{e.X, e.Y, e.Z} {
		if x != nil {
			t |= da.eval(x, s, env, nil).taint
		}
	}
	for _, a := range e.Args {
		t |= da.eval(a, s, env, nil).taint
	}
	for _, c := range e.Cases {
		t |= da.eval(c.Value, s, env, want).taint
	}
	return aval{taint: t}
}

func (da *deadAnalysis) binary(e *dsl.Expr, s []aval, env *aenv) aval {
	switch e.Op {
	case "&&", "||":
		or := e.Op == "||"
		x := da.eval(e.X, s, env, nil)
		if x.known && (x.val != 0) == or {
			return avKnown(b2u(or))
		}
		y := da.eval(e.Y, s, env, nil)
		if x.known {
			return truthOf(y)
		}
		if y.known && (y.val != 0) == or {
			return avKnown(b2u(or))
		}
		return aval{taint: x.taint | y.taint}
	case "==", "!=", "<", "<=", ">", ">=":
		var xe, ye *model.Enum
		var menv *model.Env
		if env != nil && env.reg != nil {
			menv = &model.Env{Reg: env.reg}
		}
		xe, ye = da.m.EnumOf(e.Y, menv), da.m.EnumOf(e.X, menv)
		x, y := da.eval(e.X, s, env, xe), da.eval(e.Y, s, env, ye)
		if !x.known || !y.known {
			return aval{taint: x.taint | y.taint}
		}
		var r bool
		switch e.Op {
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
	x, y := da.eval(e.X, s, env, nil), da.eval(e.Y, s, env, nil)
	return aval{taint: x.taint | y.taint}
}

func truthOf(a aval) aval {
	if a.known {
		a.val = b2u(a.val != 0)
	}
	return a
}

// nameRes is what a name expression resolves to; each is always read in
// the same place (a handler, a guard, a binding), so it resolves once.
type nameRes struct {
	kind  int // one of the res* constants
	idx   int // resVar: the variable; resSlot: the field
	val   uint64
	field *model.Field
}

const (
	resAny = iota
	resLocal
	resKnown
	resVar
	resSlot
	resField
)

// name resolves a name as model.evalName does: locals, constants, state,
// the accessed register's fields, enum members.
func (da *deadAnalysis) name(e *dsl.Expr, s []aval, env *aenv, want *model.Enum) aval {
	r, ok := da.names[e]
	if !ok {
		r = da.resolve(e, env, want)
		da.names[e] = r
	}
	switch r.kind {
	case resLocal:
		return env.locals[e.Path[0]]
	case resKnown:
		return avKnown(r.val)
	case resVar:
		return da.get(s, r.idx)
	case resSlot:
		return env.slots[r.idx]
	case resField:
		return da.fieldValue(r.field, s)
	}
	return avAny
}

func (da *deadAnalysis) resolve(e *dsl.Expr, env *aenv, want *model.Enum) nameRes {
	m := da.m
	if len(e.Path) == 1 {
		n := e.Path[0]
		if env != nil {
			if _, ok := env.locals[n]; ok {
				return nameRes{kind: resLocal}
			}
		}
		if c, ok := m.Const(n); ok {
			if c.IsConst() {
				return nameRes{kind: resKnown, val: c.Val}
			}
			return nameRes{}
		}
		if i := m.Var(n); i >= 0 {
			return nameRes{kind: resVar, idx: i}
		}
		if env != nil && env.reg != nil {
			for i, f := range env.reg.Fields {
				if f.Name == n {
					return nameRes{kind: resSlot, idx: i}
				}
			}
		}
		if want != nil {
			if v, ok := want.Value(n); ok {
				return nameRes{kind: resKnown, val: v}
			}
		}
		if v, ok := da.members[n]; ok && v >= 0 {
			return nameRes{kind: resKnown, val: uint64(v)}
		}
		return nameRes{}
	}
	if len(e.Path) == 2 {
		if r := m.Reg(e.Path[0]); r != nil {
			for _, f := range r.Fields {
				if f.Name == e.Path[1] {
					return nameRes{kind: resField, field: f}
				}
			}
		}
		if en := m.Enum(e.Path[0]); en != nil {
			if v, ok := en.Value(e.Path[1]); ok {
				return nameRes{kind: resKnown, val: v}
			}
		}
	}
	return nameRes{}
}

// representative is the state of s's class the invariant keeps: s with
// its dead variables at their reset values; and those variables.
func (da *deadAnalysis) representative(s *model.State) (*model.State, []int) {
	dead := da.deadAt(s)
	if len(dead) == 0 {
		return s, nil
	}
	c := s.Clone()
	for _, i := range dead {
		c.Set(i, da.m.Vars[i].Reset)
	}
	return c, dead
}

// idleClasses gives a goal's idle test: the set of keys of the classes of
// the invariant and the key of a state's class. A state belongs to the
// class of representative t when it agrees with t in every variable the
// invariant fixes (finite, not carried) except those free in t. States
// grouped by the variables free in them share one key function each.
func idleClasses(m *model.Model, carried []bool, idle map[string]*model.State, free map[string][]int) (map[string]bool, func(*model.State) string) {
	type group struct {
		prefix string
		skip   []bool
	}
	var groups []*group
	byPrefix := map[string]*group{}
	keys := map[string]bool{}
	for _, k := range sortedKeys(idle) {
		prefix := fmt.Sprint(free[k])
		gr := byPrefix[prefix]
		if gr == nil {
			gr = &group{prefix: prefix, skip: make([]bool, len(m.Vars))}
			for _, i := range free[k] {
				gr.skip[i] = true
			}
			byPrefix[prefix] = gr
			groups = append(groups, gr)
		}
		keys[string(appendMaskedSig([]byte(gr.prefix), m, carried, gr.skip, idle[k]))] = true
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].prefix < groups[j].prefix })
	// The test runs on every state the game meets: it builds each
	// candidate key in one buffer and answers with the key the set holds,
	// so that it allocates nothing.
	held := make(map[string]string, len(keys))
	for k := range keys {
		held[k] = k
	}
	var buf []byte
	return keys, func(s *model.State) string {
		for _, gr := range groups {
			buf = appendMaskedSig(append(buf[:0], gr.prefix...), m, carried, gr.skip, s)
			if k, ok := held[string(buf)]; ok {
				return k
			}
		}
		return ""
	}
}

// appendMaskedSig appends idleSig without the variables skip marks to b.
func appendMaskedSig(b []byte, m *model.Model, carried, skip []bool, s *model.State) []byte {
	for i, v := range m.Vars {
		if v.Finite && !carried[i] && !skip[i] {
			b = binary.LittleEndian.AppendUint32(b, s.Val(i).ID())
		}
	}
	return b
}
