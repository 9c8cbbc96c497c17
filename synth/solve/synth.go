package solve

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// InitMethod is the class method that starts from reset; every other
// method starts from the idle invariant.
const InitMethod = "Init"

// Result is the synthesized driver: a strategy per class method.
type Result struct {
	Model   *model.Model
	Methods []*Strategy
	// IdleStates is the number of finite state valuations in the idle
	// invariant (of the cutoff, for a device solved through a counter).
	IdleStates int
	// idle is the invariant itself, by FiniteKey, and free the variables
	// each of its states leaves free (tests).
	idle map[string]*model.State
	free map[string][]int
}

// Strategy is the solution of one method's game.
type Strategy struct {
	Method *dsl.Method
	// Elem is set for a method whose contract is a for-each: the strategy
	// then solves one element at a time, and Starts are the beliefs the
	// driver can be in between elements.
	Elem   *dsl.ForEach
	Starts []*Node
	// Next maps a goal node of an element to the index in Starts of the
	// belief the next element starts from.
	Next map[*Node]int
	// Counted, when set, summarizes a run of Starts that differ only in a
	// bounded counter (counter.go): then ElementStates, StartOf and NextOf
	// give the element states of the real device.
	Counted *Counted
	// Sectors, when set, says the method is solved one piece of its
	// buffer at a time (sectors.go): Starts[0] handles one piece.
	Sectors  *SectorLoop
	Requires []*dsl.Expr
	Stats    Stats
	// Faults are the class faults about an element the device binds: the
	// reads in Reports show them, and the element ends with those shown.
	Faults []*model.ElemFault
}

// Stats describes the size of a method's game.
type Stats struct {
	Beliefs  int
	Expanded int // beliefs whose moves were computed
	Edges    int
	Rank     int // worst-case bus accesses of the strategy from its first start
	Time     time.Duration
}

// Options tune a synthesis run.
type Options struct {
	// MaxBeliefs bounds the beliefs one method's game may create (0:
	// DefaultMaxBeliefs). Past it synthesis fails with an error naming the
	// method; the limit never changes which driver comes out.
	MaxBeliefs int
	// depth overrides the deepest budget of the iterative deepening
	// (tests: the answer must not depend on it).
	depth int
	// exhaustive turns the search's reductions off (value classes, parked
	// bank values, dead ends, the lower bound: iterative deepening then
	// tries every strategy of each cost in turn): the baseline the
	// optimality tests compare with. Slicing stays: it defines the game
	// (without it, a poll that clears an irrelevant flag is not seen as a
	// poll, and strategies only get longer).
	exhaustive bool
	// noCounter solves every element state of a counter one by one
	// (counter.go), as the cutoff solves do and as tests compare with.
	noCounter bool
	// noMemo solves every method in every round of the idle fixpoint,
	// without replaying moves (replay.go): what the shortcuts must equal.
	noMemo bool
	// noMerge keeps every idle state apart, even those that differ only
	// in variables nothing reads again (idlemerge.go).
	noMerge bool
	// rounds grows the idle invariant by solving every method round after
	// round (a method's game once per invariant), without replaying
	// strategies (fixpoint.go): what the replays must equal.
	rounds bool
}

// MethodError is a method whose game exhausted a limit (the belief budget,
// the depth), with the size the game had reached (Rank is -1) and the
// strategies of the methods solved before it.
type MethodError struct {
	Method *dsl.Method
	Stats  Stats
	Solved []*Strategy
	Err    error
}

func (e *MethodError) Error() string {
	return fmt.Sprintf("%s: method %s: %v", posString(e.Method.Pos), e.Method.Name, e.Err)
}

func (e *MethodError) Unwrap() error { return e.Err }

// Synthesize solves every method of the class against the device.
func Synthesize(m *model.Model) (*Result, error) { return SynthesizeWith(m, Options{}) }

// SynthesizeWith is Synthesize with options.
func SynthesizeWith(m *model.Model, opts Options) (*Result, error) {
	if !opts.noCounter {
		if c := findCounter(m); c != nil {
			if res := synthesizeCounted(m, c, opts); res != nil {
				return res, nil
			}
		}
	}
	consts := specConsts(m)
	copiedConsts(m, consts)
	cl := newCloser(m)
	cl.maxNodes, cl.depth = DefaultMaxBeliefs, deepening
	cl.exhaustive = opts.exhaustive
	if opts.depth > 0 {
		cl.depth = opts.depth
	}
	if opts.MaxBeliefs > 0 {
		cl.maxNodes = opts.MaxBeliefs
	}
	var initM *dsl.Method
	var others []*dsl.Method
	for _, meth := range m.Methods {
		if meth.Name == InitMethod {
			initM = meth
		} else {
			others = append(others, meth)
		}
	}
	carried := carriedVars(m)
	// latest is each method's last strategy, for a MethodError.
	latest := map[*dsl.Method]*Strategy{}
	failed := func(err error) error {
		var me *MethodError
		if errors.As(err, &me) {
			for _, meth := range m.Methods {
				if st := latest[meth]; st != nil && meth != me.Method {
					me.Solved = append(me.Solved, st)
				}
			}
		}
		return err
	}
	// The invariant keeps one state of each class of states that differ
	// only in variables nothing reads again (idlemerge.go); free says
	// which variables those are for each.
	idle := map[string]*model.State{}
	free := map[string][]int{}
	var da *deadAnalysis
	if !opts.noMerge {
		da = newDeadAnalysis(m)
	}
	// Every state a method may end in joins the invariant: its goal ends,
	// and the states in which it reports a device fault, so that the next
	// method is ready for what a failed one leaves behind.
	addEnds := func(ends []*model.State) error {
		ends, err := betweenCalls(m, cl, ends)
		if err != nil {
			return err
		}
		for _, s := range ends {
			var dead []int
			if da != nil {
				s, dead = da.representative(s)
			}
			k := m.FiniteKey(s)
			if _, ok := idle[k]; !ok {
				idle[k] = entryState(m, s)
				if dead != nil {
					free[k] = dead
				}
			}
		}
		return nil
	}
	addIdle := func(st *Strategy) error { return addEnds(st.endStates()) }
	var initStrat *Strategy
	if initM != nil {
		st, err := solveMethod(m, cl, initM, consts, nil, carried)
		if err != nil {
			return nil, failed(err)
		}
		initStrat, latest[initM] = st, st
		if err := addIdle(st); err != nil {
			return nil, err
		}
	} else {
		// No Init: methods start from reset, and from wherever the device
		// goes by itself between calls.
		if err := addEnds([]*model.State{m.Reset()}); err != nil {
			return nil, err
		}
	}
	// The idle invariant: every method must end in it, up to the carried
	// variables, whose values between methods the spec leaves free. It
	// grows by those values, by where streaming methods stop and by what
	// faults leave, until every method can start anywhere in it. A method
	// that cannot end in it is unrealizable; one whose game is too large
	// is an error. Neither changes what the invariant is.
	// Before a method is solved again, the strategies the methods have are
	// played from the grown invariant and what they leave joins it
	// (fixpoint.go), so that few solves are against an invariant that
	// still grows. Each method's moves carry over from solve to solve
	// (replay.go), and methods that pose the same game share it
	// (share.go).
	var gs *games
	if !opts.noMemo {
		gs = newGames()
	}
	var final []*Strategy
	var err error
	if opts.noMemo || opts.rounds {
		final, err = roundsFixpoint(others, latest, idle, !opts.noMemo, addEnds, func(meth *dsl.Method) (*Strategy, error) {
			return solveMethodShared(m, cl, meth, consts, idle, free, carried, gs)
		})
	} else {
		game := map[*dsl.Method]string{}
		for _, meth := range others {
			_, piece, g, _, _, err := methodGame(m, meth, idle, free, carried)
			if err != nil {
				return nil, err
			}
			game[meth] = contractKey(piece, g)
		}
		final, err = replayFixpoint(others, game, latest, idle, addEnds, func(meth *dsl.Method) (*Strategy, error) {
			if optimalSolves != nil {
				*optimalSolves = append(*optimalSolves, fmt.Sprintf("%s@%d", meth.Name, len(idle)))
			}
			return solveMethodShared(m, cl, meth, consts, idle, free, carried, gs)
		}, func(st *Strategy) ([]*model.State, error) {
			return replayEnds(m, cl, st, consts, idle, free, carried, gs)
		})
	}
	if err != nil {
		return nil, failed(err)
	}
	res := &Result{Model: m, IdleStates: len(idle), idle: idle, free: free}
	if initStrat != nil {
		res.Methods = append(res.Methods, initStrat)
	}
	res.Methods = append(res.Methods, final...)
	// Present methods in class order.
	order := map[*dsl.Method]int{}
	for i, meth := range m.Methods {
		order[meth] = i
	}
	sort.Slice(res.Methods, func(i, j int) bool { return order[res.Methods[i].Method] < order[res.Methods[j].Method] })
	return res, nil
}

// entryState is the idle representative of s: its finite part, with every
// data variable holding "whatever it held when the method started".
func entryState(m *model.Model, s *model.State) *model.State {
	return m.EntryState(s)
}

// carriedVars marks the state variables declared carried: their values
// between methods are free, so the idle invariant does not fix them.
func carriedVars(m *model.Model) []bool {
	out := make([]bool, len(m.Vars))
	if m.Spec == nil || m.Spec.Device == nil || m.Spec.Device.Device == nil {
		return out
	}
	for _, it := range m.Spec.Device.Device.Items {
		if it.State != nil && it.State.Carried {
			if i := m.Var(it.State.Name); i >= 0 {
				out[i] = true
			}
		}
	}
	return out
}

// idleSig encodes the part of s the idle invariant fixes: the finite
// variables that are not carried.
func idleSig(m *model.Model, carried []bool, s *model.State) string {
	b := make([]byte, 0, 4*s.Len())
	for i, v := range m.Vars {
		if v.Finite && !carried[i] {
			b = binary.LittleEndian.AppendUint32(b, s.Val(i).ID())
		}
	}
	return string(b)
}

// solveMethod solves one method. With idle nil the method starts from
// reset and may end anywhere its contract holds; otherwise it starts from
// the idle invariant and must also end inside it (up to carried
// variables), unless it streams: a streaming method may stop after any
// element.
func solveMethod(m *model.Model, cl *closer, meth *dsl.Method, consts map[string][]uint64, idle map[string]*model.State, carried []bool) (*Strategy, error) {
	return solveMethodShared(m, cl, meth, consts, idle, nil, carried, nil)
}

// solveMethodShared is solveMethod replaying the moves gs remembers from
// earlier games of the same contract, and remembering this game's; a game
// gs has solved before is not solved again (share.go).
func solveMethodShared(m *model.Model, cl *closer, meth *dsl.Method, consts map[string][]uint64, idle map[string]*model.State, free map[string][]int, carried []bool, gs *games) (*Strategy, error) {
	start := time.Now()
	sl, piece, g, elem, requires, err := methodGame(m, meth, idle, free, carried)
	if err != nil {
		return nil, err
	}
	var states []*model.State
	var keys []string
	if idle == nil {
		states = []*model.State{m.Reset()}
	} else {
		keys = make([]string, 0, len(idle))
		for k := range idle {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			states = append(states, idle[k])
		}
	}
	var memo *moveMemo
	var gameKey string
	if gs != nil {
		ck := contractKey(piece, g)
		memo = gs.memo(ck)
		gameKey = ck + "|" + startKey(idle == nil, keys)
		if prev := gs.solved[gameKey]; prev != nil {
			// The same game as prev's: the same strategy, for this method.
			st := *prev
			st.Method, st.Elem, st.Sectors, st.Requires, st.Faults = meth, elem, sl, requires, g.faults
			st.Stats.Time = time.Since(start)
			if tm := sl.tailMethod(meth); tm != nil && idle != nil {
				if sl.Tail, err = solveMethodShared(m, cl, tm, consts, idle, free, carried, gs); err != nil {
					return nil, err
				}
			}
			tracef("%s idle=%d: the game of %s, solved before", meth.Name, len(idle), prev.Method.Name)
			return &st, nil
		}
	}
	ids := make([]int32, len(states))
	for i, s := range states {
		ids[i] = cl.intern(s)
	}
	closed, err := cl.close(ids)
	if err != nil {
		return nil, err
	}
	gm := newGame(m, cl, g, consts)
	gm.memo = memo
	switch {
	case memo != nil && memo.de != nil:
		gm.de = memo.de.nextRound()
	case gs != nil:
		gm.de = newDeadEnds(gs.skel)
	}
	st := &Strategy{Method: meth, Elem: elem, Sectors: sl, Requires: requires, Next: map[*Node]int{}, Faults: g.faults}
	st.Starts = append(st.Starts, gm.node(cl.newBeliefIDs(closed, map[string]*term.T{}), 0))
	for i := 0; i < len(st.Starts); i++ {
		if err := gm.solve(st.Starts[i]); err != nil {
			return nil, &MethodError{Method: meth, Err: err,
				Stats: Stats{Beliefs: len(gm.list), Expanded: gm.expanded, Rank: -1, Time: time.Since(start)}}
		}
		for _, n := range gm.list {
			if n.err != nil {
				return nil, fmt.Errorf("%s: method %s: %v", posString(meth.Pos), meth.Name, n.err)
			}
		}
		if st.Starts[i].Rank == inf {
			tracef("%s idle=%d: unrealizable after %d beliefs, %v", meth.Name, len(idle), len(gm.list), time.Since(start))
			return nil, counterexample(meth, gm, st.Starts[i], g)
		}
		if elem == nil {
			continue
		}
		// Between two elements the driver keeps what it knows about the
		// device (a transmit FIFO it just found empty), but not the values
		// of the element it just handled.
		for _, leaf := range reachableGoals(st.Starts[i]) {
			if _, ok := st.Next[leaf]; ok {
				continue
			}
			nb := boundary(m, cl, leaf.B, elem.Var)
			idx := -1
			for j, s := range st.Starts {
				if s.B.Key() == nb.Key() {
					idx = j
				}
			}
			if idx < 0 {
				if len(st.Starts) >= 64 {
					return nil, fmt.Errorf("%s: method %s: more than 64 beliefs between elements (a FIFO level the spec writes as a counter is kept as one: see Counters in docs/language.md)", posString(meth.Pos), meth.Name)
				}
				idx = len(st.Starts)
				st.Starts = append(st.Starts, gm.node(nb, 0))
			}
			st.Next[leaf] = idx
		}
	}
	if memo != nil {
		memo.de = gm.de
	}
	st.Stats = Stats{Beliefs: len(gm.list), Expanded: gm.expanded, Rank: st.Starts[0].Rank, Time: time.Since(start)}
	if tm := sl.tailMethod(meth); tm != nil && idle != nil {
		if sl.Tail, err = solveMethodShared(m, cl, tm, consts, idle, free, carried, gs); err != nil {
			return nil, err
		}
	}
	tracef("%s idle=%d: %d starts, %d beliefs (%d expanded), %d states, %d writes, rank %d, %v", meth.Name, len(idle), len(st.Starts), len(gm.list), gm.expanded, len(cl.recs), len(cl.wacts), st.Stats.Rank, st.Stats.Time)
	for _, n := range gm.list {
		st.Stats.Edges += len(n.Edges)
	}
	if gs != nil {
		gs.solved[gameKey] = st
	}
	return st, nil
}

// methodGame builds the goal of meth's game: of one piece of it, for a
// sector loop (sl), held to the idle invariant unless it starts from reset
// (idle nil) or streams.
func methodGame(m *model.Model, meth *dsl.Method, idle map[string]*model.State, free map[string][]int, carried []bool) (sl *SectorLoop, piece *dsl.Method, g *goal, elem *dsl.ForEach, requires []*dsl.Expr, err error) {
	sl = sectorLoop(m, meth)
	piece = sl.piece(meth)
	g, elem, requires, err = methodGoal(m, piece, idle == nil)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	if sl != nil {
		_, _, requires, _ = methodGoal(m, meth, idle == nil)
	}
	// A streaming method may stop after any element, so its elements are
	// not held to the idle invariant; where it stops joins the invariant.
	if idle != nil && elem == nil {
		g.idle, g.idleSig = idleClasses(m, carried, idle, free)
		g.carried = carried
		for _, s := range idle {
			g.idleStates = append(g.idleStates, s)
		}
	}
	sl.narrowParams(meth, g)
	if err := g.deriveFeeds(m); err != nil {
		return nil, nil, nil, nil, nil, err
	}
	sl.narrowFeeds(m, g)
	g.relevant = relevantVars(m, g)
	return sl, piece, g, elem, requires, nil
}

// boundary turns the end belief of one element into the start belief of the
// next: events are forgotten, and values that name the finished element or
// variables of its code become unknown.
func boundary(m *model.Model, cl *closer, b *Belief, elemVar string) *Belief {
	var states []*model.State
	for _, s := range b.States {
		c := s.Clone()
		c.ClearEvents()
		c.EachMentioning(func(i int, v *term.T) {
			if v.Mentions(term.Param, elemVar) || v.Mentions(term.Read, "") {
				c.Set(i, term.U("previous."+m.Vars[i].Name, m.Vars[i].Width))
			}
		}, term.Param, term.Read)
		states = append(states, c)
	}
	learned := map[string]*term.T{}
	for k, v := range b.Learned {
		if !v.Mentions(term.Read, "") {
			learned[k] = v
		}
	}
	return cl.newBelief(states, learned)
}

// reachableGoals lists the goal nodes the strategy from n can end in, in
// the order a depth-first walk of the strategy meets them: the order of
// the strategy itself, not of the search that found it (which creates
// beliefs in an order the lower bound and the budget decide).
func reachableGoals(n *Node) []*Node {
	var out []*Node
	seen := map[*Node]bool{}
	var walk func(*Node)
	walk = func(x *Node) {
		if seen[x] {
			return
		}
		seen[x] = true
		if x.Goal {
			out = append(out, x)
			return
		}
		if x.Best == nil {
			return
		}
		for _, o := range x.Best.Outs {
			if !o.Loop {
				walk(o.Next)
			}
		}
	}
	walk(n)
	return out
}

// endStates lists the states of every node the strategy can end in.
func (st *Strategy) endStates() []*model.State {
	var out []*model.State
	for _, n := range st.endNodes() {
		out = append(out, n.B.States...)
	}
	return out
}

// endNodes lists every node the strategy can end in from any of its
// starts: goals, and faults it reports.
func (st *Strategy) endNodes() []*Node {
	var out []*Node
	seen := map[*Node]bool{}
	var walk func(*Node)
	walk = func(x *Node) {
		if seen[x] {
			return
		}
		seen[x] = true
		if x.Goal || x.Fault != nil {
			out = append(out, x)
			return
		}
		if x.Best == nil {
			return
		}
		for _, o := range x.Best.Outs {
			if !o.Loop {
				walk(o.Next)
			}
		}
	}
	for _, s := range st.Starts {
		walk(s)
	}
	if st.Sectors != nil && st.Sectors.Tail != nil {
		out = append(out, st.Sectors.Tail.endNodes()...)
	}
	return out
}

// methodGoal builds the goal of a method from its contract.
func methodGoal(m *model.Model, meth *dsl.Method, fromReset bool) (*goal, *dsl.ForEach, []*dsl.Expr, error) {
	g := &goal{params: map[string]*term.T{}, enums: map[string]*model.Enum{}, outs: map[string]bool{}}
	var requires []*dsl.Expr
	var elem *dsl.ForEach
	for _, p := range append(append([]*dsl.Param(nil), meth.Params...), meth.Results...) {
		isResult := false
		for _, r := range meth.Results {
			isResult = isResult || r == p
		}
		switch {
		case p.Type.Slice:
			if p.Out {
				g.bufOut = p.Name
			} else {
				g.bufIn = p.Name
			}
			g.params[p.Name] = term.P(p.Name, 0)
		case p.Out || isResult:
			g.outs[p.Name] = true
		default:
			t, en := paramTerm(m, p)
			g.params[p.Name] = t
			if en != nil {
				g.enums[p.Name] = en
			}
		}
	}
	for _, c := range meth.Clauses {
		switch {
		case c.Requires != nil:
			requires = append(requires, c.Requires)
		case c.Ensures != nil:
			g.ensures = append(g.ensures, c.Ensures)
		case c.For != nil:
			if elem != nil {
				return nil, nil, nil, fmt.Errorf("%s: one for-each per method", posString(c.Pos))
			}
			elem = c.For
			var over *dsl.Param
			for _, p := range meth.Params {
				if p.Name == c.For.Over.Name {
					over = p
				}
			}
			if over == nil || !over.Type.Slice {
				return nil, nil, nil, fmt.Errorf("%s: for-each over %s, which is not a slice parameter", posString(c.Pos), c.For.Over.Name)
			}
			// The element is what the game is about, not the buffer.
			g.bufIn, g.bufOut = "", ""
			if over.Out {
				g.outs[c.For.Var] = true
			} else {
				w := 8
				if over.Type.Data != nil {
					w = *over.Type.Data
				}
				g.params[c.For.Var] = term.P(c.For.Var, w)
			}
			for _, cc := range c.For.Clauses {
				if cc.Ensures != nil {
					g.ensures = append(g.ensures, cc.Ensures)
				}
				if cc.Requires != nil {
					requires = append(requires, cc.Requires)
				}
			}
		}
	}
	if elem != nil {
		g.faults = m.MethodFaults(meth)
	}
	if !fromReset {
		g.frames = frames(m, g.ensures)
	}
	g.requires = requires
	return g, elem, requires, nil
}

func paramTerm(m *model.Model, p *dsl.Param) (*term.T, *model.Enum) {
	switch {
	case p.Type.Data != nil:
		return term.P(p.Name, *p.Type.Data), nil
	case p.Type.Uint != nil:
		return term.P(p.Name, *p.Type.Uint), nil
	case p.Type.Bool:
		return term.P(p.Name, 1), nil
	case p.Type.Named != "":
		if en := m.Enum(p.Type.Named); en != nil {
			return term.P(p.Name, en.Width), en
		}
	}
	return term.P(p.Name, 64), nil
}

// frames lists the data variables that carry class state the method does
// not promise to change: the locations named by the bindings of predicates
// its contract does not mention.
func frames(m *model.Model, ensures []*dsl.Expr) []int {
	mentioned := map[string]bool{}
	for _, e := range ensures {
		collectCalls(e, mentioned)
	}
	set := map[int]bool{}
	for name, pb := range m.Bindings {
		if mentioned[name] {
			continue
		}
		names := map[string]bool{}
		collectAllNames(pb.Body, names)
		for n := range names {
			if i := m.Var(n); i >= 0 && !m.Vars[i].Finite {
				set[i] = true
			}
		}
	}
	var out []int
	for i := range set {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

func collectCalls(e *dsl.Expr, out map[string]bool) {
	if e == nil {
		return
	}
	if e.Kind == dsl.CallExpr || e.Kind == dsl.NameExpr {
		out[e.Name()] = true
	}
	for _, x := range []*dsl.Expr{e.X, e.Y, e.Z} {
		collectCalls(x, out)
	}
	for _, a := range e.Args {
		collectCalls(a, out)
	}
}

func collectAllNames(e *dsl.Expr, out map[string]bool) {
	if e == nil {
		return
	}
	if e.Kind == dsl.NameExpr {
		out[strings.Join(e.Path, ".")] = true
	}
	for _, x := range []*dsl.Expr{e.X, e.Y, e.Z} {
		collectAllNames(x, out)
	}
	for _, a := range e.Args {
		collectAllNames(a, out)
	}
	for _, c := range e.Cases {
		collectAllNames(c.Value, out)
	}
}

// wanted reports whether the goal wants a value in one of r's fields.
func (gm *game) wanted(r *model.Reg) bool {
	for _, f := range r.Fields {
		if len(gm.goal.feedField[f.Qual()]) > 0 {
			return true
		}
	}
	return false
}

func shortPos(p dsl.Pos) string {
	return fmt.Sprintf("%s:%d:%d", filepath.Base(p.Filename), p.Line, p.Column)
}

// relevantVars marks the variables whose value can matter to this goal:
// everything the device's behaviour looks at, what the goal feeds or
// frames, and data that events or class bindings carry. Moves that touch
// nothing else are noise and are not explored.
func relevantVars(m *model.Model, g *goal) []bool {
	rel := make([]bool, len(m.Vars))
	mention := mentionedNames(m)
	for i, v := range m.Vars {
		rel[i] = v.Finite || mention[v.Name] || g.framed(i) || len(g.feedVar[i]) > 0 ||
			(v.Field != nil && len(g.feedField[v.Field.Qual()]) > 0)
	}
	return rel
}

// mentionedNames are the names the class bindings and the device's emits
// read (emit arguments also under REG.name in a register's handlers).
func mentionedNames(m *model.Model) map[string]bool {
	mention := map[string]bool{}
	for _, pb := range m.Bindings {
		collectAllNames(pb.Body, mention)
	}
	stmts := func(ss []*dsl.Stmt, r *model.Reg) {
		walkStmts(ss, func(s *dsl.Stmt) {
			if s.Emit == nil {
				return
			}
			for _, a := range s.Emit.Args {
				names := map[string]bool{}
				collectAllNames(a, names)
				for n := range names {
					mention[n] = true
					if r != nil {
						mention[r.Name+"."+n] = true
					}
				}
			}
		})
	}
	for _, r := range m.Regs {
		stmts(r.OnRead, r)
		stmts(r.OnWrite, r)
	}
	for _, p := range m.Streams {
		stmts(p.OnRead, nil)
		stmts(p.OnWrite, nil)
	}
	for _, t := range append(append([]*model.Transition(nil), m.Internals...), m.Inputs...) {
		stmts(t.Body, nil)
	}
	return mention
}

var traceOn = os.Getenv("DRVSYNTH_TRACE") != ""

// tracef prints solver progress when DRVSYNTH_TRACE is set.
func tracef(format string, args ...any) {
	if traceOn {
		fmt.Fprintf(os.Stderr, "solve: "+format+"\n", args...)
	}
}
