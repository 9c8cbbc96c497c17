package campaign

import (
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var long = flag.Bool("long", false, "run the full crash campaigns (1000 cuts, 100 kills per policy, 16ms hold-up)")

// holdup for the short campaigns: 100 ms, because "go test ./..." runs
// packages side by side on 2 vCPUs and a single pwrite then stalls for
// 15-25 ms now and then; the mechanism under test (flush everything
// acknowledged before the deadline, refuse every write after it) is the
// same at any hold-up. The -long campaign and "vblk crashtest" use
// the ATX 16 ms.
var holdup = 100 * time.Millisecond

func init() {
	if *long {
		holdup = 16 * time.Millisecond
	}
}

func crash(t *testing.T, policy string, cuts, kills int) CrashResult {
	t.Helper()
	cfg := CrashConfig{Launcher: selfLauncher, Dir: t.TempDir(), Policy: policy, Cuts: cuts, Kills: kills,
		Holdup: holdup, Detect: time.Millisecond, Margin: 2 * time.Millisecond, Seed: uint64(time.Now().UnixNano())}
	if testing.Verbose() {
		cfg.Log = tlog{t}
	}
	res, err := RunCrash(cfg)
	require.NoError(t, err)
	t.Log(res)
	return res
}

type tlog struct{ t *testing.T }

func (l tlog) Write(p []byte) (int, error) { l.t.Log(string(p)); return len(p), nil }

func counts() (cuts, kills int) {
	if *long {
		return 1000, 100
	}
	return 30, 10
}

func TestCrashBuffered(t *testing.T) {
	cuts, kills := counts()
	res := crash(t, "buffered", cuts, kills)
	assert.Equal(t, cuts, res.Cuts)
	assert.Equal(t, kills, res.Kills)
	assert.Positive(t, res.AckedTotal, "the workload acknowledged commits")
	assert.True(t, res.Passed(), "buffered lost nothing acknowledged: %s", res.FirstLoss)
}

func TestCrashSync(t *testing.T) {
	cuts, kills := counts()
	res := crash(t, "sync", cuts/2, kills/2)
	assert.Positive(t, res.AckedTotal)
	assert.True(t, res.Passed(), "sync lost nothing acknowledged: %s", res.FirstLoss)
}

func TestCrashUnsafeLoses(t *testing.T) {
	cuts, _ := counts()
	res := crash(t, "unsafe", cuts/3, 0)
	assert.Positive(t, res.LossEvents+res.Corrupt, "unsafe must lose acknowledged commits on power cuts: the campaign can fail")
}
