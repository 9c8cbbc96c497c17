package solve

import "fmt"

// moveMemo keeps the moves of one method's beliefs across the rounds of
// the idle fixpoint, so that a later round replays them instead of
// computing every read, write, closure and belief again (on vblk about
// four in ten of the last round's expansions are replays).
//
// Replaying is sound because a belief's moves do not depend on the idle
// invariant, the one thing that changes between rounds. The moves come
// from the belief's states, the contract (feeds, relevant variables, value
// classes) and the device, all fixed for the method. The invariant enters
// a game in three places, and none of them is replayed:
//
//   - the goal test: whether a belief is an end the contract accepts asks
//     whether each state lies in the invariant (goal.holds). It runs on
//     every expansion, before the memo is consulted; a belief that was no
//     goal in the last round may become one, and then has no moves.
//   - the dead-end search and the distance to idle (deadend.go, enable.go)
//     and the lower bound built on them: per game, recomputed each round.
//   - ranks and strategies: each round's game searches afresh.
//
// So a replayed belief gets exactly the edges a fresh expansion would
// give it, and the beliefs it creates, in the same order: the game's
// belief list, and hence its budget accounting and its strategy, are
// those of a game without the memo.
//
// The dead-end memo carries over too (deadEnds.nextRound): a skeleton
// state's moves do not depend on the invariant either, and one that gets
// back into it still does when it has grown.
type moveMemo struct {
	byKey map[string]*madeMoves
	de    *deadEnds
	// The memo's records come from these (see slab).
	madeSlab  slab[madeMoves]
	askedSlab slab[*Belief]
}

// madeMoves is one expansion: the beliefs it asked the game for, in
// order, and the edges it gave, whose outcomes point into the game that
// made them (matched by belief key on replay).
type madeMoves struct {
	asked []*Belief
	edges []*Edge
}

func newMoveMemo() *moveMemo { return &moveMemo{byKey: map[string]*madeMoves{}} }

// memoChecks, when a test sets it, makes every replay expand the belief
// afresh as well, panic if the two differ, and count itself here.
var memoChecks *int

// expandMoves gives n its moves: replayed from the memo when an earlier
// round expanded the same belief, computed otherwise.
func (gm *game) expandMoves(n *Node) error {
	if gm.memo == nil {
		return gm.expandFresh(n)
	}
	if mm := gm.memo.byKey[n.B.Key()]; mm != nil {
		if memoChecks != nil {
			gm.checkReplay(n, mm)
			*memoChecks++
			return nil
		}
		gm.replay(n, mm)
		return nil
	}
	gm.asking, gm.asked = true, gm.asked[:0]
	err := gm.expandFresh(n)
	gm.asking = false
	if err != nil {
		return err
	}
	mm := gm.memo.madeSlab.one()
	*mm = madeMoves{asked: append(gm.memo.askedSlab.run(len(gm.asked))[:0], gm.asked...), edges: n.Edges}
	gm.memo.byKey[n.B.Key()] = mm
	return nil
}

func (gm *game) replay(n *Node, mm *madeMoves) {
	for _, b := range mm.asked {
		gm.node(b, n.depth+1)
	}
	outs := map[*Outcome]*Outcome{} // variants of a poll share outcomes
	n.Edges = gm.edgePtrSlab.run(len(mm.edges))[:0]
	for _, e := range mm.edges {
		ne := gm.edgeSlab.one()
		*ne = Edge{Act: e.Act, Loop: e.Loop, LoopWhy: e.LoopWhy, Outs: gm.outPtrSlab.run(len(e.Outs))}
		for i, o := range e.Outs {
			no := outs[o]
			if no == nil {
				no = gm.outSlab.one()
				*no = Outcome{Obs: o.Obs, Next: gm.nodeOf(o.Next.B), Loop: o.Loop}
				outs[o] = no
			}
			ne.Outs[i] = no
		}
		n.Edges = append(n.Edges, ne)
	}
}

// checkReplay expands n afresh and panics unless the replay of mm would
// have given the same beliefs, in the same order, and the same edges.
func (gm *game) checkReplay(n *Node, mm *madeMoves) {
	gm.asking, gm.asked = true, gm.asked[:0]
	err := gm.expandFresh(n)
	gm.asking = false
	if err != nil {
		panic(fmt.Sprintf("move memo: a replayed belief fails afresh: %v", err))
	}
	fail := func(what string, args ...any) {
		panic(fmt.Sprintf("move memo: belief %d: ", n.ID) + fmt.Sprintf(what, args...))
	}
	if len(gm.asked) != len(mm.asked) {
		fail("asked for %d beliefs afresh, %d remembered", len(gm.asked), len(mm.asked))
	}
	for i, b := range gm.asked {
		if b.Key() != mm.asked[i].Key() {
			fail("belief %d asked differs", i)
		}
	}
	if len(n.Edges) != len(mm.edges) {
		fail("%d edges afresh, %d remembered", len(n.Edges), len(mm.edges))
	}
	for i, e := range n.Edges {
		r := mm.edges[i]
		if e.Act.String() != r.Act.String() || e.Loop != r.Loop || len(e.Outs) != len(r.Outs) || len(e.LoopWhy) != len(r.LoopWhy) {
			fail("edge %d: %s afresh, %s remembered", i, e.Act, r.Act)
		}
		for j, o := range e.Outs {
			ro := r.Outs[j]
			if o.Loop != ro.Loop || o.Next.B.Key() != ro.Next.B.Key() || fmt.Sprint(o.Obs) != fmt.Sprint(ro.Obs) {
				fail("edge %d (%s): outcome %d differs", i, e.Act, j)
			}
		}
	}
}

// nextRound is the memo of a game of the same method against a larger
// idle invariant: the skeleton and its moves stay, and so does every state
// found alive (a way back into the invariant is one into any invariant
// that contains it); a dead end may have a way back now and is asked
// again.
func (de *deadEnds) nextRound() *deadEnds {
	for _, status := range de.status {
		for x, st := range status {
			if st == skelDead {
				status[x] = skelUnknown
			}
		}
	}
	return de
}
