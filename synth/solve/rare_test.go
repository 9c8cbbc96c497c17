package solve

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/internal/testspec"
)

// TestRareRetriesOnce: the counter steps at most once per call, so one
// read taken again is final. The solver finds better than the flag: read
// HI, then LO; only a LO of 0 may hide a carry into HI since, and then HI
// read again is the value at the LO read, because no second step can
// follow. Three accesses; with an unfair step there is no strategy at all.
func TestRareRetriesOnce(t *testing.T) {
	m, err := testspec.Model("rare")
	require.NoError(t, err)
	res, err := Synthesize(m)
	require.NoError(t, err)
	st := res.Methods[0]
	require.Equal(t, 3, st.Stats.Rank, "%s", st.Dump())
	dump := st.Dump()
	require.NotContains(t, dump, "read FLAGS", "the flag costs more than reading HI again")
}

// TestUnfairNeverSettles: the same counter with an unfair step may spoil
// every attempt, and the read has no strategy.
func TestUnfairNeverSettles(t *testing.T) {
	m, err := testspec.Model("rare_unfair")
	require.NoError(t, err)
	_, err = Synthesize(m)
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "cannot be implemented"), "%v", err)
}
