package solve

import (
	"errors"
	"slices"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// The idle invariant grows round by round (SynthesizeWith): a method
// solved against it may end in states it does not hold yet (a fault that
// leaves ERR set, a write that leaves the cache dirty), and those join it.
// Solving a method optimally is the expensive step, and every solve
// against an invariant that later grows is thrown away: on the ATA disk
// three of every four seconds went to such solves.
//
// So before a method is solved again, the invariant is grown by playing
// the strategies the methods already have from it as it is now: a
// strategy that was optimal against a smaller invariant still tells, from
// the states added since, what the device may be left in. Only once no
// strategy leaves the invariant is the next method solved optimally
// against it; the fixpoint is reached when every method's optimal
// strategy against the invariant ends inside it, which is what the
// invariant is for.
//
// Playing a strategy afresh is cheap (one expansion per belief the
// strategy passes through, most of them replayed from the move memo), and
// it neither depends on the belief budget nor fails: where the old
// strategy has no move or no answer for what a new state shows, that
// branch simply adds nothing, and the optimal solve that follows finds
// what it leads to.

// replayEnds plays st, a strategy of a method held to the idle invariant,
// from every state of idle, and returns the states it may leave the device
// in: those of the goals and faults it reaches. A branch where st has no
// move, or no outcome for what the device shows, contributes nothing.
func replayEnds(m *model.Model, cl *closer, st *Strategy, consts map[string][]uint64, idle map[string]*model.State, free map[string][]int, carried []bool, gs *games) ([]*model.State, error) {
	var out []*model.State
	for ; st != nil; st = tailOf(st) {
		ends, err := replayOne(m, cl, st, consts, idle, free, carried, gs)
		if err != nil {
			return nil, err
		}
		out = append(out, ends...)
	}
	return out, nil
}

func tailOf(st *Strategy) *Strategy {
	if st.Sectors == nil {
		return nil
	}
	return st.Sectors.Tail
}

// replayOne is replayEnds of st alone (not its sector loop's tail).
func replayOne(m *model.Model, cl *closer, st *Strategy, consts map[string][]uint64, idle map[string]*model.State, free map[string][]int, carried []bool, gs *games) ([]*model.State, error) {
	_, piece, g, _, _, err := methodGame(m, st.Method, idle, free, carried)
	if err != nil {
		return nil, err
	}
	ids := make([]int32, 0, len(idle))
	for _, k := range sortedKeys(idle) {
		ids = append(ids, cl.intern(idle[k]))
	}
	closed, err := cl.close(ids)
	if err != nil {
		return nil, err
	}
	gm := newGame(m, cl, g, consts)
	gm.memo = gs.memo(contractKey(piece, g))
	start := gm.node(cl.newBeliefIDs(closed, map[string]*term.T{}), 0)
	var ends []*model.State
	type pair struct{ old, now *Node }
	seen := map[pair]bool{}
	var walk func(old, now *Node) error
	walk = func(old, now *Node) error {
		if seen[pair{old, now}] {
			return nil
		}
		seen[pair{old, now}] = true
		if !now.done {
			now.done = true
			gm.expanded++
			if err := gm.expand(now); err != nil {
				return err
			}
		}
		if now.Goal || now.Fault != nil {
			ends = append(ends, now.B.States...)
			return nil
		}
		if old.Best == nil {
			return nil // old stops here, and the method would not
		}
		e := sameMove(now, old.Best)
		if e == nil {
			return nil
		}
		for _, o := range e.Outs {
			if o.Loop {
				continue
			}
			if prev := sameOutcome(old.Best, o); prev != nil {
				if err := walk(prev.Next, o.Next); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(st.Starts[0], start); err != nil {
		return nil, err
	}
	tracef("%s idle=%d: replayed its strategy through %d beliefs, %d ends", st.Method.Name, len(idle), len(seen), len(ends))
	return ends, nil
}

// sameMove is n's edge that makes the move of e: the same access with the
// same values, chosen for the same reasons.
func sameMove(n *Node, e *Edge) *Edge {
	want := moveKey(e.Act)
	for _, x := range n.Edges {
		if moveKey(x.Act) == want {
			return x
		}
	}
	return nil
}

func moveKey(a *Action) string {
	k := a.String()
	for _, c := range a.Vals {
		k += "|" + c.Why
	}
	return k
}

// sameOutcome is e's outcome that sees what o sees.
func sameOutcome(e *Edge, o *Outcome) *Outcome {
	for _, x := range e.Outs {
		if !x.Loop && slices.Equal(x.Obs, o.Obs) {
			return x
		}
	}
	return nil
}

// replayable reports whether st can be played again from a grown
// invariant by replayEnds: one start, held to the invariant (a streaming
// method's elements are not, and its starts between elements come from
// the game).
func replayable(st *Strategy) bool {
	return st != nil && st.Elem == nil && len(st.Starts) == 1
}

// nextToSolve picks the method to solve against the invariant of size n:
// first, in class order, one whose game no method has solved yet (until it
// is, its strategy cannot be replayed, and the invariant may lack what it
// leaves); then one not solved against this invariant. Methods that pose
// one game (share.go) count as one: WriteSectorsFUA on the ATA disk waits
// for the invariant WriteSectors will be solved against last, instead of
// paying for a game of its own against one that will still grow.
func nextToSolve(methods []*dsl.Method, game map[*dsl.Method]string, solvedAt map[*dsl.Method]int, n int) *dsl.Method {
	played := map[string]bool{}
	for meth := range solvedAt {
		played[game[meth]] = true
	}
	for _, meth := range methods {
		if !played[game[meth]] {
			return meth
		}
	}
	for _, meth := range methods {
		if at, ok := solvedAt[meth]; !ok || at != n {
			return meth
		}
	}
	return nil
}

// roundsFixpoint is the idle fixpoint solved the plain way: every method,
// in class order, against the invariant as it stands, round after round
// until a round adds nothing. With reuse, a method is not solved again
// against the invariant it was last solved against (it only grows, so an
// unchanged size is an unchanged game). latest receives each method's
// strategies; the result is the last round's.
func roundsFixpoint(methods []*dsl.Method, latest map[*dsl.Method]*Strategy, idle map[string]*model.State, reuse bool,
	addEnds func([]*model.State) error, solve func(*dsl.Method) (*Strategy, error)) ([]*Strategy, error) {
	solvedAt := map[*dsl.Method]int{}
	var final []*Strategy
	for round := 0; ; round++ {
		if round > 50 {
			return nil, errNoConvergence
		}
		final = final[:0]
		before := len(idle)
		for _, meth := range methods {
			if at, ok := solvedAt[meth]; ok && at == len(idle) && reuse {
				final = append(final, latest[meth])
				continue
			}
			solvedAt[meth] = len(idle)
			st, err := solve(meth)
			if err != nil {
				return nil, err
			}
			latest[meth] = st
			if err := addEnds(st.endStates()); err != nil {
				return nil, err
			}
			final = append(final, st)
		}
		if len(idle) == before {
			return final, nil
		}
	}
}

// replayFixpoint is the idle fixpoint grown by replaying strategies (see
// the top of this file): before each optimal solve, every strategy not yet
// played from the invariant as it stands is played from it, until none
// leaves it; then the first method, in class order, not solved against
// the invariant is solved. It ends when every method's strategy was
// solved against the invariant as it stands and ends in it.
func replayFixpoint(methods []*dsl.Method, game map[*dsl.Method]string, latest map[*dsl.Method]*Strategy, idle map[string]*model.State,
	addEnds func([]*model.State) error, solve func(*dsl.Method) (*Strategy, error),
	replay func(*Strategy) ([]*model.State, error)) ([]*Strategy, error) {
	solvedAt := map[*dsl.Method]int{}   // the size of the invariant each was last solved against
	replayedAt := map[*dsl.Method]int{} // and last replayed from
	for steps := 0; ; steps++ {
		if steps > 50*len(methods) {
			return nil, errNoConvergence
		}
		for grown := true; grown; {
			grown = false
			for _, meth := range methods {
				st, n := latest[meth], len(idle)
				if !replayable(st) || solvedAt[meth] == n || replayedAt[meth] == n {
					continue
				}
				replayedAt[meth] = n
				ends, err := replay(st)
				if err != nil {
					return nil, err
				}
				if err := addEnds(ends); err != nil {
					return nil, err
				}
				grown = grown || len(idle) > n
			}
		}
		meth := nextToSolve(methods, game, solvedAt, len(idle))
		if meth == nil {
			break
		}
		solvedAt[meth] = len(idle)
		st, err := solve(meth)
		if err != nil {
			return nil, err
		}
		latest[meth] = st
		if err := addEnds(st.endStates()); err != nil {
			return nil, err
		}
	}
	final := make([]*Strategy, len(methods))
	for i, meth := range methods {
		final[i] = latest[meth]
	}
	return final, nil
}

// optimalSolves, when a test sets it, records each method replayFixpoint
// solves optimally, as "Method@size of the invariant".
var optimalSolves *[]string

var errNoConvergence = errors.New("the idle invariant did not converge")
