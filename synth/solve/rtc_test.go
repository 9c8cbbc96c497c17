package solve

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// rtcReadTimeGame sets up the MC146818's ReadTime game (rtcMethodGame).
func rtcReadTimeGame(t testing.TB) (*game, *Node) {
	t.Helper()
	return rtcMethodGame(t, "ReadTime")
}

// rtcMethodGame sets up the game of the MC146818's method name as the
// synthesis does: Init needs no access (the reset state already runs), so
// the idle invariant is the reset state and everything the device does
// from there.
func rtcMethodGame(t testing.TB, name string) (*game, *Node) {
	t.Helper()
	m, err := model.Load("../../devices/mc146818/mc146818.dev")
	require.NoError(t, err)
	cl := newCloser(m)
	cl.maxNodes, cl.depth = DefaultMaxBeliefs, deepening
	carried := carriedVars(m)
	var meth *dsl.Method
	for _, mt := range m.Methods {
		if mt.Name == name {
			meth = mt
		}
	}
	require.NotNil(t, meth, "method %s", name)
	g, _, _, err := methodGoal(m, meth, false)
	require.NoError(t, err)
	g.idle, g.carried = map[string]bool{}, carried
	g.idleSig = func(s *model.State) string { return idleSig(m, carried, s) }
	reset, err := cl.close([]int32{cl.intern(m.Reset())})
	require.NoError(t, err)
	idle := map[string]*model.State{}
	for _, id := range reset {
		s := cl.recs[id].s
		idle[m.FiniteKey(s)] = entryState(m, s)
	}
	// In key order, as solveMethod takes them: the search is then the same
	// on every run.
	keys := make([]string, 0, len(idle))
	for k := range idle {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ids []int32
	for _, k := range keys {
		s := idle[k]
		g.idle[g.idleSig(s)] = true
		g.idleStates = append(g.idleStates, s)
		ids = append(ids, cl.intern(s))
	}
	require.NoError(t, g.deriveFeeds(m))
	g.relevant = relevantVars(m, g)
	start, err := cl.close(ids)
	require.NoError(t, err)
	gm := newGame(m, cl, g, specConsts(m))
	return gm, gm.node(cl.newBeliefIDs(start, map[string]*term.T{}), 0)
}

// TestRTCReadTimeTakesTwentyAccesses pins the cost of a UIP-safe ReadTime:
// no strategy of 19 accesses or fewer exists (the search refutes every
// budget up to 19 within a few hundred beliefs), and the one a careful
// engineer writes wins the game in 20: stop the divider, wait until UIP
// reads 0 (no update can start now), learn the format from REGB, read the
// six time bytes, start the divider again and put the index back. Every
// read of a time byte happens where no update can be copying it: the game
// only offers a read when no state of the belief breaks its require.
func TestRTCReadTimeTakesTwentyAccesses(t *testing.T) {
	gm, start := rtcReadTimeGame(t)
	for budget := gm.lowerBound(start); budget <= 19; budget++ {
		require.Equal(t, inf, gm.search(start, budget), "a strategy of %d accesses", budget)
	}
	require.Less(t, len(gm.list), 2000, "refuting budgets up to 19 should take few beliefs")

	path := []string{
		"write INDEX {ADDR=10'7", "write REGA {RS=6'4 DV=0'3}", "read REGA_STATUS (looking at UIP)",
		"write INDEX {ADDR=11'7", "read REGB",
		"write INDEX {ADDR=9'7", "read YEAR", "write INDEX {ADDR=8'7", "read MONTH",
		"write INDEX {ADDR=7'7", "read DAY_OF_MONTH", "write INDEX {ADDR=4'7", "read HOURS",
		"write INDEX {ADDR=2'7", "read MINUTES", "write INDEX {ADDR=0'7", "read SECONDS",
		"write INDEX {ADDR=10'7", "write REGA {RS=6'4 DV=2'3}", "write INDEX {ADDR=0'7",
	}
	n := start
	for i, step := range path {
		if !n.done {
			n.done = true
			require.NoError(t, gm.expand(n))
		}
		require.False(t, n.Goal, "won before step %d", i)
		// The bound never exceeds what this strategy still needs.
		require.LessOrEqual(t, gm.lowerBound(n), len(path)-i, "bound at step %d (%s)", i, step)
		var next *Node
		for _, e := range n.Edges {
			if !strings.HasPrefix(e.Act.String(), step) {
				continue
			}
			for _, o := range e.Outs {
				// A poll goes on while UIP reads 1; it ends on 0.
				if !o.Loop && (len(o.Obs) == 0 || o.Obs[0] == 0) {
					next = o.Next
				}
			}
			if next != nil {
				break
			}
		}
		require.NotNil(t, next, "step %d: the game offers no %s", i, step)
		n = next
	}
	require.NoError(t, gm.expand(n))
	require.True(t, n.Goal, "the 20 accesses do not win ReadTime")
}

// TestRTCBoundAfterTheEvent: a driver that reads the seconds first has
// made the device emit observed with the other five time bytes and the
// format still unread. The bound counts those reads (and the bank writes
// to reach them) instead of only the restores, and stays admissible: the
// search finds the rest in 15 accesses, the same 20 in all.
func TestRTCBoundAfterTheEvent(t *testing.T) {
	gm, start := rtcReadTimeGame(t)
	n := start
	for i, step := range []string{"write INDEX {ADDR=10'7", "write REGA {RS=6'4 DV=0'3}",
		"read REGA_STATUS (looking at UIP)", "write INDEX {ADDR=0'7", "read SECONDS"} {
		if !n.done {
			n.done = true
			require.NoError(t, gm.expand(n))
		}
		var next *Node
		for _, e := range n.Edges {
			if strings.HasPrefix(e.Act.String(), step) {
				for _, o := range e.Outs {
					if !o.Loop && (len(o.Obs) == 0 || o.Obs[0] == 0) {
						next = o.Next
					}
				}
			}
		}
		require.NotNil(t, next, "step %d: the game offers no %s", i, step)
		n = next
	}
	for _, s := range n.B.States {
		require.True(t, hasEvent(s, "observed"), "the seconds read emits observed")
	}
	h := gm.lowerBound(n)
	require.GreaterOrEqual(t, h, 12, "five time bytes and REGB to read, each behind its index")
	rank := inf
	for b := h; b <= 15 && rank == inf; b++ {
		rank = gm.search(n, b)
	}
	require.Equal(t, 15, rank)
	require.LessOrEqual(t, h, rank)
}

// BenchmarkRTCReadTime measures the search for ReadTime's optimal strategy
// at the default budget (go test ./synth/solve -bench RTC -run XXX).
func BenchmarkRTCReadTime(b *testing.B) {
	beliefs, expanded := 0, 0
	for b.Loop() {
		gm, start := rtcReadTimeGame(b)
		require.NoError(b, gm.solve(start))
		require.Equal(b, 20, start.Rank)
		beliefs, expanded = len(gm.list), gm.expanded
	}
	b.ReportMetric(float64(beliefs), "beliefs")
	b.ReportMetric(float64(expanded), "expanded")
}
