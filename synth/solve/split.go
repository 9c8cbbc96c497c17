package solve

import (
	"slices"

	"github.com/drvsynth/drvsynth/synth/term"
)

// Beliefs whose states need different accesses. Every term of
// beliefBound holds for some state of the belief, and different terms may
// hold for different states: where one state needs registers A and B
// written and another C and D, the sum is four, but a read that tells the
// two apart and two writes cost three (testdata/devices/minipanel). The
// sum is admissible only for a strategy that never tells the states
// apart.
//
// The argument. Only a register read has more than one outcome (writes,
// stream transfers and layout reads have one), so a strategy from belief B
// is a chain of single-outcome moves up to its first read with several
// outcomes, or to its end. A chain that ends without one serves every
// state of B on one path: beliefBound is admissible for it. Otherwise that
// read r is on the path of every state s of B, and that path, a strategy
// from the belief closed from s alone (a subset of B), has all the accesses
// beliefBound(close(s)) counts, and r besides unless r may be one of them.
// So the cost from B is at least
//
//	min(beliefBound(B), max over s of beliefBound(close(s)) + [r not counted]),
//
// and r, unknown, is a read every state with the largest bound may have
// counted, when there is one (a read of a register all of them must
// touch); otherwise it is one more access. Where every state needs the
// same accesses (most beliefs of the bundled devices), the per-state bounds
// are the belief's and the cap changes nothing.

// stateBound is beliefBound of the belief closed from one state.
type stateBound struct {
	h     int
	reads countedReads
}

// splitBound is the cost of a strategy from n that tells some of its
// states apart (see above), or at least limit when that is not less than
// limit.
func (gm *game) splitBound(n *Node, limit int) int {
	top := -1
	var common countedReads // the reads every state with the largest bound may have counted
	for _, id := range n.B.ids {
		sb := gm.stateBound(id, n)
		switch {
		case sb.h >= limit:
			return sb.h // no cap: the first state looked at is usually enough
		case sb.h > top:
			top, common = sb.h, sb.reads
		case sb.h == top:
			common = common.meet(sb.reads)
		}
	}
	if common.any || len(common.regs) > 0 {
		return top
	}
	return top + 1
}

// meet is the reads both c and d may have counted.
func (c countedReads) meet(d countedReads) countedReads {
	switch {
	case c.any:
		return d
	case d.any:
		return c
	}
	out := countedReads{}
	for _, ri := range c.regs {
		if slices.Contains(d.regs, ri) {
			out.regs = append(out.regs, ri)
		}
	}
	return out
}

// stateBound computes, once per state, beliefBound of the belief closed
// from state id; an error goes to n.
func (gm *game) stateBound(id int32, n *Node) stateBound {
	b := gm.bounds()
	b.single = grown(b.single, int(id))
	if k := b.single[id]; k > 0 {
		return b.singles[k-1]
	}
	ids, err := gm.cl.close([]int32{id})
	if err != nil {
		if n.err == nil {
			n.err = err
		}
		return stateBound{h: 0} // claim nothing
	}
	one := &Node{B: gm.cl.newBeliefIDs(ids, map[string]*term.T{}), h: -1}
	var sb stateBound
	sb.h, sb.reads = gm.beliefBound(one)
	if len(sb.reads.regs) > 0 {
		sb.reads.regs = slices.Clone(sb.reads.regs) // beliefBound's scratch
	} else {
		sb.reads.regs = nil
	}

	if one.err != nil && n.err == nil {
		n.err = one.err
	}
	b.singles = append(b.singles, sb)
	b.single[id] = int32(len(b.singles))
	return sb
}
