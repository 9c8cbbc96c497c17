package solve

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
)

// TestReductionsKeepTheOptimum solves small specs twice: with every
// reduction of the search (cone-of-influence slicing, value classes,
// parked bank values, dead-end pruning, the lower bound, iterative
// deepening), and exhaustively, on the whole game graph with none of them.
// Every method must come out with the same worst-case number of accesses:
// the reductions may only make the search smaller, never the strategy
// worse. miniclock is shaped to exercise each of them (see its comment),
// minisensor the lower bound's locks, gates and setups (lock.go, setup.go),
// minipost its access after the event (after.go), minipanel a belief whose
// states need different registers written (split.go), minigang pinned
// fields another register's write sets (strictField.setElsewhere).
func TestReductionsKeepTheOptimum(t *testing.T) {
	for _, spec := range []string{
		"testdata/devices/miniclock/miniclock.dev",
		"testdata/devices/minisensor/minisensor.dev",
		"testdata/devices/minipost/minipost.dev",
		"testdata/devices/minipanel/minipanel.dev",
		"testdata/devices/minigang/minigang.dev",
		"../../devices/uart16550/uart16550.dev",
	} {
		t.Run(spec, func(t *testing.T) {
			m, err := model.Load(spec)
			require.NoError(t, err)
			fast, err := SynthesizeWith(m, Options{})
			require.NoError(t, err)
			full, err := SynthesizeWith(m, Options{exhaustive: true, MaxBeliefs: 10 * DefaultMaxBeliefs})
			require.NoError(t, err)
			ranks := func(r *Result) map[string]int {
				out := map[string]int{}
				for _, st := range r.Methods {
					out[st.Method.Name] = st.Stats.Rank
				}
				return out
			}
			require.Equal(t, ranks(full), ranks(fast))
			beliefs := func(r *Result) (n int) {
				for _, st := range r.Methods {
					n += st.Stats.Beliefs
				}
				return n
			}
			t.Logf("beliefs: %d exhaustive, %d with the reductions", beliefs(full), beliefs(fast))
		})
	}
}

// TestMiniclockReductions checks that the reductions the optimality test
// relies on are the ones miniclock was written to exercise.
func TestMiniclockReductions(t *testing.T) {
	m, err := model.Load("testdata/devices/miniclock/miniclock.dev")
	require.NoError(t, err)
	var sliced []string
	for _, i := range sliceVars(m) {
		sliced = append(sliced, m.Vars[i].Name)
	}
	require.Equal(t, []string{"flag"}, sliced)
	res, err := Synthesize(m)
	require.NoError(t, err)
	var read *Strategy
	for _, st := range res.Methods {
		if st.Method.Name == "Read" {
			read = st
		}
	}
	require.NotNil(t, read)
	g := &goal{}
	g.relevant = relevantVars(m, g)
	gm := newGame(m, newCloser(m), g, specConsts(m))
	require.Equal(t, []uint64{0, 2}, gm.finiteValues(m.FieldByQual("CTRL.DV")), "one stopped divider value, and the running one")
	require.NotContains(t, gm.finiteValues(m.FieldByQual("INDEX.ADDR")), uint64(4), "the spare register is never needed")
	// Read stops the divider, waits for the update to end, reads both
	// bytes, starts the divider again and puts the index back: 11 accesses.
	require.Equal(t, 11, read.Stats.Rank)
}

// TestSplitBound: Relight starts from three states, one with lights A and B
// off, one with C and D off, one with all on. The sum over the belief asks
// for all four writes; a strategy that reads STATUS first needs two more,
// and the bound says exactly that: each state alone needs at most two
// writes, and the read that tells them apart is none of them.
func TestSplitBound(t *testing.T) {
	gm, start := rtcSpecGame(t, "testdata/devices/minipanel/minipanel.dev", "Relight")
	require.Len(t, start.B.States, 3)
	sum, _ := gm.beliefBound(start, nil)
	require.Equal(t, 4, sum)
	require.Equal(t, 3, gm.lowerBound(start))
	require.NoError(t, gm.solve(start))
	require.Equal(t, 3, start.Rank)
}
