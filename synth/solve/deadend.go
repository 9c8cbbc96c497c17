package solve

import (
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
// visited.

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
	// status: skeleton state -> alive or dead, with faults as a way out
	// ([0]) and without ([1]).
	status [2]map[int32]int8
}

// isDead reports whether state id can never get back into the idle
// invariant nor end in a fault the device chose.
func (gm *game) isDead(id int32) (bool, error) { return gm.deadEnd(id, true) }

// deadEnd answers the skeleton question; with faults false, only a way
// back into the idle invariant counts (what a method that is to reach its
// goal needs).
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
	// Depth-first, with the path on a stack, so that a success marks the
	// states that led to it alive.
	type frame struct {
		id   int32
		succ []int32
		next int
	}
	visited := map[int32]bool{start: true}
	var stack []frame
	push := func(x int32) error {
		succ, err := gm.skeletonMoves(x)
		if errors.Is(err, errTooWide) {
			status[start] = skelAlive // not asked: claim nothing
			return err
		}
		if err != nil {
			return err
		}
		stack = append(stack, frame{id: x, succ: succ})
		return nil
	}
	if gm.skeletonHome(start, faults) {
		status[start] = skelAlive
		return false, nil
	}
	if err := push(start); err != nil {
		return false, ignoreWide(err)
	}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next == len(top.succ) {
			stack = stack[:len(stack)-1]
			continue
		}
		x := top.succ[top.next]
		top.next++
		if visited[x] || status[x] == skelDead {
			continue
		}
		visited[x] = true
		if status[x] == skelAlive || gm.skeletonHome(x, faults) {
			status[x] = skelAlive
			for _, f := range stack {
				status[f.id] = skelAlive
			}
			return false, nil
		}
		if err := push(x); err != nil {
			return false, ignoreWide(err)
		}
	}
	for x := range visited {
		status[x] = skelDead
	}
	return true, nil
}

// deadEnds is the game's memo, made on first use.
func (gm *game) deadEnds() *deadEnds {
	if gm.de == nil {
		gm.de = &deadEnds{proj: map[int32]int32{}, status: [2]map[int32]int8{{}, {}}}
	}
	return gm.de
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
	c := gm.m.EntryState(s)
	if hasEvent(s, failureMark) {
		c.Emit(model.Event{Name: failureMark}) // a fault may end the method
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
	if !faults || !hasEvent(gm.cl.recs[id].s, failureMark) {
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
	var out []int32
	add := func(next int32) {
		if !gm.goal.emitsForeign1(gm.cl.recs[next].s) {
			out = append(out, gm.skeleton(next))
		}
	}
	moves, err := gm.cl.moves(id)
	if err != nil {
		return nil, err
	}
	for _, mv := range moves {
		add(mv.next)
	}
	s := gm.cl.recs[id].s
	for _, ri := range gm.skeletonRegs() {
		r := gm.m.Regs[ri]
		vis, err := gm.cl.visible(id, ri, r.Bank)
		if err != nil {
			return nil, err
		}
		if !vis {
			continue
		}
		if r.Read {
			rr, err := gm.cl.read(id, ri, r)
			if err != nil {
				return nil, err
			}
			if !rr.viol {
				add(rr.next)
			}
		}
		if !r.Write {
			continue
		}
		writes, ok := gm.skeletonWrites(r, s)
		if !ok {
			return nil, errTooWide
		}
		for _, vals := range writes {
			w, err := gm.cl.write(id, gm.cl.writeAct(ri, vals), r, vals)
			if err != nil {
				return nil, err
			}
			if !w.viol {
				add(w.next)
			}
		}
	}
	for _, p := range gm.m.Streams {
		for _, dir := range []struct {
			read bool
			buf  string
		}{{true, gm.goal.bufOut}, {false, gm.goal.bufIn}} {
			if dir.read && dir.buf == "" {
				// A read into a scratch buffer, where a layout shows
				// (layout.go).
				if l, err := gm.m.ActiveLayout(p, s); err == nil && l != nil {
					dir.buf = scratchName(l)
				}
			}
			if dir.buf == "" || (dir.read && !p.Read) || (!dir.read && !p.Write) {
				continue
			}
			if vis, err := gm.m.Visible(p.Bank, s); err != nil || !vis {
				continue
			}
			next, viol, err := gm.m.StreamIO(s, p, dir.read, term.P(dir.buf, 0))
			if err != nil {
				return nil, err
			}
			if viol == nil {
				add(gm.cl.intern(next))
			}
		}
	}
	return out, nil
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

// skeletonWrites lists the writes of r the skeleton tries in s: every
// finite candidate of every finite field, the held (or reset) value of the
// others; false if there are more than maxSkeletonWrites.
func (gm *game) skeletonWrites(r *model.Reg, s *model.State) ([][]*term.T, bool) {
	per := make([][]*term.T, len(r.Fields))
	for i, f := range r.Fields {
		switch {
		case f.Stored && gm.cl.isSliced(f.Var):
			per[i] = []*term.T{s.Val(f.Var)}
		case f.Trigger || f.W1C || (f.Stored && gm.m.Vars[f.Var].Finite):
			for _, v := range gm.finiteValues(f) {
				per[i] = append(per[i], term.C(v, f.Width))
			}
			if f.W1C {
				per[i] = []*term.T{term.C(0, f.Width), term.C(1, f.Width)}
			}
		case f.Stored:
			per[i] = []*term.T{term.Resize(s.Val(f.Var), f.Width)}
		default:
			per[i] = []*term.T{term.C(f.Reset, f.Width)}
		}
	}
	total := 1
	for _, cs := range per {
		total *= len(cs)
	}
	if total > maxSkeletonWrites {
		return nil, false
	}
	// Every combination, in the order of nested loops over per (the last
	// field fastest), in one backing array.
	n := len(per)
	flat := make([]*term.T, total*n)
	combos := make([][]*term.T, total)
	for k := range combos {
		combos[k] = flat[k*n : (k+1)*n : (k+1)*n]
		rest := k
		for i := n - 1; i >= 0; i-- {
			combos[k][i] = per[i][rest%len(per[i])]
			rest /= len(per[i])
		}
	}
	return combos, true
}

func ignoreWide(err error) error {
	if errors.Is(err, errTooWide) {
		return nil
	}
	return err
}
