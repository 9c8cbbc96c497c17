package campaign

import (
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var long = flag.Bool("long", false, "run the full crash campaigns (1000 cuts, 100 kills per policy, 10ms hold-up) and the 100,000-state random sweep")

// holdup for the short campaigns: 250 ms, because "go test ./..." runs
// packages side by side on 2 vCPUs, where a single pwrite stalls for
// 15-25 ms now and then and the power flush's final fdatasync took 50 ms
// (with the medium model a sync that ends after the deadline makes nothing
// durable; at 100 ms that lost 47 commits in one of 30 cuts). The mechanism
// under test (flush everything acknowledged before the deadline, refuse
// every write after it, keep only what a completed sync covered) is the
// same at any hold-up. The -long campaign and "vblk crashtest" use 10 ms,
// the worst measured ATX supply.
var holdup = 250 * time.Millisecond

func init() {
	if *long {
		holdup = 10 * time.Millisecond
	}
}

func crashConfig(t *testing.T, policy string, cuts, kills int) CrashConfig {
	cfg := CrashConfig{Launcher: selfLauncher, Dir: t.TempDir(), Policy: policy, Cuts: cuts, Kills: kills,
		Holdup: holdup, Detect: time.Millisecond, Margin: 2 * time.Millisecond, Seed: uint64(time.Now().UnixNano())}
	if testing.Verbose() {
		cfg.Log = tlog{t}
	}
	return cfg
}

func crash(t *testing.T, cfg CrashConfig) CrashResult {
	t.Helper()
	t.Logf("seed %d", cfg.Seed)
	res, err := RunCrash(cfg)
	require.NoError(t, err)
	t.Log(res)
	return res
}

type tlog struct{ t *testing.T }

func (l tlog) Write(p []byte) (int, error) {
	if l.t != nil {
		l.t.Log(string(p))
	}
	return len(p), nil
}

func counts() (cuts, kills int) {
	if *long {
		return 1000, 100
	}
	return 30, 10
}

func TestCrashBuffered(t *testing.T) {
	cuts, kills := counts()
	res := crash(t, crashConfig(t, "buffered", cuts, kills))
	assert.Equal(t, cuts, res.Cuts)
	assert.Equal(t, kills, res.Kills)
	assert.Positive(t, res.AckedTotal, "the workload acknowledged commits")
	assert.True(t, res.Passed(), "buffered lost nothing acknowledged outside stalls: %s", res.FirstLoss)
}

func TestCrashSync(t *testing.T) {
	cuts, kills := counts()
	res := crash(t, crashConfig(t, "sync", cuts/2, kills/2))
	assert.Positive(t, res.AckedTotal)
	assert.Zero(t, res.StalledLost, "sync's promise does not depend on the hold-up")
	assert.True(t, res.Passed(), "sync lost nothing acknowledged: %s", res.FirstLoss)
}

func TestCrashUnsafeLoses(t *testing.T) {
	cuts, _ := counts()
	cfg := crashConfig(t, "unsafe", cuts, 0)
	// Large transactions make unsafe write back (8 MiB at a time, never
	// synced) before most cuts, so the medium has units to tear.
	cfg.BigOdds, cfg.MinRun, cfg.MaxRun = 0.3, 100*time.Millisecond, 400*time.Millisecond
	res := crash(t, cfg)
	assert.False(t, res.Passed(), "unsafe must lose acknowledged commits on power cuts: the campaign can fail")
	assert.Positive(t, res.Lost, "unsafe's losses count as lost")
	assert.Positive(t, res.TornCuts, "the medium tore units")
	assert.Positive(t, res.ReorderedCuts, "the medium kept later writes while losing earlier ones")
}

// TestCrashCatchesNoFlushMutant runs the sync policy under a driver path
// that never sends FLUSH and sends FUA as a plain WRITE: the campaign must
// fail it. Under the old model (a completed pwrite was on the medium) it
// passed 404,218 commits of 200 cuts.
func TestCrashCatchesNoFlushMutant(t *testing.T) {
	cfg := crashConfig(t, "sync", 10, 0)
	cfg.Mutant = "noflush"
	res := crash(t, cfg)
	assert.False(t, res.Passed(), "a path without FLUSH or FUA must fail the sync campaign")
	assert.Positive(t, res.LossEvents+res.Corrupt)
}
