//go:build linux && amd64

package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/drvsynth/drvsynth/internal/guest/probe"
	"github.com/drvsynth/drvsynth/internal/guest/wire"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/bus/portio"
)

func init() {
	dev := probe.Devices[os.Getenv(wire.ProbeVar)]
	var ports []portio.Range
	if dev != nil {
		for _, r := range dev.Regions {
			ports = append(ports, portio.Range{Base: r.Base, Size: r.Size})
		}
	}
	register("probe", scenario{ports: ports, run: func(ctx context.Context) error {
		if dev == nil {
			return fmt.Errorf("%s=%q names no probe", wire.ProbeVar, os.Getenv(wire.ProbeVar))
		}
		t := probe.Target{
			Regions: map[string]bus.Bus{},
			Settle:  func() { time.Sleep(20 * time.Millisecond) },
			// A device's own progress (the end of a reset) may wait for
			// QEMU's main loop, which a guest spinning on port reads can
			// starve when the host is busy; after a short spin, each
			// read waits, so a poll lasts seconds, not microseconds.
			Pause: func(i int) {
				if i > 64 {
					time.Sleep(50 * time.Microsecond)
				}
			},
		}
		for name, r := range dev.Regions {
			b, err := portio.New(portio.Range{Base: r.Base, Size: r.Size})
			if err != nil {
				return err
			}
			t.Regions[name] = b
		}
		obs, err := dev.Script.Run(t)
		report("probe", obs)
		return err
	}})
}
