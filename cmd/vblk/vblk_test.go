package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary stand in for vblk when its commands start
// their child processes (os.Executable is this binary).
func TestMain(m *testing.M) {
	if os.Getenv("VBLK_CHILD") == "1" {
		args := os.Args[1:]
		for len(args) > 0 && strings.HasPrefix(args[0], "-test.") {
			args = args[1:]
		}
		os.Exit(run(args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestBenchJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("starts backends")
	}
	var out, errb bytes.Buffer
	// A 100 ms supply: beside "go test ./..." one fdatasync here measured
	// 32 ms, which leaves a 10 ms supply no budget (vblk serve then stops
	// at start-up, as it must); this test is about the report's shape, so
	// it skips the table at a modelled disk latency too.
	code := run([]string{"bench", "-json", "-commits", "200", "-rounds", "2", "-bandwidth", "500", "-holdup", "100ms", "-disk-latency", "0", "-dir", t.TempDir()}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	var rep struct {
		Configs []struct {
			Name        string  `json:"name"`
			CommitsPerS float64 `json:"commits_per_s"`
			P50us       float64 `json:"p50_us"`
			P99us       float64 `json:"p99_us"`
		} `json:"configs"`
		Ratios map[string]float64 `json:"ratios"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep), out.String())
	var names []string
	for _, c := range rep.Configs {
		names = append(names, c.Name)
		assert.Positive(t, c.CommitsPerS, c.Name)
		assert.Positive(t, c.P50us, c.Name)
		assert.GreaterOrEqual(t, c.P99us, c.P50us, c.Name)
	}
	assert.Equal(t, []string{"sync", "buffered", "unsafe", "os-full", "os-off"}, names)
	assert.Contains(t, rep.Ratios, "buffered/unsafe")
	assert.Contains(t, rep.Ratios, "buffered/sync")
}

func TestCrashtestSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts backends")
	}
	var out, errb bytes.Buffer
	code := run([]string{"crashtest", "-policy", "buffered,unsafe", "-cuts", "3", "-kills", "1", "-bandwidth", "500", "-holdup", "100ms", "-dir", t.TempDir()}, &out, &errb)
	assert.Equal(t, 0, code, out.String()+errb.String())
	assert.Contains(t, out.String(), "PASS: no acknowledged commit lost")
	assert.Contains(t, out.String(), "EXPECTED LOSS")
	assert.Contains(t, out.String(), "policy=unsafe cuts=3 kills=1", "unsafe runs every cut asked for")
}

func TestCrashtestMutantFailsSync(t *testing.T) {
	if testing.Short() {
		t.Skip("starts backends")
	}
	var out, errb bytes.Buffer
	code := run([]string{"crashtest", "-policy", "sync", "-mutant", "noflush", "-cuts", "6", "-kills", "0", "-bandwidth", "500", "-dir", t.TempDir()}, &out, &errb)
	assert.Equal(t, 0, code, out.String()+errb.String())
	assert.Contains(t, out.String(), "EXPECTED LOSS: the noflush mutant lost acknowledged commits")
	assert.Contains(t, out.String(), "cuts=6 kills=0", "unsafe and every other policy run the cuts asked for")
}

func TestCrashtestSweep(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"crashtest", "-sweep", "exhaustive", "-txns", "1", "-fates", "1"}, &out, &errb)
	assert.Equal(t, 0, code, out.String()+errb.String())
	assert.Contains(t, out.String(), "sweep=exhaustive workloads=6 ")
	assert.Contains(t, out.String(), "PASS")
	out.Reset()
	code = run([]string{"crashtest", "-sweep", "random", "-states", "50", "-txns", "2", "-mutant", "noflush"}, &out, &errb)
	assert.Equal(t, 0, code, out.String()+errb.String())
	assert.Contains(t, out.String(), "EXPECTED LOSS: the noflush mutant fails the sweep")
	assert.Equal(t, 2, run([]string{"crashtest", "-sweep", "sideways"}, &out, &errb))
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	assert.Equal(t, 2, run(nil, &out, &errb))
	assert.Equal(t, 2, run([]string{"nope"}, &out, &errb))
	assert.Equal(t, 2, run([]string{"serve"}, &out, &errb), "serve without -image")
	assert.Equal(t, 2, run([]string{"bench", "nope"}, &out, &errb))
	errb.Reset()
	assert.Equal(t, 2, run([]string{"crashtest", "-disk-timeout", "0"}, &out, &errb))
	assert.Contains(t, errb.String(), "-disk-timeout 0s: want a positive duration")
}
