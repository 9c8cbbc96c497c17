package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"
)

// The collector while the solver runs. Most of the solver's heap is
// tables that live until the last method is solved (states, beliefs, the
// move memo): the five bundled specs allocate 15-140 MiB in all, of which
// most is still live at the end. At the runtime's default pacing every
// cycle marks those tables again while little of the heap is garbage; a
// sixth of synthesis time went to the collector. So, as the Go compiler
// does with its starting heap, the collector first stays off until the
// heap reaches startingHeap, and from the first collection on it paces at
// solverGCPercent. startingHeap is small enough that what parsing a large
// spec leaves behind is collected (a UART with a thousand spare registers
// allocates twice what the UART does, most of it garbage). A memory limit
// the user sets (GOMEMLIMIT, or bench synth's -mem) still holds, and a
// GOGC the user sets is left alone.
const (
	startingHeap    = 32 << 20
	solverGCPercent = 400
)

var tuneGC sync.Once

// tuneGCForSolver sets the collector up for a synthesis run, once per
// process.
func tuneGCForSolver() {
	tuneGC.Do(func() {
		if _, set := os.LookupEnv("GOGC"); set {
			return
		}
		userLimit := debug.SetMemoryLimit(-1) // -1 only reads it
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(min(startingHeap, userLimit))
		// A finalizer runs after the collection that finds its object
		// unreachable: the first one, which the limit above starts.
		sentinel := &struct{ _ *int }{}
		runtime.SetFinalizer(sentinel, func(any) {
			debug.SetGCPercent(solverGCPercent)
			debug.SetMemoryLimit(userLimit)
		})
	})
}
