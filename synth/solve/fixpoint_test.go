package solve

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
)

// TestReplayFixpointEqualsRounds: growing the idle invariant by replaying
// strategies reaches the invariant that solving every method in every
// round reaches, and the same strategies, on every bundled driver. (The
// move-memo test compares the smaller drivers with rounds without any
// memo, belief for belief.)
func TestReplayFixpointEqualsRounds(t *testing.T) {
	devs := []string{"uart16550", "vblk", "pl011", "mc146818", "ata"}
	if testing.Short() {
		devs = devs[:3]
	}
	for _, dev := range devs {
		t.Run(dev, func(t *testing.T) {
			m := loadDevice(t, dev)
			grown, err := Synthesize(m)
			require.NoError(t, err)
			rounds, err := SynthesizeWith(m, Options{rounds: true})
			require.NoError(t, err)
			assert.Equal(t, sortedKeys(rounds.idle), sortedKeys(grown.idle), "the idle invariant")
			require.Len(t, grown.Methods, len(rounds.Methods))
			for i, st := range rounds.Methods {
				got := grown.Methods[i]
				assert.Equal(t, st.Method.Name, got.Method.Name)
				assert.Equal(t, st.Stats.Rank, got.Stats.Rank, st.Method.Name)
				assert.Equal(t, st.Dump(), got.Dump(), st.Method.Name)
			}
		})
	}
}

// TestReplayedStrategyEndsWhereItDid: played again from the invariant it
// was solved against, a strategy passes through the same beliefs and ends
// in exactly the states it ends in (replayEnds follows it move by move,
// outcome by outcome); every one of them lies in the invariant.
func TestReplayedStrategyEndsWhereItDid(t *testing.T) {
	for _, dev := range []string{"vblk", "uart16550"} {
		t.Run(dev, func(t *testing.T) {
			m := loadDevice(t, dev)
			res, err := SynthesizeWith(m, Options{noCounter: true})
			require.NoError(t, err)
			cl := newCloser(m)
			cl.maxNodes, cl.depth = DefaultMaxBeliefs, deepening
			consts := specConsts(m)
			copiedConsts(m, consts)
			carried := carriedVars(m)
			replayed := 0
			for _, st := range res.Methods {
				if st.Method.Name == InitMethod || !replayable(st) {
					continue
				}
				replayed++
				ends, err := replayEnds(m, cl, st, consts, res.idle, res.free, carried, newGames())
				require.NoError(t, err, st.Method.Name)
				assert.Equal(t, stateKeys(st.endStates()), stateKeys(ends), st.Method.Name)
				for _, s := range ends {
					assert.Contains(t, res.idle, m.FiniteKey(s), st.Method.Name)
				}
			}
			assert.Positive(t, replayed, "some method is replayable")
		})
	}
}

func stateKeys(states []*model.State) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range states {
		c := s.Clone()
		c.ClearEvents()
		if k := c.Key(); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// TestReplayFixpointSolvesLess: on the ATA disk, where faults and the
// write cache grow the invariant over several rounds, every method is
// solved against the final invariant and against at most one earlier one
// (the first solve of its game, whose strategy the replays then play), and
// no method twice against one invariant. WriteSectorsFUA, which poses
// WriteSectors' game, is solved only against the final invariant.
func TestReplayFixpointSolvesLess(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the ATA disk")
	}
	m, err := model.Load("../../devices/ata/ata.dev")
	require.NoError(t, err)
	var solves []string
	optimalSolves = &solves
	res, err := Synthesize(m)
	optimalSolves = nil
	require.NoError(t, err)
	seen := map[string]bool{}
	earlier := map[string]int{}
	final := "@" + strconv.Itoa(res.IdleStates)
	for _, s := range solves {
		assert.False(t, seen[s], "solved twice: %s", s)
		seen[s] = true
		if !strings.HasSuffix(s, final) {
			earlier[s[:strings.Index(s, "@")]]++
		}
	}
	for _, st := range res.Methods {
		if st.Method.Name == InitMethod {
			continue
		}
		assert.True(t, seen[st.Method.Name+final], "%s solved against the final invariant: %v", st.Method.Name, solves)
		assert.LessOrEqual(t, earlier[st.Method.Name], 1, "%s: %v", st.Method.Name, solves)
	}
	assert.Zero(t, earlier["WriteSectorsFUA"], "%v", solves)
}
