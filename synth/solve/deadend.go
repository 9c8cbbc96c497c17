package solve

import (
	"encoding/binary"
	"errors"

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
// finite), by a depth-first search over every move the game offers, and
// answered once per skeleton state: when the search fails, every state it
// visited is a dead end too, as each of them reaches only states it
// visited. A state's moves are made one at a time, as the search asks for
// them: most states get back in a move or two, and the search then never
// pays for the writes it did not try.

const (
	skelUnknown int8 = iota
	skelAlive
	skelDead
)

// deadEnds is a game's memo of the skeleton question.
type deadEnds struct {
	proj map[int32]int32 // state -> its skeleton state
	// regs are the registers an access of which can change a skeleton
	// state (skeletonRegs).
	regs []int
	// nodes are the skeleton states the search has entered, with the
	// moves made from them so far.
	nodes map[int32]*skelNode
	// wfields and writes memoize skeletonWrites: the candidates of each
	// register's fields, and the writes per register and held values.
	wfields [][][]*term.T
	writes  map[string]*skelWrites
	// status: skeleton state -> alive or dead, with faults as a way out
	// ([0]) and without ([1]).
	status [2]map[int32]int8
	// Scratch of one search (deadEnd), reused by the next: each visited
	// state's place in order, the visited states in order, the stack,
	// and for decideVisited the predecessors of each visited state (by
	// place: preds[predAt[i]:predAt[i+1]]), a cursor or queue, and which
	// are alive.
	place  map[int32]int32
	order  []int32
	stack  []skelFrame
	predAt []int32
	preds  []int32
	cursor []int32
	alive  []bool
	// The skeleton nodes and their moves come from these (see slab).
	nodeSlab slab[skelNode]
	succSlab slab[int32]
}

// skelFrame is a state on deadEnd's stack and its next move to follow.
type skelFrame struct {
	nd   *skelNode
	next int
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

// deadEnd answers the skeleton question; with faults false, only a way
// back into the idle invariant counts (what a method that is to reach its
// goal needs).
//
// The search is depth first and stops at the first state known to get
// back. Every state it visited is then decided, so that no later question
// explores it again: a visited state with a path to that state, along
// the moves the search made, is alive; one whose every move the search
// followed without getting back reaches only states it visited, none of
// them alive, and is dead. A state with a register whose writes are too
// many to enumerate counts as alive (the question is not asked there:
// claim nothing).
func (gm *game) deadEnd(id int32, faults bool) (bool, error) {
	if gm.goal.idle == nil || gm.cl.exhaustive {
		return false, nil
	}
	start := gm.skeleton(id)
	status := gm.de.status[0]
	if !faults {
		status = gm.de.status[1]
	}
	switch status[start] {
	case skelAlive:
		return false, nil
	case skelDead:
		return true, nil
	}
	if gm.skeletonHome(start, faults) {
		status[start] = skelAlive
		return false, nil
	}
	de := gm.de
	if de.place == nil {
		de.place = map[int32]int32{}
	}
	clear(de.place)
	de.place[start] = 0
	de.order = append(de.order[:0], start)
	de.stack = append(de.stack[:0], skelFrame{nd: gm.skelNode(start)})
	for len(de.stack) > 0 {
		top := &de.stack[len(de.stack)-1]
		x, ok, err := gm.skelSucc(top.nd, top.next)
		switch {
		case errors.Is(err, errTooWide):
			gm.decideVisited(top.nd.id, status)
			return false, nil
		case err != nil:
			return false, err
		case !ok:
			de.stack = de.stack[:len(de.stack)-1]
			continue
		}
		top.next++
		if _, seen := de.place[x]; seen || status[x] == skelDead {
			continue
		}
		de.place[x] = int32(len(de.order))
		de.order = append(de.order, x)
		if status[x] == skelAlive || gm.skeletonHome(x, faults) {
			gm.decideVisited(x, status)
			return false, nil
		}
		de.stack = append(de.stack, skelFrame{nd: gm.skelNode(x)})
	}
	for _, x := range de.order {
		status[x] = skelDead
	}
	return true, nil
}

// decideVisited decides every state deadEnd's search visited, once x is
// known alive: those with a path to x along the moves made are alive, and
// those whose moves were all followed are dead.
func (gm *game) decideVisited(x int32, status map[int32]int8) {
	de := gm.de
	n := len(de.order)
	// The predecessors of each visited state among the visited, by place:
	// counted, then placed by moving each state's cursor (de.cursor).
	de.predAt = append(de.predAt[:0], make([]int32, n+1)...)
	gm.visitedMoves(func(_, zi int32) { de.predAt[zi+1]++ })
	for i := range n {
		de.predAt[i+1] += de.predAt[i]
	}
	de.preds = append(de.preds[:0], make([]int32, de.predAt[n])...)
	de.cursor = append(de.cursor[:0], de.predAt[:n]...)
	gm.visitedMoves(func(yi, zi int32) {
		de.preds[de.cursor[zi]] = yi
		de.cursor[zi]++
	})
	alive := append(de.alive[:0], make([]bool, n)...)
	xi := de.place[x]
	alive[xi] = true
	queue := append(de.cursor[:0], xi) // the cursors are done with
	for head := 0; head < len(queue); head++ {
		zi := queue[head]
		for _, yi := range de.preds[de.predAt[zi]:de.predAt[zi+1]] {
			if !alive[yi] {
				alive[yi] = true
				queue = append(queue, yi)
			}
		}
	}
	de.alive, de.cursor = alive, queue
	for yi, y := range de.order {
		switch {
		case alive[yi]:
			status[y] = skelAlive
		case de.nodes[y].done:
			status[y] = skelDead // left for good: see deadEnd
		}
	}
}

// visitedMoves calls f with the places of both ends of every move made
// between two states deadEnd's search visited.
func (gm *game) visitedMoves(f func(from, to int32)) {
	de := gm.de
	for yi, y := range de.order {
		if nd := de.nodes[y]; nd != nil {
			for _, z := range nd.succ {
				if zi, ok := de.place[z]; ok {
					f(int32(yi), zi)
				}
			}
		}
	}
}

// deadEnds is the game's memo, made on first use.
func (gm *game) deadEnds() *deadEnds {
	if gm.de == nil {
		gm.de = newDeadEnds(map[int32]int32{})
	}
	return gm.de
}

// newDeadEnds is an empty memo that projects states through proj, which
// depends only on the device and may be shared by every game of a
// synthesis.
func newDeadEnds(proj map[int32]int32) *deadEnds {
	return &deadEnds{proj: proj, nodes: map[int32]*skelNode{}, status: [2]map[int32]int8{{}, {}}}
}

// skeleton is the state id with its data forgotten and its events cleared
// (but for the mark of a failure the device chose).
func (gm *game) skeleton(id int32) int32 {
	if sk, ok := gm.deadEnds().proj[id]; ok {
		return sk
	}
	s := gm.cl.recs[id].s
	// The entry state keeps the finite values and holds every data
	// variable at its entry value, sharing that part between all states:
	// the cost does not grow with the data variables.
	c := &gm.cl.scratchState // intern keeps a copy if it is new
	gm.m.EntryStateTo(c, s)
	if s.HasEvent(failureMark) {
		gm.cl.markFailure(c) // a fault may end the method
	}
	sk := gm.cl.intern(c)
	gm.de.proj[id] = sk
	gm.de.proj[sk] = sk
	return sk
}

// skeletonHome reports whether skeleton state id is in the idle invariant
// or shows a fault the device chose.
func (gm *game) skeletonHome(id int32, faults bool) bool {
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
func (gm *game) skeletonMoves(id int32) ([]int32, error) {
	nd := gm.skelNode(id)
	for i := len(nd.succ); ; i++ {
		if _, ok, err := gm.skelSucc(nd, i); err != nil || !ok {
			return nd.succ, err
		}
	}
}

// skelNode is a skeleton state and the moves made from it so far: the
// cursor says which move comes next, in the order skeletonMoves lists
// them (device moves, then per register of skeletonRegs its read and its
// writes, then stream transfers).
type skelNode struct {
	id   int32
	succ []int32
	done bool
	wide bool // a register's writes are too many to enumerate
	// phase 0: device moves, 1: registers, 2: streams; i indexes them,
	// j the access within one (register: 0 its read, k+1 its kth write;
	// stream: the direction).
	phase, i, j int
	ws          *skelWrites
}

func (gm *game) skelNode(id int32) *skelNode {
	de := gm.deadEnds()
	nd := de.nodes[id]
	if nd == nil {
		nd = de.nodeSlab.one()
		nd.id = id
		de.nodes[id] = nd
	}
	return nd
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
	add := func(next int32) {
		if !gm.foreignAt(next) {
			nd.succ = append(gm.de.succSlab.room(nd.succ, 4), gm.skeleton(next))
		}
	}
	s := gm.cl.recs[id].s
	switch nd.phase {
	case 0:
		moves, err := gm.cl.moves(id)
		if err != nil {
			return err
		}
		if nd.i < len(moves) {
			add(moves[nd.i].next)
			nd.i++
			return nil
		}
		nd.phase, nd.i, nd.j = 1, 0, 0
	case 1:
		regs := gm.skeletonRegs()
		if nd.i == len(regs) {
			nd.phase, nd.i, nd.j = 2, 0, 0
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
			if r.Read {
				rr, err := gm.cl.read(id, ri, r)
				if err != nil {
					return err
				}
				if !rr.viol {
					add(rr.next)
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
			w, err := gm.cl.write(id, nd.ws.acts[k], r, nd.ws.vals[k])
			if err != nil {
				return err
			}
			if !w.viol {
				add(w.next)
			}
			nd.j++
			return nil
		}
		nd.i, nd.j, nd.ws = nd.i+1, 0, nil
	case 2:
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
		next := &gm.cl.scratchState // intern keeps a copy if it is new
		viol, err := gm.m.StreamIOTo(next, s, p, read, term.P(buf, 0))
		if err != nil {
			return err
		}
		if viol == nil {
			add(gm.cl.intern(next))
		}
	}
	return nil
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
