package solve

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// maxWritesPerRegister bounds the candidate combinations of one register.
const maxWritesPerRegister = 256

// candidates lists the values the driver may write into field f in belief
// b, most natural first:
//   - a value the goal wants there (a slice of a request parameter, a
//     class enum mapped through the binding, an event argument);
//   - for a field the device's behaviour looks at: every constant the spec
//     compares it with, its enum members, 0 and 1;
//   - "keep": the value it holds, when the driver knows it (read-modify-write);
//   - for a data field nobody cares about: its reset value.
func (gm *game) candidates(f *model.Field, b *Belief) []*Cand {
	return gm.appendCandidates(nil, f, b)
}

// appendCandidates appends candidates(f, b) to out.
func (gm *game) appendCandidates(out []*Cand, f *model.Field, b *Belief) []*Cand {
	first := len(out)
	add := func(c *Cand) {
		c.T = term.Resize(c.T, f.Width)
		// Terms are hash-consed: equal values are the same pointer.
		for _, o := range out[first:] {
			if o.T == c.T {
				return
			}
		}
		out = append(out, c)
	}
	// made is a candidate this listing makes: the same one every time.
	made := func(t *term.T, why string, keep bool) *Cand {
		k := candKey{t: t, width: f.Width, why: why, keep: keep}
		c := gm.madeCands[k]
		if c == nil {
			c = &Cand{T: t, Why: why, Keep: keep}
			if gm.madeCands == nil {
				gm.madeCands = map[candKey]*Cand{}
			}
			gm.madeCands[k] = c
		}
		return c
	}
	// What the field holds now, if the same known value in every state.
	var cur *term.T
	if f.Stored {
		cur = b.States[0].Val(f.Var)
		for _, s := range b.States[1:] {
			if s.Val(f.Var) != cur {
				cur = nil
				break
			}
		}
		if cur != nil && !available(cur) {
			cur = nil
		}
	}
	for _, c := range gm.goal.feedField[f.Qual()] {
		if gm.goal.fitsSome(gm.m, c, b) {
			add(c)
		}
	}
	if f.Stored {
		for _, c := range gm.goal.feedVar[f.Var] {
			add(c)
		}
	}
	if f.Stored && gm.cl.isSliced(f.Var) {
		// Nothing that matters reads it: it keeps the value it has (the
		// closer holds it at its reset value).
		add(made(b.States[0].Val(f.Var), "keeps its value", true))
		return out
	}
	finite := f.Trigger || (f.Stored && gm.m.Vars[f.Var].Finite)
	if f.W1C {
		// Writing 0 keeps a write-1-to-clear bit; 1 clears it.
		add(made(term.C(0, f.Width), "0 leaves the write-1-to-clear bit alone", true))
		add(made(term.C(1, f.Width), "1 clears it", false))
		return out
	}
	if finite {
		if cur != nil {
			add(made(cur, "keeps its value", true))
		}
		for _, c := range gm.finiteCands(f) {
			add(c)
		}
		return out
	}
	if len(out) > first {
		return out
	}
	if cur != nil {
		add(made(cur, "keeps its value", true))
		return out
	}
	if f.Stored && gm.goal.framed(f.Var) {
		return out[:first] // must not change, and the driver does not know it
	}
	add(made(term.C(f.Reset, f.Width), "reset value", false))
	return out
}

// candKey names a candidate appendCandidates makes itself: its value
// (before resizing to the field's width), that width, and why.
type candKey struct {
	t     *term.T
	width int
	why   string
	keep  bool
}

func (g *goal) framed(v int) bool {
	for _, x := range g.frames {
		if x == v {
			return true
		}
	}
	return false
}

// finiteCands is finiteValues as candidates, made once per field: a
// candidate is never changed once made, so every write may share them.
func (gm *game) finiteCands(f *model.Field) []*Cand {
	if cs, ok := gm.fcands[f]; ok {
		return cs
	}
	var cs []*Cand
	for _, v := range gm.finiteValues(f) {
		cs = append(cs, &Cand{T: term.C(v, f.Width)})
	}
	if gm.fcands == nil {
		gm.fcands = map[*model.Field][]*Cand{}
	}
	gm.fcands[f] = cs
	return cs
}

// finiteValues lists the constants worth writing into a field the device
// looks at: one per value class (see classes.go) when the spec only
// compares it with constants, and never a bank value that shows only
// registers no move can use.
func (gm *game) finiteValues(f *model.Field) []uint64 {
	fits := func(v uint64) bool { return f.Width >= 64 || v < 1<<uint(f.Width) }
	vc := gm.classes()
	set := map[uint64]bool{}
	if vc.eqOnly[f.Qual()] && !gm.cl.exhaustive {
		compared := map[uint64]bool{}
		for _, v := range gm.consts[f.Qual()] {
			compared[v] = true
			set[v] = true
		}
		set[f.Reset] = true
		if compared[f.Reset] && !vc.bankOnly[f.Qual()] {
			// One value the spec never compares with stands for all of them:
			// an enum member if one is left, else the smallest number.
			var rep []uint64
			if f.Enum != nil {
				for _, m := range f.Enum.Members {
					rep = append(rep, m.Value)
				}
			}
			for v := uint64(0); v < 256 && fits(v); v++ {
				rep = append(rep, v)
			}
			for _, v := range rep {
				if !compared[v] && fits(v) {
					set[v] = true
					break
				}
			}
		}
	} else {
		set[0] = true
		if f.Width == 1 || f.Trigger {
			set[1] = true
		}
		if f.Enum != nil {
			for _, m := range f.Enum.Members {
				set[m.Value] = true
			}
		}
		for _, v := range gm.consts[f.Qual()] {
			set[v] = true
		}
		set[f.Reset] = true
	}
	if f.Stored && !gm.cl.exhaustive {
		for v := range vc.parked[f.Qual()] {
			if v != f.Reset {
				delete(set, v)
			}
		}
	}
	var out []uint64
	for v := range set {
		if fits(v) {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// writeScratch is the space expandWrites reuses from one register to the
// next.
type writeScratch struct {
	cands []*Cand // every field's candidates, field after field
	ends  []int   // where each field's candidates end in cands
	per   [][]*Cand
	vals  []*Cand
	terms []*term.T
	idx   []int
	nexts []int32
	diffs []uint64 // per next state, what the write changed (closer.diffMask)
}

func (gm *game) expandWrites(n *Node, ri int, r *model.Reg) error {
	sc := &gm.ws
	cands, ends := sc.cands[:0], sc.ends[:0]
	total := 1
	for _, f := range r.Fields {
		at := len(cands)
		cands = gm.appendCandidates(cands, f, n.B)
		if len(cands) == at {
			sc.cands, sc.ends = cands, ends
			return nil
		}
		total *= len(cands) - at
		ends = append(ends, len(cands))
	}
	// The candidates are sliced out only now: appending may have moved them.
	per := sc.per[:0]
	for i, end := range ends {
		at := 0
		if i > 0 {
			at = ends[i-1]
		}
		per = append(per, cands[at:end:end])
	}
	sc.ends = ends
	sc.cands, sc.per = cands, per
	// The combinations, in the order they are tried: every one, the last
	// field varying fastest; past maxWritesPerRegister, each field's first
	// choice and one field varied at a time. vals and terms are scratch
	// space, copied only for a write that becomes an edge.
	vals := append(sc.vals[:0], make([]*Cand, len(per))...)
	terms := append(sc.terms[:0], make([]*term.T, len(per))...)
	idx := append(sc.idx[:0], make([]int, len(per))...)
	sc.vals, sc.terms, sc.idx = vals, terms, idx
	var combos int
	if total <= maxWritesPerRegister {
		combos = total
	} else {
		combos = 1
		for _, cs := range per {
			combos += len(cs) - 1
		}
	}
	nexts, diffs := sc.nexts[:0], sc.diffs[:0]
	defer func() { sc.nexts, sc.diffs = nexts, diffs }()
	for k := range combos {
		if total <= maxWritesPerRegister {
			for i, cs := range per {
				vals[i] = cs[idx[i]]
			}
			for i := len(per) - 1; i >= 0; i-- {
				if idx[i]+1 < len(per[i]) {
					idx[i]++
					break
				}
				idx[i] = 0
			}
		} else {
			// k-1 counts through the varied choices, field by field.
			for i, cs := range per {
				vals[i] = cs[0]
			}
			for i, j := 0, k-1; j >= 0 && i < len(per); i++ {
				if j < len(per[i])-1 {
					vals[i] = per[i][j+1]
					break
				}
				j -= len(per[i]) - 1
			}
		}
		for i, c := range vals {
			terms[i] = c.T
		}
		nexts, diffs = nexts[:0], diffs[:0]
		legal := true
		act := gm.cl.writeAct(ri, terms)
		for _, id := range n.B.ids {
			w, err := gm.cl.write(id, act, r, terms)
			if err != nil {
				return err
			}
			// One state that breaks a require, or makes the device emit
			// an event the contract does not name, rules the write out:
			// no need to look at the others.
			if w.viol || gm.foreignAt(w.next) {
				legal = false
				break
			}
			nexts, diffs = append(nexts, w.next), append(diffs, w.diff)
		}
		if !legal || !gm.changesRelevant(n.B.ids, nexts, diffs) {
			continue
		}
		b, err := gm.cl.closeBelief(nexts, n.B.Learned, n.B.lkey)
		if err != nil {
			return err
		}
		if b.Key() == n.B.Key() {
			continue
		}
		n.Edges = append(n.Edges, gm.newEdge1(gm.writeAction(act, r, vals), gm.node(b, n.depth+1)))
	}
	return nil
}

// writeAction is the action writing vals into r, numbered act by
// writeAct: made once per game for the same candidates, since an action
// is never changed once made.
func (gm *game) writeAction(act int32, r *model.Reg, vals []*Cand) *Action {
	if int(act) >= len(gm.writeActs) {
		gm.writeActs = append(gm.writeActs, make([][]*Action, int(act)+1-len(gm.writeActs))...)
	}
	for _, a := range gm.writeActs[act] {
		if a.Reg == r && slices.Equal(a.Vals, vals) {
			return a
		}
	}
	a := &Action{Kind: ActWrite, Reg: r, Vals: slices.Clone(vals)}
	gm.writeActs[act] = append(gm.writeActs[act], a)
	return a
}

// oneOutcome is an edge with one outcome, allocated together.
type oneOutcome struct {
	e    Edge
	o    Outcome
	outs [1]*Outcome
}

// newEdge1 is an edge of act with the one outcome next.
func (gm *game) newEdge1(act *Action, next *Node) *Edge {
	x := gm.edge1Slab.one()
	*x = oneOutcome{e: Edge{Act: act}, o: Outcome{Next: next}}
	x.outs[0] = &x.o
	x.e.Outs = x.outs[:]
	return &x.e
}

// deriveFeeds fills g.feedField and g.feedVar from the goal: the values
// each location must end up holding for the contract to hold.
func (g *goal) deriveFeeds(m *model.Model) error {
	g.feedField = map[string][]*Cand{}
	g.feedVar = map[int][]*Cand{}
	g.events = map[string]bool{}
	g.assigned = assignments(m)
	for _, e := range g.ensures {
		names := map[string]bool{}
		collectCalls(e, names)
		for n := range names {
			if m.Events[n] != nil {
				g.events[n] = true
			}
		}
	}
	for _, e := range g.ensures {
		if err := g.feedsOf(m, e); err != nil {
			return err
		}
	}
	return nil
}

func (g *goal) feedsOf(m *model.Model, e *dsl.Expr) error {
	switch {
	case e.Kind == dsl.BinaryExpr && e.Op == "&&":
		if err := g.feedsOf(m, e.X); err != nil {
			return err
		}
		return g.feedsOf(m, e.Y)
	case e.Kind == dsl.CallExpr && m.Events[e.Name()] != nil:
		g.wantsEvent = true
		g.wantEvents = append(g.wantEvents, e.Name())
		return g.eventFeeds(m, e)
	case (e.Kind == dsl.CallExpr || e.Kind == dsl.NameExpr) && m.Bindings[e.Name()] != nil:
		pb := m.Bindings[e.Name()]
		call := e
		if e.Kind == dsl.NameExpr {
			call = &dsl.Expr{Pos: e.Pos, Kind: dsl.CallExpr, Path: e.Path}
		}
		env, err := g.bindingEnv(m, pb, call)
		if err != nil {
			return err
		}
		g.equalityFeeds(m, pb.Body, env, fmt.Sprintf("%s (%s:%d)", pb.Name, filepath.Base(pb.Pos.Filename), pb.Pos.Line))
	}
	return nil
}

// equalityFeeds walks a && chain of LOCATION == VALUE and records the value
// (sliced to fit) for each location.
func (g *goal) equalityFeeds(m *model.Model, e *dsl.Expr, env *model.Env, why string) {
	if e.Kind == dsl.BinaryExpr && e.Op == "&&" {
		g.equalityFeeds(m, e.X, env, why)
		g.equalityFeeds(m, e.Y, env, why)
		return
	}
	if e.Kind != dsl.BinaryExpr || e.Op != "==" {
		return
	}
	for _, side := range [][2]*dsl.Expr{{e.X, e.Y}, {e.Y, e.X}} {
		locs := locationsOf(m, side[0])
		val, err := m.EvalExpected(side[1], nil, env, m.EnumOf(side[0], nil))
		if err != nil || val.Mentions(term.Unknown, "") {
			continue
		}
		if locs == nil {
			if !val.IsConst() {
				g.invertFeeds(m, nil, side[0], val, "from "+why, g.assigned)
			}
			continue
		}
		width := 0
		for _, l := range locs {
			width += l.width
		}
		val = term.Resize(val, width)
		top := width
		for _, l := range locs {
			top -= l.width
			c := &Cand{T: term.Sl(val, top+l.width-1, top), Why: "from " + why, Strict: true}
			if l.field != nil {
				g.feedField[l.field.Qual()] = append(g.feedField[l.field.Qual()], c)
			} else {
				g.feedVar[l.v] = append(g.feedVar[l.v], c)
				// Latched state: the handler that assigns it copies fields.
				for _, fe := range g.assigned[m.Vars[l.v].Name] {
					g.mapArg(m, fe.reg, fe.e, c.T, c.Why, nil)
				}
			}
		}
		return
	}
}

type loc struct {
	field *model.Field
	v     int
	width int
}

// locationsOf reads e as a location — a field, a state variable, or a
// concatenation of them — most significant first; nil if it is not one.
func locationsOf(m *model.Model, e *dsl.Expr) []loc {
	switch e.Kind {
	case dsl.NameExpr:
		if len(e.Path) == 2 {
			if r := m.Reg(e.Path[0]); r != nil {
				for _, f := range r.Fields {
					if f.Name == e.Path[1] {
						return []loc{{field: f, width: f.Width}}
					}
				}
			}
		}
		if i := m.Var(e.Name()); i >= 0 && m.Vars[i].Field == nil {
			return []loc{{v: i, width: m.Vars[i].Width}}
		}
	case dsl.ConcatExpr:
		var out []loc
		for _, a := range e.Args {
			l := locationsOf(m, a)
			if l == nil {
				return nil
			}
			out = append(out, l...)
		}
		return out
	}
	return nil
}

// eventFeeds finds where the device emits the goal's event and maps the
// goal's arguments onto the fields that feed it.
func (g *goal) eventFeeds(m *model.Model, call *dsl.Expr) error {
	want := make([]*term.T, len(call.Args))
	for i, a := range call.Args {
		v, err := m.Eval(a, nil, g.env())
		if err != nil {
			return err
		}
		want[i] = v
	}
	why := fmt.Sprintf("the contract's %s (%s:%d)", call.Name(), filepath.Base(call.Pos.Filename), call.Pos.Line)
	g.feedingEvent = call.Name()
	defer func() { g.feedingEvent = "" }()
	assigned := assignments(m)
	visit := func(r *model.Reg, ss []*dsl.Stmt) {
		walkStmts(ss, func(s *dsl.Stmt) {
			if s.Emit == nil || s.Emit.Event != call.Name() {
				return
			}
			for i, a := range s.Emit.Args {
				if i >= len(want) || want[i].Kind == term.Unknown || !available(want[i]) {
					continue
				}
				g.mapArg(m, r, a, want[i], why, assigned)
			}
		})
	}
	for _, r := range m.Regs {
		visit(r, r.OnWrite)
	}
	for _, p := range m.Streams {
		visit(nil, p.OnWrite)
		visit(nil, p.OnRead)
	}
	for _, t := range m.Internals {
		visit(nil, t.Body)
	}
	return nil
}

type fieldExpr struct {
	reg *model.Reg
	e   *dsl.Expr
}

// assignments lists, for every state variable, the expressions write
// handlers assign to it: a value wanted in the variable (an event argument
// emitted from it later, a binding naming latched state) is wanted in the
// fields those expressions read.
func assignments(m *model.Model) map[string][]fieldExpr {
	assigned := map[string][]fieldExpr{}
	for _, r := range m.Regs {
		walkStmts(r.OnWrite, func(s *dsl.Stmt) {
			if s.Assign != nil && len(s.Assign.Target.Parts) == 1 {
				assigned[s.Assign.Target.Parts[0]] = append(assigned[s.Assign.Target.Parts[0]], fieldExpr{r, s.Assign.Value})
			}
		})
	}
	return assigned
}

func (g *goal) mapArg(m *model.Model, r *model.Reg, a *dsl.Expr, want *term.T, why string, assigned map[string][]fieldExpr) {
	var locs []loc
	if r != nil && a.Kind == dsl.NameExpr && len(a.Path) == 1 {
		for _, f := range r.Fields {
			if f.Name == a.Path[0] {
				locs = []loc{{field: f, width: f.Width}}
			}
		}
	}
	if locs == nil {
		locs = locationsOf(m, a)
	}
	if locs == nil {
		g.invertFeeds(m, r, a, want, why, assigned)
		return
	}
	width := 0
	for _, l := range locs {
		width += l.width
	}
	val := term.Resize(want, width)
	top := width
	for _, l := range locs {
		top -= l.width
		c := &Cand{T: term.Sl(val, top+l.width-1, top), Why: why, Strict: true}
		g.noteEvent(c)
		switch {
		case l.field != nil:
			g.feedField[l.field.Qual()] = append(g.feedField[l.field.Qual()], c)
		default:
			g.feedVar[l.v] = append(g.feedVar[l.v], c)
			for _, fe := range assigned[m.Vars[l.v].Name] {
				g.mapArg(m, fe.reg, fe.e, c.T, why, nil)
			}
		}
	}
}

func walkStmts(ss []*dsl.Stmt, f func(*dsl.Stmt)) {
	for _, s := range ss {
		f(s)
		if s.If != nil {
			walkStmts(s.If.Then, f)
			walkStmts(s.If.Else, f)
		}
	}
}

// specConsts collects, for every field, the constants the spec compares it
// with or assigns to it anywhere: the values worth trying when writing it.
func specConsts(m *model.Model) map[string][]uint64 {
	out := map[string][]uint64{}
	add := func(name string, e *dsl.Expr, enum *model.Enum) {
		v, err := m.EvalExpected(e, nil, nil, enum)
		if err == nil && v.IsConst() {
			out[name] = append(out[name], v.Val)
		}
	}
	var expr func(e *dsl.Expr, local *model.Reg)
	expr = func(e *dsl.Expr, local *model.Reg) {
		if e == nil {
			return
		}
		if e.Kind == dsl.BinaryExpr {
			switch e.Op {
			case "==", "!=", "<", "<=", ">", ">=":
				for _, side := range [][2]*dsl.Expr{{e.X, e.Y}, {e.Y, e.X}} {
					if name := fieldName(m, side[0], local); name != "" {
						add(name, side[1], m.EnumOf(side[0], localEnv(local)))
					}
				}
			}
		}
		for _, x := range []*dsl.Expr{e.X, e.Y, e.Z} {
			expr(x, local)
		}
		for _, a := range e.Args {
			expr(a, local)
		}
	}
	m.BehaviourExprs(func(e *dsl.Expr, site model.Site) { expr(e, site.Local) })
	for _, pb := range m.Bindings {
		expr(pb.Body, nil)
	}
	return out
}

func localEnv(r *model.Reg) *model.Env {
	if r == nil {
		return nil
	}
	return &model.Env{Reg: r}
}

func fieldName(m *model.Model, e *dsl.Expr, local *model.Reg) string {
	if e.Kind != dsl.NameExpr {
		return ""
	}
	if len(e.Path) == 2 && m.Reg(e.Path[0]) != nil {
		return e.Name()
	}
	if len(e.Path) == 1 && local != nil {
		for _, f := range local.Fields {
			if f.Name == e.Path[0] {
				return local.Name + "." + f.Name
			}
		}
	}
	return ""
}

// changesRelevant reports whether a move changed anything the goal can
// care about: a relevant variable or the events.
//
// diffs are the writes' diffMasks: with a mask per variable, the states
// themselves are not looked at.
func (gm *game) changesRelevant(before, after []int32, diffs []uint64) bool {
	if len(gm.m.Vars) <= diffVars {
		if !gm.relMaskMade {
			for vi, rel := range gm.goal.relevant {
				if rel {
					gm.relMask |= 1 << uint(vi)
				}
			}
			gm.relMaskMade = true
		}
		for _, d := range diffs {
			if d&(eventsDiffer|gm.relMask) != 0 {
				return true
			}
		}
		return false
	}
	for i, id := range before {
		if after[i] == id {
			continue
		}
		s, a := gm.cl.recs[id].s, gm.cl.recs[after[i]].s
		if len(a.Events) != len(s.Events) {
			return true
		}
		if s.DiffAny(a, func(vi int) bool { return gm.goal.relevant[vi] }) {
			return true
		}
	}
	return false
}
