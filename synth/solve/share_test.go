package solve

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
)

// contractKeys gives the contract key of every method of dev held to an
// idle invariant, and of the tail of each sector loop (by "Method tail").
func contractKeys(t *testing.T, dev string) map[string]string {
	t.Helper()
	m := loadDevice(t, dev)
	idle := map[string]*model.State{m.FiniteKey(m.Reset()): m.EntryState(m.Reset())}
	carried := carriedVars(m)
	keys := map[string]string{}
	for _, meth := range m.Methods {
		sl, piece, g, _, _, err := methodGame(m, meth, idle, nil, carried)
		require.NoError(t, err, meth.Name)
		keys[meth.Name] = contractKey(piece, g)
		if tm := sl.tailMethod(meth); tm != nil {
			_, piece, g, _, _, err := methodGame(m, tm, idle, nil, carried)
			require.NoError(t, err, meth.Name)
			keys[meth.Name+" tail"] = contractKey(piece, g)
		}
	}
	return keys
}

// TestSharedGames: on the ATA disk, which has no FUA command, a FUA write
// is a plain write's sector loop followed by a cache flush, so its piece
// poses WriteSectors' game and its tail Flush's; other methods, and vblk's
// FUA write (one request with the FUA flag), pose games of their own.
func TestSharedGames(t *testing.T) {
	ata := contractKeys(t, "ata")
	assert.Equal(t, ata["WriteSectors"], ata["WriteSectorsFUA"])
	assert.Equal(t, ata["Flush"], ata["WriteSectorsFUA tail"])
	assert.NotEqual(t, ata["WriteSectors"], ata["ReadSectors"])
	assert.NotEqual(t, ata["Flush"], ata["Capacity"])

	vblk := contractKeys(t, "vblk")
	assert.NotContains(t, vblk, "WriteSectorsFUA tail")
	assert.NotEqual(t, vblk["WriteSectors"], vblk["WriteSectorsFUA"])
	assert.NotEqual(t, vblk["WriteSectorsFUA"], vblk["Flush"])
}

// TestSharedGamesReplayExactly synthesizes the ATA disk checking every
// replayed belief against a fresh expansion (checkReplay panics on a
// difference): its FUA piece replays the moves WriteSectors made, and its
// tail Flush's, so the check covers moves shared between methods.
func TestSharedGamesReplayExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes the ATA disk twice over")
	}
	m, err := model.Load("../../devices/ata/ata.dev")
	require.NoError(t, err)
	checks := 0
	memoChecks = &checks
	defer func() { memoChecks = nil }()
	res, err := Synthesize(m)
	require.NoError(t, err)
	assert.Positive(t, checks, "games replay moves")
	byName := map[string]*Strategy{}
	for _, st := range res.Methods {
		byName[st.Method.Name] = st
	}
	w, fua := byName["WriteSectors"], byName["WriteSectorsFUA"]
	require.NotNil(t, w)
	require.NotNil(t, fua)
	assert.Same(t, w.Starts[0], fua.Starts[0], "the FUA piece is WriteSectors' game")
	assert.NotSame(t, w.Sectors, fua.Sectors, "each method keeps its own sector loop")
	require.NotNil(t, fua.Sectors.Tail)
	assert.Equal(t, byName["Flush"].Dump(), fua.Sectors.Tail.Dump())
}
