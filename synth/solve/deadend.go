package solve

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// Dead ends. A method held to the idle invariant loses in every belief
// holding a state from which no sequence of moves, driver's or device's,
// leads back into the invariant (or to a fault the method may report):
// even a driver that knew the state exactly could not finish there. The
// RTC's ReadTime is the example: once REGB.SET is written 1, clearing it
// again makes the device emit time_set, which ReadTime may not, so every
// belief past that write is lost, and the search need not look at any.
//
// The question is asked of the finite skeleton of a state (its finite
// variables; data cannot decide a guard or a require, or it would be
// finite), by a search over every move the game offers, and answered
// once per skeleton state: when the search fails, every state it
// visited is a dead end too, as each of them reaches only states it
// visited. A state's moves are made one at a time, as the search asks for
// them: most states get back in a move or two, and the search then never
// pays for the writes it did not try.
//
// Which states the search visits first decides only what it costs, not
// what it answers: a state gets back if some path leads back, whatever
// the order the paths are tried in. So it tries first what most likely
// leads back, and follows that depth first: the device's own moves, and
// the accesses that led back from other states (the leads: on the PL011,
// the write of CR that a state with the UART off needs). Every other
// access it follows breadth first, so that a state one write from the
// invariant is found after that state's writes, not after all the
// register settings its first write leads to.

const (
	skelUnknown int8 = iota
	skelAlive
	skelDead
)

// deadEnds is a game's memo of the skeleton question. Its tables are
// indexed by skeleton number (skeletons).
type deadEnds struct {
	proj *skeletons
	// regs are the registers an access of which can change a skeleton
	// state (skeletonRegs).
	regs []int
	// nodes are the skeleton states the search has entered, with the
	// moves made from them so far; nil for one it has not. Their moves
	// lead to skeleton numbers.
	nodes []*skelNode
	// wfields and writes memoize skeletonWrites: the candidates of each
	// register's fields, and the writes per register and held values.
	wfields [][][]*term.T
	writes  map[string]*skelWrites
	// status: skeleton -> alive or dead, with faults as a way out
	// ([0]) and without ([1]).
	status [2][]int8
	search skelSearch
	// leads are the accesses that last led a search back, most recent
	// first, at most maxLeads of them.
	leads []skelAccess
}

// maxLeads bounds the leads a skeleton state tries first.
const maxLeads = 8

// skelSearch is the scratch space of deadEnd's search, kept between
// searches so that one costs no allocation.
type skelSearch struct {
	// A state is visited by the current search when seen holds gen;
	// pos is then its index in order, which lists the visited states.
	seen  []uint32
	pos   []int32
	gen   uint32
	order []int32
	stack []skelFrame
	// predAt and pred list, per visited state (by index in order), the
	// visited states with a move to it; alive marks those found alive.
	predAt []int32
	pred   []int32
	alive  []bool
	open   []bool
	work   []int32
	// queue holds the states whose moves are followed breadth first,
	// from head on; stack's are followed first.
	queue []skelFrame
	head  int
}

// skelFrame is a state on the search's stack and its next move.
type skelFrame struct {
	nd   *skelNode
	next int
}

// skeletons projects states to their skeleton states, which it numbers
// from 0 so that the dead-end tables stay as small as the skeleton (a
// small part of the states). It depends only on the device and the
// closer, and every game of a synthesis shares it.
type skeletons struct {
	of     []int32 // state -> its skeleton's number plus one (0: not projected yet)
	states []int32 // skeleton number -> skeleton state
	// byKey finds a skeleton's number by its finite values and failure
	// mark, which are all that makes it: a state whose skeleton exists
	// already costs a look-up, not a state built and interned.
	byKey map[string]int32
	key   []byte // scratch
	// moves is skeletonMoves' answer, as skeleton states.
	moves []int32
}

func newSkeletons() *skeletons { return &skeletons{byKey: map[string]int32{}} }

// grown is xs long enough to index n (zeros appended).
func grown[T any](xs []T, n int) []T {
	if n < len(xs) {
		return xs
	}
	return append(xs, make([]T, n+1-len(xs))...)
}

// isDead reports whether state id can never get back into the idle
// invariant nor end in a fault the device chose. The lower bound asks it
// of every state of every belief, so the answer is kept per state (it
// does not change within a game).
func (gm *game) isDead(id int32) (bool, error) {
	if int(id) < len(gm.deadAt) && gm.deadAt[id] != skelUnknown {
		return gm.deadAt[id] == skelDead, nil
	}
	dead, err := gm.deadEnd(id, true)
	if err != nil {
		return dead, err
	}
	if int(id) >= len(gm.deadAt) {
		gm.deadAt = append(gm.deadAt, make([]int8, len(gm.cl.recs)-len(gm.deadAt))...)
	}
	gm.deadAt[id] = skelAlive
	if dead {
		gm.deadAt[id] = skelDead
	}
	return dead, nil
}

// statusOf is skeleton x's status, with faults as a way out or
// without.
func (de *deadEnds) statusOf(faults bool, x int32) int8 {
	st := de.status[statusIndex(faults)]
	if int(x) < len(st) {
		return st[x]
	}
	return skelUnknown
}

func (de *deadEnds) setStatus(faults bool, x int32, v int8) {
	k := statusIndex(faults)
	de.status[k] = grown(de.status[k], int(x))
	de.status[k][x] = v
}

func statusIndex(faults bool) int {
	if faults {
		return 0
	}
	return 1
}

// deadEnd answers the skeleton question; with faults false, only a way
// back into the idle invariant counts (what a method that is to reach its
// goal needs).
//
// A state with a register whose writes are too many to enumerate counts
// as alive (the question is not asked there: claim nothing).
func (gm *game) deadEnd(id int32, faults bool) (bool, error) {
	if gm.goal.idle == nil || gm.cl.exhaustive {
		return false, nil
	}
	dead, err := gm.searchDeadEnd(id, faults)
	if deadEndChecks != nil && err == nil {
		gm.checkDeadEnd(id, faults, dead)
	}
	return dead, err
}

// deadEndChecks, when a test sets it, makes every answer of deadEnd be
// checked against a plain search (checkDeadEnd), and counts the checks
// here.
var deadEndChecks *int

// checkDeadEnd panics unless dead is what a breadth-first search over
// every move from state id's skeleton answers, one that knows nothing
// from earlier questions and follows no leads.
func (gm *game) checkDeadEnd(id int32, faults, dead bool) {
	*deadEndChecks++
	start := gm.skelNum(id)
	seen := map[int32]bool{start: true}
	queue := []int32{start}
	// getsBack reports whether x gets back itself, and queues where its
	// moves lead.
	getsBack := func(x int32) bool {
		if gm.skeletonHome(x, faults) {
			return true
		}
		nd := gm.skelNode(x)
		for k := 0; ; k++ {
			y, ok, err := gm.skelSucc(nd, k)
			switch {
			case errors.Is(err, errTooWide):
				return true // claim nothing, as deadEnd does
			case err != nil:
				panic(fmt.Sprintf("dead ends: a move fails in the plain search: %v", err))
			case !ok:
				return false
			}
			if !seen[y] {
				seen[y] = true
				queue = append(queue, y)
			}
		}
	}
	want := true
	for i := 0; i < len(queue) && want; i++ {
		want = !getsBack(queue[i])
	}
	if want != dead {
		panic(fmt.Sprintf("dead ends: state %d (faults %v) dead %v, a plain search says %v", id, faults, dead, want))
	}
}

// searchDeadEnd is deadEnd's search (in the order above). It stops at the
// first state known to get back, and then decides what it can of the
// states it visited (found), so that no later question explores them
// again.
func (gm *game) searchDeadEnd(id int32, faults bool) (bool, error) {
	start := gm.skelNum(id)
	de := gm.de
	switch de.statusOf(faults, start) {
	case skelAlive:
		return false, nil
	case skelDead:
		return true, nil
	}
	if gm.skeletonHome(start, faults) {
		de.setStatus(faults, start, skelAlive)
		return false, nil
	}
	sr := &de.search
	sr.begin()
	sr.visit(start)
	sr.stack = append(sr.stack, skelFrame{nd: gm.skelNode(start)})
	for {
		if len(sr.stack) == 0 {
			if sr.head == len(sr.queue) {
				break
			}
			sr.stack = append(sr.stack, sr.queue[sr.head])
			sr.head++
		}
		top := &sr.stack[len(sr.stack)-1]
		k := top.next
		x, ok, err := gm.skelSucc(top.nd, k)
		switch {
		case errors.Is(err, errTooWide):
			de.found(top.nd.num, faults)
			return false, nil
		case err != nil:
			return false, err
		case !ok:
			sr.stack = sr.stack[:len(sr.stack)-1]
			continue
		}
		top.next++
		if sr.visited(x) || de.statusOf(faults, x) == skelDead {
			continue
		}
		sr.visit(x)
		if de.statusOf(faults, x) == skelAlive || gm.skeletonHome(x, faults) {
			de.found(x, faults)
			de.learn(top.nd.how[k])
			return false, nil
		}
		f := skelFrame{nd: gm.skelNode(x)}
		if top.nd.eager(k) {
			sr.stack = append(sr.stack, f)
		} else {
			sr.queue = append(sr.queue, f)
		}
	}
	for _, x := range sr.order {
		de.setStatus(faults, x, skelDead)
	}
	return true, nil
}

// learn makes access a the first lead (none for a move no access made).
func (de *deadEnds) learn(a skelAccess) {
	if a.ri < 0 {
		return
	}
	i := slices.Index(de.leads, a)
	if i < 0 {
		if len(de.leads) < maxLeads {
			de.leads = append(de.leads, a)
		}
		i = len(de.leads) - 1
	}
	copy(de.leads[1:i+1], de.leads[:i])
	de.leads[0] = a
}

// begin starts a search with nothing visited.
func (sr *skelSearch) begin() {
	sr.gen++
	if sr.gen == 0 {
		clear(sr.seen)
		sr.gen = 1
	}
	sr.order, sr.stack, sr.queue, sr.head = sr.order[:0], sr.stack[:0], sr.queue[:0], 0
}

func (sr *skelSearch) visited(x int32) bool {
	return int(x) < len(sr.seen) && sr.seen[x] == sr.gen
}

func (sr *skelSearch) visit(x int32) {
	sr.seen, sr.pos = grown(sr.seen, int(x)), grown(sr.pos, int(x))
	sr.seen[x], sr.pos[x] = sr.gen, int32(len(sr.order))
	sr.order = append(sr.order, x)
}

// found decides the states the search visited, once x is known alive:
// those with a path to x along the moves the search made are alive, and
// those that reach, along these moves, only states whose every move the
// search made (and no state it did not visit, but for known dead ends)
// are dead: none of them gets back. The rest may get back through a move
// the search did not make, and stay undecided.
func (de *deadEnds) found(x int32, faults bool) {
	sr := &de.search
	n := len(sr.order)
	// The visited states' moves between visited states, reversed, as
	// lists by target: predAt[i] counts them first, then is where the
	// list of the ith state ends.
	sr.predAt = append(sr.predAt[:0], make([]int32, n+1)...)
	for _, y := range sr.order {
		if nd := de.nodeAt(y); nd != nil {
			for _, z := range nd.succ {
				if sr.visited(z) {
					sr.predAt[sr.pos[z]+1]++
				}
			}
		}
	}
	for i := 1; i <= n; i++ {
		sr.predAt[i] += sr.predAt[i-1]
	}
	sr.pred = append(sr.pred[:0], make([]int32, sr.predAt[n])...)
	for i, y := range sr.order {
		if nd := de.nodeAt(y); nd != nil {
			for _, z := range nd.succ {
				if sr.visited(z) {
					sr.pred[sr.predAt[sr.pos[z]]] = int32(i)
					sr.predAt[sr.pos[z]]++
				}
			}
		}
	}
	// Each list was filled up to where the next begins: shifted, predAt[i]
	// is where the ith list begins again.
	copy(sr.predAt[1:], sr.predAt[:n])
	sr.predAt[0] = 0
	sr.alive = append(sr.alive[:0], make([]bool, n)...)
	sr.alive[sr.pos[x]] = true
	sr.reachBack(sr.alive)
	sr.open = append(sr.open[:0], make([]bool, n)...)
	for i, y := range sr.order {
		sr.open[i] = de.leavesSearch(y, faults)
	}
	sr.reachBack(sr.open)
	for i, y := range sr.order {
		switch {
		case sr.alive[i]:
			de.setStatus(faults, y, skelAlive)
		case !sr.open[i]:
			de.setStatus(faults, y, skelDead)
		}
	}
}

// leavesSearch reports whether visited state y may have a way out of what
// the search explored: a move it did not make, or one to a state it did
// not visit and does not know dead.
func (de *deadEnds) leavesSearch(y int32, faults bool) bool {
	nd := de.nodeAt(y)
	if nd == nil || !nd.done {
		return true
	}
	for _, z := range nd.succ {
		if !de.search.visited(z) && de.statusOf(faults, z) != skelDead {
			return true
		}
	}
	return false
}

// reachBack marks every visited state with a path to a marked one, along
// the moves the search made (found's lists).
func (sr *skelSearch) reachBack(mark []bool) {
	work := sr.work[:0]
	for i, m := range mark {
		if m {
			work = append(work, int32(i))
		}
	}
	for len(work) > 0 {
		i := work[len(work)-1]
		work = work[:len(work)-1]
		for _, j := range sr.pred[sr.predAt[i]:sr.predAt[i+1]] {
			if !mark[j] {
				mark[j] = true
				work = append(work, j)
			}
		}
	}
	sr.work = work
}

// deadEnds is the game's memo, made on first use.
func (gm *game) deadEnds() *deadEnds {
	if gm.de == nil {
		gm.de = newDeadEnds(newSkeletons())
	}
	return gm.de
}

// newDeadEnds is an empty memo that projects states through proj, which
// depends only on the device and may be shared by every game of a
// synthesis.
func newDeadEnds(proj *skeletons) *deadEnds {
	return &deadEnds{proj: proj}
}

// skeleton is the state id with its data forgotten and its events cleared
// (but for the mark of a failure the device chose).
func (gm *game) skeleton(id int32) int32 {
	num := gm.skelNum(id)
	return gm.de.proj.states[num]
}

// skelNum is the number of state id's skeleton.
func (gm *game) skelNum(id int32) int32 {
	sp := gm.deadEnds().proj
	if int(id) < len(sp.of) && sp.of[id] != 0 {
		return sp.of[id] - 1
	}
	s := gm.cl.recs[id].s
	failed := s.HasEvent(failureMark)
	sp.key = gm.m.AppendFiniteSig(sp.key[:0], s)
	if failed {
		sp.key = append(sp.key, 1)
	}
	num, ok := sp.byKey[string(sp.key)]
	if !ok {
		// The entry state keeps the finite values and holds every data
		// variable at its entry value, sharing that part between all
		// states: the cost does not grow with the data variables.
		c := gm.m.EntryState(s)
		if failed {
			c.Emit(model.Event{Name: failureMark}) // a fault may end the method
		}
		num = int32(len(sp.states))
		sp.states = append(sp.states, gm.cl.intern(c))
		sp.byKey[string(sp.key)] = num
	}
	sk := sp.states[num]
	sp.of = grown(sp.of, int(max(id, sk)))
	sp.of[id], sp.of[sk] = num+1, num+1
	return num
}

// skeletonHome reports whether skeleton num is in the idle invariant or
// shows a fault the device chose.
func (gm *game) skeletonHome(num int32, faults bool) bool {
	id := gm.de.proj.states[num]
	if gm.goal.idle[gm.goal.idleSig(gm.cl.recs[id].s)] {
		return true
	}
	if !faults || !gm.cl.recs[id].s.HasEvent(failureMark) {
		return false // a fault ends a method only if the device chose it
	}
	for fi := range gm.m.Faults {
		if h, err := gm.cl.fault(id, fi); err != nil || h {
			return true // on an error, claim nothing
		}
	}
	return false
}

// skeletonMoves lists the skeleton states one move leads to from id: the
// device's own moves, and every driver access the game could offer (reads,
// writes of every finite candidate, stream transfers) that breaks no
// require and emits no event the contract does not name.
// The list is valid until the next call.
func (gm *game) skeletonMoves(id int32) ([]int32, error) {
	nd := gm.skelNode(gm.skelNum(id))
	for i := len(nd.succ); ; i++ {
		if _, ok, err := gm.skelSucc(nd, i); err != nil || !ok {
			sp := gm.de.proj
			sp.moves = sp.moves[:0]
			for _, x := range nd.succ {
				sp.moves = append(sp.moves, sp.states[x])
			}
			return sp.moves, err
		}
	}
}

// skelNode is a skeleton state and the moves made from it so far: the
// cursor says which move comes next, in the order skeletonMoves lists
// them (the leads, device moves, then per register of skeletonRegs its
// read and its writes but for the leads, then stream transfers).
type skelNode struct {
	num  int32 // the skeleton's number
	id   int32 // the skeleton state
	succ []int32
	// how says which access made each move of succ.
	how  []skelAccess
	done bool
	wide bool // a register's writes are too many to enumerate
	// phase 0: the leads, 1: device moves, 2: registers, 3: streams; i
	// indexes them, j the access within one (register: 0 its read, k+1
	// its kth write; stream: the direction).
	phase, i, j int
	ws          *skelWrites
	// leads are the game's leads as they stood when the node was made.
	leads []skelAccess
	// eagerMoves counts the moves of succ that the leads and the device
	// made, once they are all made.
	eagerMoves int
}

// skelAccess is the read (k -1) or the kth write (skelWrites) of
// register ri; ri is -1 for a move no access makes (the device's own, a
// stream transfer).
type skelAccess struct{ ri, k int32 }

var noAccess = skelAccess{ri: -1}

// eager reports whether nd's kth move is one the search follows first (a
// lead's or the device's).
func (nd *skelNode) eager(k int) bool {
	return nd.phase < 2 || k < nd.eagerMoves
}

func (gm *game) skelNode(num int32) *skelNode {
	de := gm.deadEnds()
	nd := de.nodeAt(num)
	if nd == nil {
		nd = &skelNode{num: num, id: de.proj.states[num], leads: slices.Clone(de.leads)}
		de.nodes = grown(de.nodes, int(num))
		de.nodes[num] = nd
	}
	return nd
}

// nodeAt is skeleton num's node, nil if the search has not entered it.
func (de *deadEnds) nodeAt(num int32) *skelNode {
	if int(num) < len(de.nodes) {
		return de.nodes[num]
	}
	return nil
}

// skelSucc returns the kth move of nd, making moves until there is one;
// false past the last. A register too wide to enumerate ends the moves
// with errTooWide.
func (gm *game) skelSucc(nd *skelNode, k int) (int32, bool, error) {
	for k >= len(nd.succ) {
		if nd.wide {
			return 0, false, errTooWide
		}
		if nd.done {
			return 0, false, nil
		}
		if err := gm.skelStep(nd); err != nil {
			return 0, false, err
		}
	}
	return nd.succ[k], true, nil
}

// skelStep makes the next move of nd: it adds at most one successor, or
// marks nd done or wide.
func (gm *game) skelStep(nd *skelNode) error {
	id := nd.id
	s := gm.cl.recs[id].s
	switch nd.phase {
	case 0:
		if nd.i == len(nd.leads) {
			nd.phase, nd.i = 1, 0
			return nil
		}
		a := nd.leads[nd.i]
		nd.i++
		return gm.skelLead(nd, a)
	case 1:
		moves, err := gm.cl.moves(id)
		if err != nil {
			return err
		}
		if nd.i < len(moves) {
			gm.skelAdd(nd, moves[nd.i].next, noAccess)
			nd.i++
			return nil
		}
		nd.phase, nd.i, nd.j, nd.eagerMoves = 2, 0, 0, len(nd.succ)
	case 2:
		regs := gm.skeletonRegs()
		if nd.i == len(regs) {
			nd.phase, nd.i, nd.j = 3, 0, 0
			return nil
		}
		ri := regs[nd.i]
		r := gm.m.Regs[ri]
		if nd.j == 0 {
			vis, err := gm.cl.visible(id, ri, r.Bank)
			if err != nil {
				return err
			}
			if !vis {
				nd.i++
				return nil
			}
			if a := (skelAccess{ri: int32(ri), k: -1}); r.Read && !slices.Contains(nd.leads, a) {
				if err := gm.skelMake(nd, a, nil); err != nil {
					return err
				}
			}
			nd.j = 1
			if r.Write {
				nd.ws = gm.skeletonWrites(ri, s)
				if !nd.ws.ok {
					nd.wide = true
				}
			} else {
				nd.ws = &skelWrites{ok: true}
			}
			return nil
		}
		if k := nd.j - 1; k < len(nd.ws.vals) {
			nd.j++
			if a := (skelAccess{ri: int32(ri), k: int32(k)}); !slices.Contains(nd.leads, a) {
				return gm.skelMake(nd, a, nd.ws)
			}
			return nil
		}
		nd.i, nd.j, nd.ws = nd.i+1, 0, nil
	case 3:
		if nd.i == 2*len(gm.m.Streams) {
			nd.done = true
			return nil
		}
		p := gm.m.Streams[nd.i/2]
		read, buf := nd.i%2 == 0, gm.goal.bufIn
		if read {
			buf = gm.goal.bufOut
		}
		nd.i++
		if read && buf == "" {
			// A read into a scratch buffer, where a layout shows
			// (layout.go).
			if l, err := gm.m.ActiveLayout(p, s); err == nil && l != nil {
				buf = scratchName(l)
			}
		}
		if buf == "" || (read && !p.Read) || (!read && !p.Write) {
			return nil
		}
		if vis, err := gm.m.Visible(p.Bank, s); err != nil || !vis {
			return nil
		}
		next, viol, err := gm.m.StreamIO(s, p, read, term.P(buf, 0))
		if err != nil {
			return err
		}
		if viol == nil {
			gm.skelAdd(nd, gm.cl.intern(next), noAccess)
		}
	}
	return nil
}

// skelAdd adds the move to state next that access a made, unless next
// shows an event the contract does not name.
func (gm *game) skelAdd(nd *skelNode, next int32, a skelAccess) {
	if !gm.foreignAt(next) {
		nd.succ = append(nd.succ, gm.skelNum(next))
		nd.how = append(nd.how, a)
	}
}

// skelMake makes access a of nd (a write: the kth of ws).
func (gm *game) skelMake(nd *skelNode, a skelAccess, ws *skelWrites) error {
	ri, r := int(a.ri), gm.m.Regs[a.ri]
	var next int32
	var viol bool
	if a.k < 0 {
		rr, err := gm.cl.read(nd.id, ri, r)
		if err != nil {
			return err
		}
		next, viol = rr.next, rr.viol
	} else {
		w, err := gm.cl.write(nd.id, ws.acts[a.k], r, ws.vals[a.k])
		if err != nil {
			return err
		}
		next, viol = w.next, w.viol
	}
	if !viol {
		gm.skelAdd(nd, next, a)
	}
	return nil
}

// skelLead makes lead a in nd where it is one of nd's accesses: its
// register is visible, and a write is among those skeletonWrites lists
// there. (Past maxSkeletonWrites there are none: the register marks nd
// wide when its turn comes.)
func (gm *game) skelLead(nd *skelNode, a skelAccess) error {
	r := gm.m.Regs[a.ri]
	vis, err := gm.cl.visible(nd.id, int(a.ri), r.Bank)
	if err != nil || !vis {
		return err
	}
	if a.k < 0 {
		return gm.skelMake(nd, a, nil)
	}
	ws := gm.skeletonWrites(int(a.ri), gm.cl.recs[nd.id].s)
	if !ws.ok || int(a.k) >= len(ws.vals) {
		return nil
	}
	return gm.skelMake(nd, a, ws)
}

// skeletonRegs lists the registers an access of which can change a
// skeleton state: a read with a handler or a read-clear field, a write
// with a handler or a field skeletonWrites does not just write back (it
// writes the held value of a stored data field or a sliced one, and a
// field that is not stored keeps nothing). Any other access leads every
// state back to itself, which adds nothing to what a state reaches, and
// skipping it keeps the skeleton's cost independent of the registers no
// behaviour looks at.
func (gm *game) skeletonRegs() []int {
	de := gm.deadEnds()
	if de.regs != nil {
		return de.regs
	}
	regs := []int{}
	for ri, r := range gm.m.Regs {
		moves := r.Read && len(r.OnRead) > 0 || r.Write && len(r.OnWrite) > 0
		for _, f := range r.Fields {
			if r.Read && f.RC {
				moves = true
			}
			if !r.Write {
				continue
			}
			switch {
			case f.Trigger || f.W1C:
				moves = true
			case !f.Stored:
			case gm.m.Vars[f.Var].Width != f.Width:
				moves = true // written back resized
			case gm.m.Vars[f.Var].Finite && !gm.cl.isSliced(f.Var):
				moves = true
			}
		}
		if moves {
			regs = append(regs, ri)
		}
	}
	de.regs = regs
	return regs
}

// maxSkeletonWrites bounds the writes of one register the skeleton tries;
// past it the question is not asked (the state counts as alive).
const maxSkeletonWrites = 4096

// errTooWide stops a skeleton search that would need too many writes.
var errTooWide = errors.New("too many writes to enumerate")

// skelWrites are the writes of one register the skeleton tries, with
// their numbers (closer.writeAct).
type skelWrites struct {
	vals [][]*term.T
	acts []int32
	ok   bool // false: more than maxSkeletonWrites, not listed
}

// skeletonWrites lists the writes of register ri the skeleton tries in s:
// every finite candidate of every finite field, the held (or reset) value
// of the others; not ok if there are more than maxSkeletonWrites. The
// list depends on s only through the held values, and is made once per
// register and held values.
func (gm *game) skeletonWrites(ri int, s *model.State) *skelWrites {
	de := gm.deadEnds()
	r := gm.m.Regs[ri]
	if de.wfields == nil {
		de.wfields = make([][][]*term.T, len(gm.m.Regs))
		de.writes = map[string]*skelWrites{}
	}
	per := de.wfields[ri]
	if per == nil {
		// The candidates of each field; nil for a field that writes back
		// what it holds.
		per = make([][]*term.T, len(r.Fields))
		for i, f := range r.Fields {
			switch {
			case f.Stored && gm.cl.isSliced(f.Var):
			case f.W1C:
				per[i] = []*term.T{term.C(0, f.Width), term.C(1, f.Width)}
			case f.Trigger || (f.Stored && gm.m.Vars[f.Var].Finite):
				for _, v := range gm.finiteValues(f) {
					per[i] = append(per[i], term.C(v, f.Width))
				}
			case f.Stored:
			default:
				per[i] = []*term.T{term.C(f.Reset, f.Width)}
			}
		}
		de.wfields[ri] = per
	}
	held := make([]*term.T, len(r.Fields))
	kb := binary.LittleEndian.AppendUint32(make([]byte, 0, 4+4*len(r.Fields)), uint32(ri))
	for i, f := range r.Fields {
		if per[i] != nil {
			continue
		}
		if gm.cl.isSliced(f.Var) {
			held[i] = s.Val(f.Var)
		} else {
			held[i] = term.Resize(s.Val(f.Var), f.Width)
		}
		kb = binary.LittleEndian.AppendUint32(kb, held[i].ID())
	}
	if w, ok := de.writes[string(kb)]; ok {
		return w
	}
	w := &skelWrites{}
	de.writes[string(kb)] = w
	total := 1
	for _, cs := range per {
		total *= max(len(cs), 1)
	}
	if total > maxSkeletonWrites {
		return w
	}
	w.ok = true
	// Every combination, the last field varying fastest, in one backing
	// array.
	n := len(per)
	flat := make([]*term.T, total*n)
	idx := make([]int, n)
	for k := range total {
		vals := flat[k*n : (k+1)*n : (k+1)*n]
		for i, cs := range per {
			if cs == nil {
				vals[i] = held[i]
			} else {
				vals[i] = cs[idx[i]]
			}
		}
		w.vals = append(w.vals, vals)
		w.acts = append(w.acts, gm.cl.writeAct(ri, vals))
		for i := len(per) - 1; i >= 0; i-- {
			if idx[i]+1 < len(per[i]) {
				idx[i]++
				break
			}
			idx[i] = 0
		}
	}
	return w
}
