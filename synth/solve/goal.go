package solve

import (
	"fmt"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// goal is what a method (or one element of a for-each method) must reach.
type goal struct {
	ensures []*dsl.Expr
	// params maps each request parameter (and the loop element) to its term;
	// outs lists those the method fills, which the goal binds.
	params map[string]*term.T
	enums  map[string]*model.Enum
	outs   map[string]bool
	// idle, when set, is the idle invariant: the finite part of every end
	// state must be in it.
	idle       map[string]bool
	idleSig    func(*model.State) string
	carried    []bool // variables whose values between methods are free
	idleStates []*model.State
	// frames are data variables the method must leave as it found them:
	// class state it does not promise to change.
	frames []int
	bufIn  string
	bufOut string
	// feeds are values the goal wants in fields and variables: the
	// candidates the synthesizer tries when writing them.
	feedField  map[string][]*Cand
	feedVar    map[int][]*Cand
	wantsEvent bool
	wantEvents []string // the events the contract asks for
	// relevant marks variables whose value can matter to the goal.
	relevant []bool
	// events are the class events the contract names. A move that makes
	// the device emit any other event is illegal: Configure must not send a
	// byte, Write must not swallow one that arrived.
	events map[string]bool
	// locals is the environment contract expressions are evaluated in
	// (env), and clauses are the ensures sorted once (clauseOf); both are
	// made on first use, after the goal is complete.
	locals  *model.Env
	clauses map[*dsl.Expr]*clause
	// frameWant are the entry values of frames.
	frameWant []*term.T
	// faults are what the device may report about the element besides
	// meeting the contract: the class's faults it binds to fields.
	faults []*model.ElemFault
	// requires are the method's preconditions; ranges maps every
	// computation inside a derived write value to the requests it is exact
	// for, and equalCache remembers what equalUnder decided (invert.go).
	requires []*dsl.Expr
	assigned map[string][]fieldExpr
	ranges   map[uint32][2]uint64
	candWhen map[*Cand][]condArm
	// candEvent names the event a candidate feeds; feedingEvent is the
	// one whose emitters deriveFeeds is mapping.
	candEvent    map[*Cand]string
	feedingEvent string
	equalCache   map[[2]uint32]bool
}

// reports lists the faults of the element a read of r may show: those
// bound to r's fields. A fault is a property of the value read, not of the
// state after the read, which may have cleared it (reading the 16550's LSR
// clears OE, PE, FE and BI), and it changes nothing the game decides: the
// element still meets its contract (the byte the error is about is still
// taken), and then ends with the faults the values read showed, decided
// at run time from those values, as a device fault is reported from the
// status that showed it. So the game stays as it is, and the bits that
// show faults may be sliced away (sliceVars): the move that reads them is
// what matters.
func (g *goal) reports(r *model.Reg) []*model.ElemFault {
	var out []*model.ElemFault
	for _, f := range g.faults {
		if f.Field.Reg == r {
			out = append(out, f)
		}
	}
	return out
}

// clause is a contract expression sorted once into what eval does with
// it, so that deciding it in a state looks nothing up by name.
type clause struct {
	kind clauseKind
	e    *dsl.Expr
	name string  // of an event
	x, y *clause // the sides of a conjunction
	// want are the arguments of an event (evalEvent), pb and env the
	// device's binding of a class predicate and its locals (predBinding), err
	// what sorting found wrong, reported when the clause is decided.
	want []*term.T
	pb   *dsl.PredBinding
	env  *model.Env
	err  error
}

type clauseKind int

const (
	clauseExpr clauseKind = iota
	clauseAnd
	clauseOr
	clauseEvent
	clausePred
)

// clauseOf sorts e, once per goal.
func (g *goal) clauseOf(m *model.Model, e *dsl.Expr) *clause {
	if c := g.clauses[e]; c != nil {
		return c
	}
	c := &clause{e: e}
	switch {
	case e.Kind == dsl.BinaryExpr && e.Op == "&&":
		c.kind = clauseAnd
		c.x, c.y = g.clauseOf(m, e.X), g.clauseOf(m, e.Y)
	case e.Kind == dsl.BinaryExpr && e.Op == "||":
		// Either side will do (a FUA write: the device says the sectors
		// are durable, or nothing sits in a volatile cache any more).
		c.kind = clauseOr
		c.x, c.y = g.clauseOf(m, e.X), g.clauseOf(m, e.Y)
	case e.Kind == dsl.CallExpr && m.Events[e.Name()] != nil:
		c.kind, c.name = clauseEvent, e.Name()
		c.want = make([]*term.T, len(e.Args))
		for i, a := range e.Args {
			if c.want[i], c.err = m.Eval(a, nil, g.env()); c.err != nil {
				break
			}
		}
	case e.Kind == dsl.CallExpr:
		c.kind = clausePred
		c.pb, c.env, c.err = g.predBinding(m, e)
	case e.Kind == dsl.NameExpr && len(e.Path) == 1 && m.Preds[e.Path[0]] != nil:
		c.kind = clausePred
		c.pb, c.env, c.err = g.predBinding(m, &dsl.Expr{Pos: e.Pos, Kind: dsl.CallExpr, Path: e.Path})
	}
	if g.clauses == nil {
		g.clauses = map[*dsl.Expr]*clause{}
	}
	g.clauses[e] = c
	return c
}

// emitsForeign reports whether any state has an event the contract does
// not name.
func (g *goal) emitsForeign(states []*model.State) bool {
	for _, s := range states {
		if g.emitsForeign1(s) {
			return true
		}
	}
	return false
}

// emitsForeign1 is emitsForeign for one state.
func (g *goal) emitsForeign1(s *model.State) bool {
	for _, e := range s.Events {
		if !g.events[e.Name] && !model.IsPseudoEvent(e.Name) {
			return true
		}
	}
	return false
}

// outSentinel stands for an out parameter until the goal binds it.
func outSentinel(name string) *term.T { return term.U("out."+name, 0) }

// holds checks the goal in every state of b; all states must agree on the
// values bound to out parameters, and those values must be ones the driver
// holds.
func (g *goal) holds(m *model.Model, b *Belief) (bool, map[string]*term.T, error) {
	var results map[string]*term.T
	agree := true
	for _, s := range b.States {
		if g.idle != nil && !g.idle[g.idleSig(s)] {
			return false, nil, nil
		}
		if g.frameWant == nil {
			g.frameWant = make([]*term.T, len(g.frames))
			for i, vi := range g.frames {
				g.frameWant[i] = term.E(m.Vars[vi].Name, m.Vars[vi].Width)
			}
		}
		for i, vi := range g.frames {
			want := g.frameWant[i]
			if l, ok := b.Learned[want.Key()]; ok {
				want = l
			}
			if s.Val(vi) != want {
				return false, nil, nil
			}
		}
		bound := map[string]*term.T{}
		for _, e := range g.ensures {
			ok, err := g.eval(m, g.clauseOf(m, e), s, bound)
			if err != nil {
				return false, nil, err
			}
			if !ok {
				return false, nil, nil
			}
		}
		if results == nil {
			results = bound
		} else {
			for k, v := range bound {
				if results[k] == nil || results[k] != v {
					agree = false
				}
			}
		}
	}
	if !agree || !g.resultsAvailable(results) {
		return g.holdsAmong(m, b)
	}
	return true, results, nil
}

// resultsAvailable reports whether the driver holds every result value.
func (g *goal) resultsAvailable(results map[string]*term.T) bool {
	for k := range g.outs {
		if _, isBuf := g.params[k]; isBuf && (k == g.bufOut) {
			continue
		}
		if v, ok := results[k]; ok && !available(v) {
			return false
		}
	}
	return true
}

// eval decides one contract clause in one state.
func (g *goal) eval(m *model.Model, c *clause, s *model.State, bound map[string]*term.T) (bool, error) {
	if c.err != nil {
		return false, c.err
	}
	switch c.kind {
	case clauseAnd:
		l, err := g.eval(m, c.x, s, bound)
		if err != nil || !l {
			return false, err
		}
		return g.eval(m, c.y, s, bound)
	case clauseOr:
		l, err := g.eval(m, c.x, s, bound)
		if err != nil || l {
			return l, err
		}
		return g.eval(m, c.y, s, bound)
	case clauseEvent:
		return g.evalEvent(c.name, c.want, s, bound), nil
	case clausePred:
		return g.evalBody(m, c.pb.Body, s, c.env, bound)
	}
	v, err := m.Eval(c.e, s, g.env())
	if err != nil {
		return false, err
	}
	return v.IsTrue(), nil
}

// env is the environment of contract expressions: the request parameters
// and the out parameters' sentinels. Evaluating does not change it, so it
// is made once.
func (g *goal) env() *model.Env {
	if g.locals != nil {
		return g.locals
	}
	env := &model.Env{Locals: map[string]*term.T{}, Enums: g.enums}
	for k, v := range g.params {
		env.Locals[k] = v
	}
	for k := range g.outs {
		if k != g.bufOut {
			env.Locals[k] = outSentinel(k)
		}
	}
	g.locals = env
	return env
}

// evalEvent reports whether s shows event name with arguments want, and
// binds the out parameters among them.
func (g *goal) evalEvent(name string, want []*term.T, s *model.State, bound map[string]*term.T) bool {
	for _, ev := range s.Events {
		if binds, ok := g.matchEvent(ev, name, want); ok {
			for k, v := range binds {
				bound[k] = v
			}
			return true
		}
	}
	return false
}

// matchEvent reports whether ev is event name with arguments want, and
// what it binds the out parameters among them to.
func (g *goal) matchEvent(ev model.Event, name string, want []*term.T) (map[string]*term.T, bool) {
	if ev.Name != name || len(ev.Args) != len(want) {
		return nil, false
	}
	var binds map[string]*term.T // made for the first out parameter
	for i, w := range want {
		if w.Kind == term.Unknown && len(w.Name) > 4 && w.Name[:4] == "out." {
			if binds == nil {
				binds = map[string]*term.T{}
			}
			binds[w.Name[4:]] = ev.Args[i]
			continue
		}
		got := ev.Args[i]
		if w.Width != got.Width && got.Width > 0 {
			w = term.Resize(w, got.Width)
		}
		if w != got && !g.equalUnder(got, w) {
			return nil, false
		}
	}
	return binds, true
}

// predBinding is the device's binding of class predicate call e and the
// locals its body is evaluated in (evalBody: an out parameter compared
// with == gets bound to the other side).
func (g *goal) predBinding(m *model.Model, e *dsl.Expr) (*dsl.PredBinding, *model.Env, error) {
	pb := m.Bindings[e.Name()]
	if pb == nil {
		return nil, nil, fmt.Errorf("%s: class predicate %s has no binding in the device", posString(e.Pos), e.Name())
	}
	env, err := g.bindingEnv(m, pb, e)
	return pb, env, err
}

func (g *goal) bindingEnv(m *model.Model, pb *dsl.PredBinding, call *dsl.Expr) (*model.Env, error) {
	env := &model.Env{Locals: map[string]*term.T{}, Enums: map[string]*model.Enum{}}
	decl := m.Preds[pb.Name]
	for i, p := range pb.Params {
		if i >= len(call.Args) {
			return nil, fmt.Errorf("%s: %s needs %d arguments", posString(call.Pos), pb.Name, len(pb.Params))
		}
		v, err := m.Eval(call.Args[i], nil, g.env())
		if err != nil {
			return nil, err
		}
		env.Locals[p.Name] = v
		if decl != nil && i < len(decl.Params) && decl.Params[i].Type.Named != "" {
			env.Enums[p.Name] = m.Enum(decl.Params[i].Type.Named)
		}
	}
	return env, nil
}

func (g *goal) evalBody(m *model.Model, e *dsl.Expr, s *model.State, env *model.Env, bound map[string]*term.T) (bool, error) {
	if e.Kind == dsl.BinaryExpr && e.Op == "&&" {
		l, err := g.evalBody(m, e.X, s, env, bound)
		if err != nil || !l {
			return false, err
		}
		return g.evalBody(m, e.Y, s, env, bound)
	}
	if e.Kind == dsl.BinaryExpr && e.Op == "==" {
		for _, side := range [][2]*dsl.Expr{{e.X, e.Y}, {e.Y, e.X}} {
			if side[0].Kind == dsl.NameExpr && len(side[0].Path) == 1 {
				if t, ok := env.Locals[side[0].Path[0]]; ok && t.Kind == term.Unknown && len(t.Name) > 4 && t.Name[:4] == "out." {
					v, err := m.Eval(side[1], s, env)
					if err != nil {
						return false, err
					}
					bound[t.Name[4:]] = v
					return true, nil
				}
			}
		}
	}
	v, err := m.Eval(e, s, env)
	if err != nil {
		return false, err
	}
	if v.Kind == term.Op && v.Name == "==" && len(v.Args) == 2 && g.equalUnder(v.Args[0], v.Args[1]) {
		return true, nil
	}
	return v.IsTrue(), nil
}

func posString(p dsl.Pos) string { return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column) }

// receives reports whether the method hands something back to its caller:
// a result, an out parameter or element, or an out buffer.
func (g *goal) receives() bool { return len(g.outs) > 0 || g.bufOut != "" }
