package main

import (
	"os"
	"runtime/debug"
)

// solverGCPercent is the collector's setting while the solver runs. Most
// of the solver's heap is tables that live until the last method is
// solved (states, beliefs, the move memo), so at the runtime's default of
// 100 every cycle marks them again while the heap has only doubled: a
// sixth of synthesis time went to the collector. At 400 the bundled specs
// take about 15% less CPU for a peak heap about 1.3× as large (docs/
// scaling.md). A memory limit (GOMEMLIMIT, or bench synth's -mem) still
// holds: the collector runs harder as the heap nears it.
const solverGCPercent = 400

// tuneGCForSolver applies solverGCPercent unless the user chose a setting
// with GOGC.
func tuneGCForSolver() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(solverGCPercent)
	}
}
