package power

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBound(t *testing.T) {
	s := Supply{Holdup: 10 * time.Millisecond, Detect: time.Millisecond, Margin: time.Millisecond, Bandwidth: 100e6, SyncLatency: time.Millisecond}
	assert.Equal(t, 7*time.Millisecond, s.Budget())
	assert.Equal(t, int64(700_000), s.Bound())
	s.Detect = 20 * time.Millisecond
	assert.Zero(t, s.Bound(), "no budget, no buffer")
	assert.Zero(t, Supply{Holdup: time.Second}.Bound(), "no bandwidth, no buffer")
}

func TestCutTimeline(t *testing.T) {
	p := New(Supply{Holdup: 30 * time.Millisecond, Detect: 5 * time.Millisecond})
	_, cut := p.CutAt()
	assert.False(t, cut)
	assert.False(t, p.Dead(time.Now().Add(time.Hour)), "never dead while powered")
	at := p.Cut()
	assert.Equal(t, at, p.Cut(), "only the first cut counts")
	select {
	case <-p.Notice():
		t.Fatal("notice before the detection delay")
	default:
	}
	<-p.Notice()
	assert.GreaterOrEqual(t, time.Since(at), 5*time.Millisecond)
	d, ok := p.Deadline()
	require.True(t, ok)
	assert.Equal(t, at.Add(30*time.Millisecond), d)
	assert.False(t, p.Dead(d.Add(-time.Nanosecond)))
	assert.True(t, p.Dead(d))
}

func TestFileRefusesAfterDeadline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "img")
	require.NoError(t, os.WriteFile(path, make([]byte, 1<<20), 0o644))
	p := New(Supply{Holdup: 2 * time.Millisecond})
	f, err := OpenFile(path, p)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.WriteAt([]byte("before"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	p.Cut()
	for !p.Dead(time.Now()) {
	}
	n, err := f.WriteAt([]byte("after!"), 0)
	assert.ErrorIs(t, err, ErrPowerLost)
	assert.Zero(t, n)
	assert.ErrorIs(t, f.Sync(), ErrPowerLost)
	assert.Equal(t, int64(1), f.Refused())
	got := make([]byte, 6)
	_, err = f.ReadAt(got, 0)
	require.NoError(t, err, "reads work: the image is read after restart")
	assert.Equal(t, "before", string(got))
	d, _ := p.Deadline()
	assert.True(t, f.LastWriteStart().Before(d))
}

func TestMeasure(t *testing.T) {
	bw, lat, err := Measure(t.TempDir(), 1<<20)
	require.NoError(t, err)
	assert.Positive(t, bw)
	assert.Positive(t, lat)
	entries, _ := os.ReadDir(t.TempDir())
	assert.Empty(t, entries)
}

func TestExcludeStallsKeepsTheTimeline(t *testing.T) {
	p := New(Supply{Holdup: 5 * time.Millisecond, Detect: time.Millisecond, ExcludeStalls: true})
	at := p.Cut()
	<-p.Notice()
	for !p.Dead(time.Now()) {
	}
	for p.watching.Load() { // let the watcher finish before reading
	}
	d, _ := p.Deadline()
	wd, _ := p.WallDeadline()
	assert.Equal(t, at.Add(5*time.Millisecond), wd)
	assert.Equal(t, wd.Add(p.Stalled()), d, "the deadline moves by exactly the stalls seen")
	assert.True(t, p.Dead(d))
}
