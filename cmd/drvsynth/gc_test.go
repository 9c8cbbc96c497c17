package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCollectorPacesAfterTheFirstCollection checks that the collector,
// off while the solver's heap is small, paces at solverGCPercent from the
// first collection on, with the user's memory limit back.
func TestCollectorPacesAfterTheFirstCollection(t *testing.T) {
	if _, set := os.LookupEnv("GOGC"); set {
		t.Skip("GOGC is set: the collector is the user's")
	}
	limit := debug.SetMemoryLimit(-1)
	tuneGCForSolver()
	runtime.GC()
	var percent int
	require.Eventually(t, func() bool {
		runtime.GC() // the finalizer may wait for a later cycle
		percent = debug.SetGCPercent(solverGCPercent)
		return percent == solverGCPercent
	}, 10*time.Second, 10*time.Millisecond, "GC percent %d", percent)
	require.Equal(t, limit, debug.SetMemoryLimit(-1))
	debug.SetGCPercent(100)
}
