package model

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/term"
)

// bareModel is a model with n 8-bit variables, enough for state tests.
func bareModel(n int) *Model {
	m := &Model{}
	for i := 0; i < n; i++ {
		m.Vars = append(m.Vars, &Var{Name: fmt.Sprintf("v%d", i), Width: 8, Reset: term.C(0, 8)})
	}
	return m
}

// TestStateAgainstSlice drives states through random sets and clones and
// checks every value, key and difference against plain slices.
func TestStateAgainstSlice(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 255, 256, 257, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			m := bareModel(n)
			rnd := rand.New(rand.NewSource(int64(n)))
			type pair struct {
				s    *State
				vals []*term.T
			}
			reset := make([]*term.T, n)
			for i := range reset {
				reset[i] = term.C(0, 8)
			}
			pool := []pair{{m.Reset(), reset}}
			for step := 0; step < 2000; step++ {
				p := pool[rnd.Intn(len(pool))]
				switch {
				case n > 0 && rnd.Intn(3) > 0:
					i, v := rnd.Intn(n), term.C(uint64(rnd.Intn(4)), 8)
					p.s.Set(i, v)
					p.vals[i] = v
				case rnd.Intn(2) == 0:
					pool = append(pool, pair{p.s.Clone(), append([]*term.T(nil), p.vals...)})
				default:
					p.s.Key()
				}
			}
			keys := map[string]string{}
			for _, p := range pool {
				require.Equal(t, len(p.vals), p.s.Len())
				if n > 0 {
					require.Equal(t, p.vals, p.s.Values())
				}
				for i, v := range p.vals {
					require.Same(t, v, p.s.Val(i))
				}
				want := fmt.Sprint(p.vals)
				if old, ok := keys[p.s.Key()]; ok {
					require.Equal(t, old, want, "one key for two different states")
				}
				keys[p.s.Key()] = want
			}
			// Equal contents give equal keys, however they were built.
			for _, p := range pool {
				require.Equal(t, p.s.Key(), m.NewState(p.vals).Key())
			}
			for _, a := range pool[:min(len(pool), 20)] {
				for _, b := range pool[:min(len(pool), 20)] {
					var got []int
					a.s.Diff(b.s, func(i int) { got = append(got, i) })
					var want []int
					for i := range a.vals {
						if a.vals[i] != b.vals[i] {
							want = append(want, i)
						}
					}
					require.Equal(t, want, got)
				}
			}
		})
	}
}

func TestStateEvents(t *testing.T) {
	m := bareModel(3)
	a := m.Reset()
	a.Emit(Event{Name: "tx", Args: []*term.T{term.C(2, 8)}})
	a.Emit(Event{Name: "rx", Args: []*term.T{term.C(1, 8)}})
	a.Emit(Event{Name: "tx", Args: []*term.T{term.C(2, 8)}})
	b := m.Reset()
	b.Emit(Event{Name: "rx", Args: []*term.T{term.C(1, 8)}})
	c := b.Clone()
	b.Emit(Event{Name: "tx", Args: []*term.T{term.C(2, 8)}})
	require.Equal(t, a.Key(), b.Key(), "the same events in another order")
	require.Len(t, a.Events, 2)
	require.Equal(t, "rx", a.Events[0].Name)
	require.Len(t, c.Events, 1, "a clone keeps its own events")
	require.NotEqual(t, c.Key(), b.Key())
	c.ClearEvents()
	require.Equal(t, m.Reset().Key(), c.Key())
}

// TestCloneCostIndependentOfSize checks that cloning and changing one
// value allocates the same, whatever the number of variables beyond the
// trie's depth.
func TestCloneCostIndependentOfSize(t *testing.T) {
	allocs := func(n int) float64 {
		m := bareModel(n)
		s := m.Reset()
		s.Key()
		v := term.C(7, 8)
		return testing.AllocsPerRun(100, func() {
			c := s.Clone()
			c.Set(n-1, v)
			c.Key()
		})
	}
	small, large := allocs(300), allocs(4000)
	require.LessOrEqual(t, large, small+2, "allocations per move grow with the variables (%v for 300, %v for 4000)", small, large)
}

// TestSubstSkipsOnlyWhatItLeavesAlone: a substitution through the trie's
// leaf filters changes exactly the values a plain walk changes.
func TestSubstSkipsOnlyWhatItLeavesAlone(t *testing.T) {
	const n = 700
	m := bareModel(n)
	vals := make([]*term.T, n)
	for i := range vals {
		vals[i] = term.E(fmt.Sprintf("v%d", i), 8)
		if i%7 == 0 {
			vals[i] = term.Cat(term.Sl(term.E(fmt.Sprintf("v%d", i/2), 8), 3, 0), term.C(1, 4))
		}
	}
	s := m.NewState(vals)
	for _, pick := range []int{0, 1, 350, 699} {
		sub := map[string]*term.T{term.E(fmt.Sprintf("v%d", pick), 8).Key(): term.R("x", 8)}
		got := s.Subst(sub)
		for i, v := range vals {
			require.Same(t, v.Subst(sub), got.Val(i), "value %d after substituting v%d", i, pick)
		}
		require.Equal(t, m.NewState(got.Values()).Key(), got.Key())
	}
}

func TestEachMentioning(t *testing.T) {
	const n = 600
	m := bareModel(n)
	vals := make([]*term.T, n)
	var want []int
	for i := range vals {
		switch {
		case i%97 == 5:
			vals[i] = term.Cat(term.P("b", 4), term.C(0, 4))
			want = append(want, i)
		case i%101 == 7:
			vals[i] = term.R("vX", 8)
			want = append(want, i)
		default:
			vals[i] = term.E(fmt.Sprintf("v%d", i), 8)
		}
	}
	s := m.NewState(vals)
	var got []int
	s.EachMentioning(func(i int, v *term.T) {
		require.Same(t, vals[i], v)
		got = append(got, i)
	}, term.Param, term.Read)
	require.Equal(t, want, got)
}

// TestEqualAgreesWithID: Equal and Hash, which intern nothing, tell states
// apart exactly as their IDs do, whether values are pending or in the trie.
func TestEqualAgreesWithID(t *testing.T) {
	m := loadBundled(t, "mc146818")
	base := m.Reset()
	vals := []*term.T{term.C(0, 8), term.P("x", 8)}
	// Variables in different leaves of the trie, more of them than a
	// state holds beside its trie, so that some values go into the trie.
	vars := []int{0, 1, 2, 3, 4, 5, 6, 17, 18, base.Len() - 1}
	require.Greater(t, len(vars), maxPend)
	rng := rand.New(rand.NewSource(1))
	var states []*State
	for range 200 {
		s := base.Clone()
		for range rng.Intn(16) {
			i := vars[rng.Intn(len(vars))]
			s.Set(i, term.Resize(vals[rng.Intn(len(vals))], m.Vars[i].Width))
		}
		if rng.Intn(3) == 0 {
			s.Emit(Event{Name: "e", Args: []*term.T{vals[rng.Intn(len(vals))]}})
		}
		states = append(states, s)
	}
	equal := 0
	for ai, a := range states {
		for bi, b := range states[:20] {
			// Copies, so that ID does not intern the states Equal sees.
			ac, bc := a.Clone(), b.Clone()
			eq := a.Equal(b)
			if eq {
				require.Equal(t, a.Hash(), b.Hash())
			}
			// The comparison behind the hashes, as if they collided.
			ah, bh := a.Clone(), b.Clone()
			bh.hash = ah.hash
			require.Equal(t, ac.ID() == bc.ID(), eq)
			require.Equal(t, eq, ah.Equal(bh))
			if eq && ai != bi {
				equal++
			}
		}
	}
	require.NotZero(t, equal, "distinct states built alike compare equal")
	for _, s := range states {
		e := m.EntryState(s)
		require.Equal(t, e.tab.shape.hashTrie(e.root), e.hash, "an entry state's hash is its values'")
	}
}

// TestAppendChangedOver checks that a state built from an interned one
// names the variables it assigned, and that one whose trie moved on (more
// assignments than wait beside it) or whose base is not interned names
// none.
func TestAppendChangedOver(t *testing.T) {
	m := bareModel(40)
	base := m.Reset()
	base.Set(3, term.C(7, 8))
	base.ID()
	s := base.Clone()
	s.Set(20, term.C(1, 8))
	s.Set(5, term.C(2, 8))
	got, ok := s.AppendChangedOver(nil, base)
	require.True(t, ok)
	require.ElementsMatch(t, []int32{5, 20}, got)
	for i := 0; i < s.Len(); i++ {
		if i != 5 && i != 20 {
			require.Same(t, base.Val(i), s.Val(i), "variable %d", i)
		}
	}

	for i := 0; i <= maxPend; i++ {
		s.Set(30+i%10, term.C(uint64(i+1), 8))
	}
	_, ok = s.AppendChangedOver(nil, base)
	require.False(t, ok, "the assignments went into the trie")

	unnumbered := base.Clone()
	unnumbered.Set(1, term.C(9, 8))
	_, ok = unnumbered.Clone().AppendChangedOver(nil, unnumbered)
	require.False(t, ok, "a base with assignments beside its trie")
}
