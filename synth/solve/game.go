package solve

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// DefaultMaxBeliefs bounds the beliefs of one method's game unless
// Options.MaxBeliefs says otherwise. Exceeding it is an error, never a
// different driver.
const DefaultMaxBeliefs = 40000

// deepening is the deepest budget the iterative deepening tries before the
// game is decided on its whole reachable graph instead; it changes how the
// answer is found, not what it is.
const deepening = 24

const inf = math.MaxInt32

// ActKind is the kind of a driver move.
type ActKind int

const (
	ActRead ActKind = iota
	ActWrite
	ActStreamRead
	ActStreamWrite
)

// Cand is one candidate value for a field in a write, with the reason the
// synthesizer considered it (for the generated comment).
type Cand struct {
	T    *term.T
	Why  string
	Keep bool
	// Strict: the contract holds only if the field has this value.
	Strict bool
	// Range: the value is derived (invert.go) and exact only for these
	// requests; the driver refuses the others.
	Range *ParamRange
	// Derived: made by inverting the device's arithmetic (invert.go); it
	// fits its field for every request the range and the requires allow.
	Derived bool
}

// Action is one driver move.
type Action struct {
	Kind    ActKind
	Reg     *model.Reg
	Observe []int   // read: the indexes of the fields the driver looks at
	ReadVar string  // read: the variable the value goes into
	Vals    []*Cand // write: one per field of Reg, in Reg.Fields order
	Stream  *model.Stream
	Buf     string // stream: the slice parameter moved, or a scratch buffer
	// Learn: a stream read into a scratch buffer, and the layout fields it
	// teaches the driver.
	Learn []*LayoutRead
	// Reports are the faults of the element a read may show (see
	// goal.reports): the driver keeps them from the value read, and the
	// element ends with them.
	Reports []*model.ElemFault
}

func (a *Action) String() string {
	switch a.Kind {
	case ActRead:
		names := make([]string, len(a.Observe))
		for i, f := range a.Observe {
			names[i] = a.Reg.Fields[f].Name
		}
		return fmt.Sprintf("read %s (looking at %s)", a.Reg.Name, strings.Join(names, ", "))
	case ActWrite:
		parts := make([]string, len(a.Vals))
		for i, c := range a.Vals {
			parts[i] = a.Reg.Fields[i].Name + "=" + c.T.String()
		}
		return fmt.Sprintf("write %s {%s}", a.Reg.Name, strings.Join(parts, " "))
	case ActStreamRead:
		return fmt.Sprintf("read stream %s into %s", a.Stream.Name, a.Buf)
	default:
		return fmt.Sprintf("write stream %s from %s", a.Stream.Name, a.Buf)
	}
}

// Outcome is one result of an action: for a read, the values seen in the
// observed fields.
type Outcome struct {
	Obs  []uint64 // values of Action.Observe fields, in order
	Next *Node
	Loop bool // the driver is back where it was: poll again
}

// LoopKind says why a poll loop ends.
type LoopKind int

const (
	NoLoop    LoopKind = iota
	FairLoop           // a fair device transition ends it
	InputLoop          // it waits for the outside world
)

// Edge is an action from a node and its outcomes.
type Edge struct {
	Act     *Action
	Outs    []*Outcome
	Loop    LoopKind
	LoopWhy []*model.Transition // the transitions that end the loop
}

// Node is a belief in the game graph.
type Node struct {
	ID    int
	B     *Belief
	Edges []*Edge
	// Goal: the contract holds in every state; Results binds out parameters.
	Goal    bool
	Results map[string]*term.T
	// Fault: every state shows this device fault; the method reports it.
	Fault    *model.Fault
	Rank     int
	Best     *Edge
	depth    int
	done     bool
	err      error
	failedAt int // no strategy within this budget
	h        int // lowerBound, once known (-1 before)
}

type game struct {
	m      *model.Model
	cl     *closer
	goal   *goal
	nodes  []*Node // by Belief.num; nil for a belief this game has not met
	list   []*Node
	consts map[string][]uint64 // REG.FIELD -> constants the spec compares it with
	// expanded counts the beliefs whose moves were computed.
	expanded int
	bi       *boundInfo
	// inertR and inertW mark the registers whose reads and writes can
	// give no edge in this game (see inertAccesses); nil until computed.
	inertR, inertW []bool
	vc             *valueClasses
	de             *deadEnds
	// entryWorth memoizes worthLearning of entry values (terms are
	// hash-consed: one pointer per value).
	entryWorth map[*term.T]bool
	// mentioned is mentionedNames of the model, made once (onlyFed).
	mentioned map[string]bool
	bl        *blocking
	// memo replays moves earlier rounds computed (replay.go); nil for a
	// game solved once. While asking, node records the beliefs asked for.
	memo   *moveMemo
	asking bool
	asked  []*Belief
	// fcands memoizes finiteCands.
	fcands map[*model.Field][]*Cand
	// foreign memoizes foreignAt by state: 0 not yet asked, 1 no, 2 yes.
	foreign []int8
	// deadAt memoizes isDead by state (skelUnknown, skelAlive, skelDead).
	deadAt []int8
	// rs and ws are the scratch space of expandReads and expandWrites.
	rs readScratch
	ws writeScratch
	// readActs, obsSets and writeActs are the actions made so far, and
	// madeCands the candidates appendCandidates made: every edge of the
	// game shares them.
	readActs  map[readActKey]*Action
	obsSets   map[uint64][][]int
	writeActs [][]*Action // by writeAct number
	madeCands map[candKey]*Cand
	// readVars is, per register, "vREG" and how a learned key names it.
	readVars [][2]string
	// The game's nodes, edges and outcomes come from these (see slab).
	nodeSlab    slab[Node]
	edgeSlab    slab[Edge]
	edgePtrSlab slab[*Edge]
	edgeBuf     []*Edge // expandFresh's scratch
	edge1Slab   slab[oneOutcome]
	outSlab     slab[Outcome]
	outPtrSlab  slab[*Outcome]
	obsSlab     slab[uint64]
	// relMask marks the relevant variables (goal.relevant) for
	// changesRelevant, once made.
	relMask     uint64
	relMaskMade bool
	// resetWrites and resetActs are resetWrite's, by register.
	resetWrites [][]*term.T
	resetActs   []int32
	// loopMemo and loopGen are loopKind's memo by state (nextLoopGen).
	loopMemo []uint32
	loopGen  uint32
	loneWhys map[*model.Transition][]*model.Transition // loneWhy's
}

func newGame(m *model.Model, cl *closer, g *goal, consts map[string][]uint64) *game {
	return &game{m: m, cl: cl, goal: g, consts: consts}
}

// foreignAt is goal.emitsForeign1 of state id, asked once per state: every
// read and write of every belief holding the state asks it again.
func (gm *game) foreignAt(id int32) bool {
	if int(id) >= len(gm.foreign) {
		gm.foreign = append(gm.foreign, make([]int8, len(gm.cl.recs)-len(gm.foreign))...)
	}
	if gm.foreign[id] == 0 {
		gm.foreign[id] = 1
		if gm.goal.emitsForeign1(gm.cl.recs[id].s) {
			gm.foreign[id] = 2
		}
	}
	return gm.foreign[id] == 2
}

func (gm *game) node(b *Belief, depth int) *Node {
	if gm.asking {
		gm.asked = append(gm.asked, b)
	}
	if n := gm.nodeOf(b); n != nil {
		return n
	}
	n := gm.nodeSlab.one()
	*n = Node{ID: len(gm.list), B: b, Rank: inf, depth: depth, failedAt: -1, h: -1}
	if int(b.num) >= len(gm.nodes) {
		gm.nodes = append(gm.nodes, make([]*Node, int(b.num)+1-len(gm.nodes))...)
	}
	gm.nodes[b.num] = n
	gm.list = append(gm.list, n)
	return n
}

// nodeOf is b's node in this game, or nil.
func (gm *game) nodeOf(b *Belief) *Node {
	if int(b.num) < len(gm.nodes) {
		return gm.nodes[b.num]
	}
	return nil
}

// solve finds the least worst-case number of bus accesses from start to
// the goal by iterative deepening: an AND-OR depth-first search bounded by
// a budget that grows one access at a time. The first budget that admits
// a strategy is its optimal worst-case cost.
//
// Past the deepening limit the deepening stops paying for itself, and the
// game is decided exactly instead, on the whole graph of beliefs reachable
// from start (solveClosed). Neither limit changes the answer: the result is
// the optimum or a proof that there is none, or an error that says which
// limit was exhausted.
func (gm *game) solve(start *Node) error {
	if gm.lowerBound(start) == inf {
		return nil // a dead end: no strategy at any depth
	}
	for budget := gm.lowerBound(start); budget <= gm.cl.depth; budget++ {
		r := gm.search(start, budget)
		tracef("  budget %d: %d beliefs, %d expanded", budget, len(gm.list), gm.expanded)
		if r != inf {
			return nil
		}
		if len(gm.list) > gm.cl.maxNodes {
			return gm.overflow()
		}
	}
	return gm.solveClosed(start)
}

func (gm *game) overflow() error {
	return fmt.Errorf("the game grew past %d beliefs (drvsynth synth -max-beliefs raises the limit)", gm.cl.maxNodes)
}

// solveClosed decides the game from start exactly: it expands every belief
// reachable from start and computes the least worst-case cost of every
// belief as a least fixpoint (a belief that keeps cost inf has no winning
// strategy at any depth). Ranks the deepening already proved are optimal
// and stay.
func (gm *game) solveClosed(start *Node) error {
	var reach []*Node
	seen := map[*Node]bool{start: true}
	for queue := []*Node{start}; len(queue) > 0; {
		n := queue[0]
		queue = queue[1:]
		reach = append(reach, n)
		if !n.done {
			n.done = true
			gm.expanded++
			if n.err = gm.expand(n); n.err != nil {
				return n.err
			}
			if len(gm.list) > gm.cl.maxNodes {
				return gm.overflow()
			}
		}
		if n.Goal || n.Fault != nil {
			n.Rank = 0
			continue
		}
		for _, e := range n.Edges {
			for _, o := range e.Outs {
				if !o.Loop && !seen[o.Next] {
					seen[o.Next] = true
					queue = append(queue, o.Next)
				}
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, n := range reach {
			for _, e := range n.Edges {
				worst := 0
				for _, o := range e.Outs {
					if !o.Loop {
						worst = max(worst, o.Next.Rank)
					}
				}
				if worst != inf && 1+worst < n.Rank {
					n.Rank, n.Best, changed = 1+worst, e, true
				}
			}
		}
	}
	return nil
}

// search returns the least worst-case cost, at most budget, of reaching
// the goal from n, or inf. Every move costs one access and the budget
// shrinks with each, so the search needs no cycle check: a strategy that
// came back to a belief it passed would cost more than one that did not.
// (A poll loop, which the fair progress rule allows, is an outcome marked
// Loop and costs nothing more.) Because no result depends on the path that
// reached a node, both results are memoized exactly: Rank is the optimum,
// failedAt the largest budget known to be too small.
func (gm *game) search(n *Node, budget int) int {
	if n.Rank == inf && !n.done && (budget <= n.failedAt || gm.lowerBound(n) > budget) {
		return inf // pruned before paying for the expansion
	}
	if !n.done {
		n.done = true
		gm.expanded++
		if n.err = gm.expand(n); n.err != nil {
			return inf
		}
	}
	switch {
	case n.Goal, n.Fault != nil:
		n.Rank = 0
		return 0
	case n.Rank != inf:
		if n.Rank <= budget {
			return n.Rank
		}
		return inf
	case budget <= n.failedAt || gm.lowerBound(n) > budget || len(gm.list) > gm.cl.maxNodes:
		return inf
	}
	best := inf
	for _, e := range n.Edges {
		limit := min(budget, best-1) - 1 // what the outcomes may cost
		if limit < 0 {
			break
		}
		worst, ok := 0, true
		for _, o := range e.Outs {
			if o.Loop {
				continue
			}
			r := gm.search(o.Next, limit)
			if r == inf {
				ok = false
				break
			}
			worst = max(worst, r)
		}
		if ok && 1+worst < best {
			best, n.Best = 1+worst, e
			if best <= gm.lowerBound(n) {
				break // the bound is admissible: no edge does better
			}
		}
	}
	if best == inf {
		n.failedAt = max(n.failedAt, budget)
		return inf
	}
	n.Rank = best
	return best
}

// collectNames records the bare (one-part) names in e.
func collectNames(e *dsl.Expr, out map[string]bool) {
	if e == nil {
		return
	}
	if e.Kind == dsl.NameExpr && len(e.Path) == 1 {
		out[e.Path[0]] = true
	}
	for _, x := range []*dsl.Expr{e.X, e.Y, e.Z} {
		collectNames(x, out)
	}
	for _, a := range e.Args {
		collectNames(a, out)
	}
	for _, c := range e.Cases {
		collectNames(c.Value, out)
	}
}

// accessAvailable reports whether access a may be the driver's next move
// in n: its register is visible, and it breaks no require for certain.
func (gm *game) accessAvailable(n *Node, a access) bool {
	if a.write {
		return gm.writeAvailable(n, a.ri, true)
	}
	r := gm.m.Regs[a.ri]
	for _, id := range n.B.ids {
		if ok, err := gm.cl.visible(id, a.ri, r.Bank); err != nil || !ok {
			return err != nil // on an error, claim nothing
		}
	}
	for _, id := range n.B.ids {
		rr, err := gm.cl.read(id, a.ri, r)
		if err != nil {
			return true
		}
		if rr.viol {
			return false
		}
	}
	return true
}

// writeAvailable reports whether some write of register ri may be the next
// move in n. With tryReq, a handler whose requires do not depend on the
// written values is tried once (with the reset values).
func (gm *game) writeAvailable(n *Node, ri int, tryReq bool) bool {
	r := gm.m.Regs[ri]
	for _, id := range n.B.ids {
		if ok, err := gm.cl.visible(id, ri, r.Bank); err != nil || !ok {
			return err != nil
		}
	}
	if !tryReq || !gm.bounds().freeReq[ri] {
		return true
	}
	vals, act := gm.resetWrite(ri)
	for _, id := range n.B.ids {
		w, err := gm.cl.write(id, act, r, vals)
		if err != nil {
			return true
		}
		if w.viol {
			return false
		}
	}
	return true
}

// resetWrite is the write of register ri's reset values, and its number
// (writeAct), made once.
func (gm *game) resetWrite(ri int) ([]*term.T, int32) {
	if gm.resetWrites == nil {
		gm.resetWrites = make([][]*term.T, len(gm.m.Regs))
		gm.resetActs = make([]int32, len(gm.m.Regs))
	}
	if gm.resetWrites[ri] == nil {
		r := gm.m.Regs[ri]
		vals := make([]*term.T, len(r.Fields))
		for i, f := range r.Fields {
			vals[i] = term.C(f.Reset, f.Width)
		}
		gm.resetWrites[ri], gm.resetActs[ri] = vals, gm.cl.writeAct(ri, vals)
	}
	return gm.resetWrites[ri], gm.resetActs[ri]
}

func (gm *game) expand(n *Node) error {
	ok, results, err := gm.goal.holds(gm.m, n.B)
	if err != nil {
		return err
	}
	if ok {
		n.Goal, n.Results = true, results
		return nil
	}
	for fi, f := range gm.m.Faults {
		all := true
		for _, id := range n.B.ids {
			h, err := gm.cl.fault(id, fi)
			if err != nil {
				return err
			}
			if !h || !gm.cl.recs[id].s.HasEvent(failureMark) {
				all = false
				break
			}
		}
		if all {
			n.Fault = f
			return nil
		}
	}
	return gm.expandMoves(n)
}

// expandFresh computes the moves of n, a belief that is neither a goal nor
// a fault. The edges are gathered in scratch space and then copied into
// a run of exactly their number, which costs no allocation per edge added.
func (gm *game) expandFresh(n *Node) error {
	n.Edges = append(gm.edgeBuf[:0], n.Edges...)
	err := gm.expandAccesses(n)
	buf := n.Edges
	n.Edges = append(gm.edgePtrSlab.run(len(buf))[:0], buf...)
	clear(buf)
	gm.edgeBuf = buf[:0]
	return err
}

// expandAccesses is expandFresh, appending to n.Edges.
func (gm *game) expandAccesses(n *Node) error {
	inertR, inertW := gm.inertAccesses()
	for ri, r := range gm.m.Regs {
		if (!r.Read || inertR[ri]) && (!r.Write || inertW[ri]) {
			continue
		}
		vis := true
		for _, id := range n.B.ids {
			ok, err := gm.cl.visible(id, ri, r.Bank)
			if err != nil {
				return err
			}
			if !ok {
				vis = false
				break
			}
		}
		if !vis {
			continue
		}
		if r.Read && !inertR[ri] {
			if err := gm.expandReads(n, ri, r); err != nil {
				return err
			}
		}
		if r.Write && !inertW[ri] {
			if err := gm.expandWrites(n, ri, r); err != nil {
				return err
			}
		}
	}
	for _, p := range gm.m.Streams {
		vis, err := gm.visibleInAll(p.Bank, n.B)
		if err != nil || !vis {
			if err != nil {
				return err
			}
			continue
		}
		if p.Read && gm.goal.bufOut != "" {
			if err := gm.expandStream(n, p, true, gm.goal.bufOut); err != nil {
				return err
			}
		}
		if p.Write && gm.goal.bufIn != "" {
			if err := gm.expandStream(n, p, false, gm.goal.bufIn); err != nil {
				return err
			}
		}
		if p.Read && len(p.Layouts) > 0 {
			if err := gm.expandLayoutRead(n, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (gm *game) visibleInAll(bank *dsl.Expr, b *Belief) (bool, error) {
	for _, s := range b.States {
		ok, err := gm.m.Visible(bank, s)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// readVarName picks the variable a read goes into: the register's name,
// numbered when an earlier read's value is still in use.
func readVarName(b *Belief, reg string) string {
	name := "v" + reg
	for i := 2; strings.Contains(b.lkey, "r:"+name+"'"); i++ {
		name = "v" + reg + strconv.Itoa(i)
	}
	return name
}

// observeSets lists which fields a read may look at: each finite field on
// its own, each pair, and all of them. Looking at fewer fields keeps poll
// loops tight (wait for THRE without caring whether a byte arrived).
func observeSets(finite []int) [][]int {
	var out [][]int
	for _, f := range finite {
		out = append(out, []int{f})
	}
	for i := 0; i < len(finite); i++ {
		for j := i + 1; j < len(finite); j++ {
			out = append(out, []int{finite[i], finite[j]})
		}
	}
	if len(finite) > 2 {
		out = append(out, finite)
	}
	if len(finite) > 3 {
		// Pairs only pay off on small status registers; on wide ones they
		// multiply the game for nothing.
		out = append(out[:len(finite)], finite)
	}
	if len(finite) == 0 {
		out = append(out, nil)
	}
	return out
}

// readScratch is the space expandReads reuses from one read to the next:
// what it keeps (actions, outcomes, the values they show) is copied out.
type readScratch struct {
	res        []*readRes
	finite     []int
	data       []int
	nexts      []int32
	gidx       []int    // the group of each state, per observe set
	vals       []uint64 // the values group k shows: vals[k*len(obs):][:len(obs)]
	sizes      []int
	off        []int
	flat       []int32 // the states of group k: flat[off[k]:off[k+1]]
	subs       []int
	outs       []*Node // per group: the outcome's node (nil: loops back)
	one        madeOutcome
	made       []madeOutcome
	madeStates []int32
}

// madeOutcome is a group's belief, made once per read (see expandReads).
type madeOutcome struct {
	hash   uint64
	at, n  int // its states: madeStates[at:at+n]
	b      *Belief
	within bool
}

// readActKey names a read action: which register, which fields could
// split the belief (finite, as a mask), which observe set of those, and
// the variable it reads into.
type readActKey struct {
	ri, set int
	finite  uint64
	varName string
}

// readAct is the action of reading register ri into varName looking at
// sets[set] of the observe sets of finite: one per game, since an action
// is never changed once made.
func (gm *game) readAct(ri int, r *model.Reg, finite []int, set int, varName string) (*Action, [][]int) {
	mask, ok := fieldMask(finite)
	if !ok {
		sets := observeSets(slices.Clone(finite))
		return &Action{Kind: ActRead, Reg: r, Observe: sets[set], ReadVar: varName, Reports: gm.goal.reports(r)}, sets
	}
	sets := gm.observeSetsOf(finite, mask)
	k := readActKey{ri: ri, set: set, finite: mask, varName: varName}
	a := gm.readActs[k]
	if a == nil {
		a = &Action{Kind: ActRead, Reg: r, Observe: sets[set], ReadVar: varName, Reports: gm.goal.reports(r)}
		if gm.readActs == nil {
			gm.readActs = map[readActKey]*Action{}
		}
		gm.readActs[k] = a
	}
	return a, sets
}

// observeSetsOf memoizes observeSets by the mask of finite: the sets are
// shared by the actions that observe them, and never changed.
func (gm *game) observeSetsOf(finite []int, mask uint64) [][]int {
	sets, ok := gm.obsSets[mask]
	if !ok {
		sets = observeSets(slices.Clone(finite))
		if gm.obsSets == nil {
			gm.obsSets = map[uint64][][]int{}
		}
		gm.obsSets[mask] = sets
	}
	return sets
}

// fieldMask is the set of field indexes as a bit mask, when they fit.
func fieldMask(fields []int) (uint64, bool) {
	var m uint64
	for _, f := range fields {
		if f >= 64 {
			return 0, false
		}
		m |= 1 << uint(f)
	}
	return m, true
}

// readVar is readVarName, without building strings in the common case
// that no earlier read into the register's variable is still in use.
func (gm *game) readVar(b *Belief, ri int, r *model.Reg) string {
	if gm.readVars == nil {
		gm.readVars = make([][2]string, len(gm.m.Regs))
	}
	rv := &gm.readVars[ri]
	if rv[0] == "" {
		rv[0], rv[1] = "v"+r.Name, "r:v"+r.Name+"'"
	}
	if !strings.Contains(b.lkey, rv[1]) {
		return rv[0]
	}
	return readVarName(b, r.Name)
}

func (gm *game) expandReads(n *Node, ri int, r *model.Reg) error {
	sc := &gm.rs
	res := sc.res[:0]
	for _, id := range n.B.ids {
		rr, err := gm.cl.read(id, ri, r)
		if err != nil {
			return err
		}
		// A read that may break a require, or make the device emit an
		// event the contract does not name, is not a move here.
		if rr.viol || gm.foreignAt(rr.next) {
			sc.res = res
			return nil
		}
		res = append(res, rr)
	}
	sc.res = res
	// Fields whose value is a constant in every state can split the belief;
	// the others carry data the driver learns.
	// A constant that is the same everywhere tells the driver nothing.
	finite, data := sc.finite[:0], sc.data[:0]
	for fi := range r.Fields {
		isConst, varies := true, false
		for _, a := range res {
			isConst = isConst && a.vals[fi].IsConst()
			varies = varies || a.vals[fi] != res[0].vals[fi]
		}
		switch {
		case isConst && varies:
			finite = append(finite, fi)
		case !isConst:
			data = append(data, fi)
		}
	}
	sc.finite, sc.data = finite, data
	learnsSomething := false
	for _, fi := range data {
		for _, a := range res {
			learnsSomething = learnsSomething || gm.worthLearning(a.vals[fi])
		}
	}
	hasEffect := len(r.OnRead) > 0 || learnsSomething
	for _, f := range r.Fields {
		hasEffect = hasEffect || f.RC
	}
	if len(finite) == 0 && !hasEffect {
		return nil // one outcome that learns nothing and changes nothing
	}
	varName := gm.readVar(n.B, ri, r)
	learned := n.B.Learned // never changed once in a belief: copied to change
	nexts := sc.nexts[:0]
	if len(data) > 0 {
		rv := term.R(varName, r.Width)
		learned = copyLearned(n.B.Learned)
		for _, a := range res {
			lr := gm.cl.learnRead(a, r, data, rv)
			for j, sub := range lr.subs {
				for k, v := range learned {
					if v.Mentions(term.Entry, "") || v.Mentions(term.Unknown, "") {
						learned[k] = v.Subst(sub)
					}
				}
				for _, k := range lr.entries[j] {
					if _, seen := learned[k]; !seen {
						learned[k] = sub[k]
					}
				}
			}
			nexts = append(nexts, lr.next)
		}
	} else {
		for _, a := range res {
			nexts = append(nexts, a.next)
		}
	}
	sc.nexts = nexts
	lkey := n.B.lkey
	if len(data) > 0 {
		lkey = learnedKey(learned) // the same for every outcome
	}
	_, sets := gm.readAct(ri, r, finite, 0, varName)
	// Observe sets often group some states alike (a status whose bits
	// come in few combinations): such a group's outcome, the same belief,
	// is made once.
	sc.made, sc.madeStates = sc.made[:0], sc.madeStates[:0]
	for si, obs := range sets {
		// Group the states by the values the observed fields show, in the
		// order the values first appear.
		w := len(obs)
		vals, gidx := sc.vals[:0], sc.gidx[:0]
		ngroups := 0
		for _, a := range res {
			gi := -1
			for j := 0; j < ngroups; j++ {
				same := true
				for x, fi := range obs {
					same = same && vals[j*w+x] == a.vals[fi].Val
				}
				if same {
					gi = j
					break
				}
			}
			if gi < 0 {
				for _, fi := range obs {
					vals = append(vals, a.vals[fi].Val)
				}
				gi = ngroups
				ngroups++
			}
			gidx = append(gidx, gi)
		}
		sc.vals, sc.gidx = vals, gidx
		if ngroups == 1 && !hasEffect {
			continue // learns nothing, changes nothing
		}
		sizes := append(sc.sizes[:0], make([]int, ngroups)...)
		for _, gi := range gidx {
			sizes[gi]++
		}
		off := append(sc.off[:0], 0)
		for k := range ngroups {
			off = append(off, off[k]+sizes[k])
		}
		flat := append(sc.flat[:0], nexts...)
		fill := append(sizes[:0], off[:ngroups]...) // where group k's next state goes
		for i, gi := range gidx {
			flat[fill[gi]] = nexts[i]
			fill[gi]++
		}
		sc.sizes, sc.off, sc.flat = fill, off, flat
		group := func(k int) []int32 { return flat[off[k]:off[k+1]:off[k+1]] }
		outs := sc.outs[:0]
		subs := sc.subs[:0] // outcomes whose belief lies inside n's
		loopObs, looped, kept := -1, false, true
		for k := range ngroups {
			g := group(k)
			oc := gm.madeGroup(g, len(sets) > 1)
			if oc == nil {
				b, err := gm.cl.closeBelief(g, learned, lkey)
				if err != nil {
					return err
				}
				oc = gm.rememberGroup(g, b, b.Key() != n.B.Key() && gm.cl.within(b, n.B), len(sets) > 1)
			}
			b := oc.b
			if b.Key() == n.B.Key() {
				if looped {
					// Two outcomes both lead back: treat as no progress.
					kept = false
					break
				}
				loopObs, looped = k, true
				outs = append(outs, nil)
				continue
			}
			if oc.within {
				subs = append(subs, k)
			}
			outs = append(outs, gm.node(b, n.depth+1))
		}
		sc.outs, sc.subs = outs, subs
		if !kept || looped && len(outs) == 1 {
			continue // a read that always comes back to the same belief
		}
		var loop LoopKind
		var loopWhy []*model.Transition
		if looped {
			loop, loopWhy, _ = gm.loopKind(ri, r, obs, vals[loopObs*w:][:w], group(loopObs))
			if loop == NoLoop {
				continue
			}
		}
		act, _ := gm.readAct(ri, r, finite, si, varName)
		// The outcomes' Obs, copied out of scratch space.
		shown := append(gm.obsSlab.run(len(vals))[:0], vals...)
		obsOf := func(k int) []uint64 { return shown[k*w : k*w+w : k*w+w] }
		e := gm.edgeSlab.one()
		*e = Edge{Act: act, Loop: loop, LoopWhy: loopWhy, Outs: gm.outPtrSlab.run(len(outs))}
		slab := gm.outSlab.run(len(outs))
		for k, next := range outs {
			o := &slab[k]
			if next == nil {
				*o = Outcome{Obs: obsOf(k), Next: n, Loop: true}
			} else {
				*o = Outcome{Obs: obsOf(k), Next: next}
			}
			e.Outs[k] = o
		}
		n.Edges = append(n.Edges, e)
		// A poll may also come back to a belief inside n's: the device is
		// in a state n's strategy already handles, so the driver may simply
		// read again (the read cleared a flag it had no use for, say). Each
		// such outcome gives the edge a variant that loops on it, under the
		// same fair-progress rule.
		if looped || len(e.Outs) < 2 {
			continue
		}
		for _, k := range subs {
			kind, why, err := gm.loopKind(ri, r, obs, shown[k*w:][:w], group(k))
			if err != nil || kind == NoLoop {
				continue
			}
			v := gm.edgeSlab.one()
			*v = Edge{Act: act, Loop: kind, LoopWhy: why, Outs: append(gm.outPtrSlab.run(len(e.Outs))[:0], e.Outs...)}
			o := gm.outSlab.one()
			*o = Outcome{Obs: e.Outs[k].Obs, Next: n, Loop: true}
			v.Outs[k] = o
			n.Edges = append(n.Edges, v)
		}
	}
	return nil
}

// madeGroup is the outcome made for the states g earlier in this read, or
// nil.
func (gm *game) madeGroup(g []int32, share bool) *madeOutcome {
	if !share {
		return nil
	}
	sc := &gm.rs
	h := groupHash(g)
	for i := range sc.made {
		oc := &sc.made[i]
		if oc.hash == h && slices.Equal(sc.madeStates[oc.at:oc.at+oc.n], g) {
			return oc
		}
	}
	return nil
}

// rememberGroup records b as the outcome of the states g (when share), and
// returns it.
func (gm *game) rememberGroup(g []int32, b *Belief, within, share bool) *madeOutcome {
	oc := madeOutcome{b: b, within: within}
	if !share {
		gm.rs.one = oc
		return &gm.rs.one
	}
	sc := &gm.rs
	oc.hash, oc.at, oc.n = groupHash(g), len(sc.madeStates), len(g)
	sc.madeStates = append(sc.madeStates, g...)
	sc.made = append(sc.made, oc)
	return &sc.made[len(sc.made)-1]
}

func groupHash(g []int32) uint64 {
	h := uint64(len(g))
	for _, id := range g {
		h = (h ^ uint64(uint32(id))) * 0x100000001b3
	}
	return h
}

// worthLearning reports whether reading value t tells the driver something
// the goal may need: the entry value of a relevant variable (not one the
// goal only writes: onlyFed), or a value that came from outside.
func (gm *game) worthLearning(t *term.T) bool {
	switch t.Kind {
	case term.Unknown:
		return true
	case term.Entry:
		w, ok := gm.entryWorth[t]
		if !ok {
			vi := gm.m.Var(t.Name)
			w = vi < 0 || gm.goal.relevant[vi] && !gm.onlyFed(vi)
			if gm.entryWorth == nil {
				gm.entryWorth = map[*term.T]bool{}
			}
			gm.entryWorth[t] = w
		}
		return w
	}
	for _, a := range t.Args {
		if gm.worthLearning(a) {
			return true
		}
	}
	return false
}

// learn records that value t (what a field read as) is now held in the
// driver's variable slice r, adding the keys of entry values to entries.
func learn(t, r *term.T, sub map[string]*term.T, entries *[]string) {
	switch t.Kind {
	case term.Entry, term.Unknown:
		sub[t.Key()] = r
		if t.Kind == term.Entry {
			*entries = append(*entries, t.Key())
		}
	case term.Slice:
		leaf := t.Args[0]
		if leaf.Kind != term.Entry && leaf.Kind != term.Unknown {
			return
		}
		var parts []*term.T
		if t.Hi+1 < leaf.Width {
			parts = append(parts, term.Sl(leaf, leaf.Width-1, t.Hi+1))
		}
		parts = append(parts, r)
		if t.Lo > 0 {
			parts = append(parts, term.Sl(leaf, t.Lo-1, 0))
		}
		sub[leaf.Key()] = term.Cat(parts...)
		if leaf.Kind == term.Entry {
			*entries = append(*entries, leaf.Key())
		}
	case term.Concat:
		top := t.Width
		for _, p := range t.Args {
			top -= p.Width
			learn(p, term.Sl(r, top+p.Width-1, top), sub, entries)
		}
	}
}

func copyLearned(m map[string]*term.T) map[string]*term.T {
	c := make(map[string]*term.T, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// loopKind applies the fair-progress rule to a poll: the driver may read
// again on outcome loopVals only if every state showing it will stop
// showing it — by a fair device transition, or by an input it waits for.
func (gm *game) loopKind(ri int, r *model.Reg, obs []int, loopVals []uint64, states []int32) (LoopKind, []*model.Transition, error) {
	shows := func(id int32) (bool, error) {
		vals, err := gm.cl.fieldVals(id, ri, r)
		if err != nil {
			return false, err
		}
		for j, fi := range obs {
			v := vals[fi]
			if !v.IsConst() || v.Val != loopVals[j] {
				return false, nil
			}
		}
		return true, nil
	}
	var whyBuf [8]*model.Transition
	why := whyBuf[:0] // a set, in the order first found
	addWhy := func(t *model.Transition) {
		if !slices.Contains(why, t) {
			why = append(why, t)
		}
	}
	// memo: 1 leaves for sure, 2 may stay, 3 in progress, by state, for
	// this call only (marked with its generation).
	gen := gm.nextLoopGen()
	memoOf := func(id int32) uint32 {
		if int(id) < len(gm.loopMemo) && gm.loopMemo[id]>>2 == gen {
			return gm.loopMemo[id] & 3
		}
		return 0
	}
	setMemo := func(id int32, v uint32) {
		if int(id) >= len(gm.loopMemo) { // a state the device's moves just found
			gm.loopMemo = append(gm.loopMemo, make([]uint32, len(gm.cl.recs)-len(gm.loopMemo))...)
		}
		gm.loopMemo[id] = gen<<2 | v
	}
	var leaves func(id int32) (bool, error)
	leaves = func(id int32) (bool, error) {
		still, err := shows(id)
		if err != nil || !still {
			return !still, err
		}
		switch memoOf(id) {
		case 1:
			return true, nil
		case 2, 3:
			return false, nil
		}
		setMemo(id, 3)
		moves, err := gm.cl.moves(id)
		if err != nil {
			return false, err
		}
		fair := 0
		for _, mv := range moves {
			if mv.input || !mv.t.Fair {
				continue
			}
			fair++
			ok, err := leaves(mv.next)
			if err != nil {
				return false, err
			}
			if !ok {
				setMemo(id, 2)
				return false, nil
			}
			addWhy(mv.t)
		}
		if fair == 0 {
			setMemo(id, 2)
			return false, nil
		}
		setMemo(id, 1)
		return true, nil
	}
	kind := FairLoop
	for _, s := range states {
		ok, err := leaves(s)
		if err != nil {
			return NoLoop, nil, err
		}
		if ok {
			continue
		}
		// No fair way out: the only hope is the outside world.
		moves, err := gm.cl.moves(s)
		if err != nil {
			return NoLoop, nil, err
		}
		out := false
		for _, mv := range moves {
			if mv.input {
				if still, err := shows(mv.next); err == nil && !still {
					out = true
					addWhy(mv.t)
				}
			}
		}
		// Waiting for the outside world blocks until it acts; only a method
		// that returns what arrives (Read) has a reason to.
		if !out || !gm.goal.receives() {
			return NoLoop, nil, nil
		}
		kind = InputLoop
	}
	switch len(why) {
	case 0:
		return kind, nil, nil
	case 1:
		return kind, gm.loneWhy(why[0]), nil
	}
	ts := slices.Clone(why)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Pos.Line < ts[j].Pos.Line })
	return kind, ts, nil
}

// loneWhy is the list of t alone, made once per game: most loops have one
// reason, and edges only read theirs.
func (gm *game) loneWhy(t *model.Transition) []*model.Transition {
	if ts, ok := gm.loneWhys[t]; ok {
		return ts
	}
	if gm.loneWhys == nil {
		gm.loneWhys = map[*model.Transition][]*model.Transition{}
	}
	ts := []*model.Transition{t}
	gm.loneWhys[t] = ts
	return ts
}

// nextLoopGen starts a loopKind call's memo: loopMemo holds, per state,
// the generation of the call that set it beside what it found.
func (gm *game) nextLoopGen() uint32 {
	gm.loopGen++
	if gm.loopGen >= 1<<30 {
		clear(gm.loopMemo)
		gm.loopGen = 1
	}
	return gm.loopGen
}

func (gm *game) expandStream(n *Node, p *model.Stream, read bool, buf string) error {
	bufTerm := term.P(buf, 0)
	var nexts []*model.State
	for _, s := range n.B.States {
		next, viol, err := gm.m.StreamIO(s, p, read, bufTerm)
		if err != nil {
			return err
		}
		if viol != nil {
			return nil
		}
		nexts = append(nexts, next)
	}
	if gm.goal.emitsForeign(nexts) {
		return nil
	}
	ids := make([]int32, len(nexts))
	for i, s := range nexts {
		ids[i] = gm.cl.intern(s)
	}
	b, err := gm.cl.closeBelief(ids, n.B.Learned, n.B.lkey)
	if err != nil {
		return err
	}
	if b.Key() == n.B.Key() {
		return nil
	}
	kind := ActStreamWrite
	if read {
		kind = ActStreamRead
	}
	n.Edges = append(n.Edges, &Edge{Act: &Action{Kind: kind, Stream: p, Buf: buf},
		Outs: []*Outcome{{Next: gm.node(b, n.depth+1)}}})
	return nil
}
