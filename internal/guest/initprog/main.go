//go:build linux && amd64

// Command initprog is /init of the guest the QEMU tests boot: it runs one
// scenario with the synthesized drivers (or raw probes) on QEMU's device
// models, prints what it observed as report lines on the console, and ends
// the emulator through the debug-exit port. It judges nothing itself: the
// host test does (internal/guest, devices/*/qemu_test.go).
//
// The scenario is named by the drvsynth_scenario kernel parameter, which
// the kernel passes to init as an environment variable.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/drvsynth/drvsynth/internal/guest/wire"
	"github.com/drvsynth/drvsynth/os-interface/bus/portio"
)

// A scenario runs on the port thread (portio.Run) with its ports granted.
type scenario struct {
	ports []portio.Range
	run   func(ctx context.Context) error
}

var scenarios = map[string]scenario{}

func register(name string, s scenario) { scenarios[name] = s }

var debugExit = portio.Range{Base: wire.DebugExitPort, Size: 1}

func main() {
	name := os.Getenv(wire.ScenarioVar)
	s, ok := scenarios[name]
	if !ok {
		names := make([]string, 0, len(scenarios))
		for n := range scenarios {
			names = append(names, n)
		}
		sort.Strings(names)
		fail(fmt.Errorf("unknown scenario %q (%s=one of %v)", name, wire.ScenarioVar, names))
	}
	start := time.Now()
	// A bound of its own, so a driver waiting for input that never comes
	// still ends the boot with a verdict well before the host gives up.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := portio.Run(func() error {
		err := s.run(ctx)
		report("elapsed_ms", time.Since(start).Milliseconds())
		if err != nil {
			report("error", err.Error())
			exit(wire.ExitFailed)
		}
		exit(wire.ExitDone)
		return errors.New("the debug-exit device did not end the emulator")
	}, append(s.ports, debugExit)...)
	fail(err)
}

// report prints a report line on the console.
func report(key string, v any) {
	if err := wire.Write(os.Stdout, key, v); err != nil {
		fmt.Fprintln(os.Stdout, "initprog:", err)
	}
}

// exit writes the verdict to QEMU's debug-exit device. It must run on the
// port thread.
func exit(code uint8) {
	b, err := portio.New(debugExit)
	if err != nil {
		panic(err)
	}
	b.Write8(0, code)
}

// fail reports an error that happened outside the port thread and ends the
// emulator with ExitFailed if it still can (on a fresh port thread); if not,
// init's exit panics the kernel and QEMU ends with status 0, also a failure.
func fail(err error) {
	report("error", err.Error())
	_ = portio.Run(func() error { exit(wire.ExitFailed); return nil }, debugExit)
	os.Exit(1)
}
