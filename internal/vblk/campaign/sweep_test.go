package campaign

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sweepLog(t *testing.T) tlog {
	if testing.Verbose() {
		return tlog{t}
	}
	return tlog{}
}

// TestSweepExhaustive checks every workload of up to 3 steps (small
// commit, large transaction, checkpoint) under WAL and DELETE, cut at every
// request boundary with every unsynced unit kept, every one dropped, and
// two random per-unit fates.
func TestSweepExhaustive(t *testing.T) {
	res, err := RunSweep(SweepConfig{MaxTxns: 3, Fates: 2, Seed: 1, Workers: 2, Log: sweepLog(t)})
	require.NoError(t, err)
	t.Log(res)
	assert.Equal(t, 2*(3+9+27), res.Workloads)
	assert.Greater(t, res.States, res.Boundaries, "unsynced units were cut several ways")
	assert.True(t, res.Passed(), res.First)
}

// TestSweepCatchesNoFlushMutant: the same sweep fails a driver path that
// never sends FLUSH and sends FUA as a plain WRITE.
func TestSweepCatchesNoFlushMutant(t *testing.T) {
	res, err := RunSweep(SweepConfig{MaxTxns: 1, Fates: 1, Seed: 1, Mutant: "noflush", Log: sweepLog(t)})
	require.NoError(t, err)
	t.Log(res)
	assert.False(t, res.Passed(), "a path without FLUSH or FUA loses acknowledged commits in some state")
	t.Log("first failure: ", res.First)
}

// TestSweepRandom checks random workloads of 8 steps: 1,500 crash states,
// or 100,000 with -long.
func TestSweepRandom(t *testing.T) {
	states := 1500
	if *long {
		states = 100_000
	}
	res, err := RunSweep(SweepConfig{States: states, RandomTxns: 8, Fates: 2, Seed: 7, Workers: 2, Log: sweepLog(t)})
	require.NoError(t, err)
	t.Log(res)
	assert.GreaterOrEqual(t, res.States, states)
	assert.True(t, res.Passed(), res.First)
}
