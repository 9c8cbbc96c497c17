package sim_test

import (
	"fmt"

	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/sim"
)

// A driver writes one byte to a simulated 16550: it polls LSR.THRE (bit 5
// at offset 5), pausing between reads so the device can make progress,
// then writes THR. The simulator records the class event and checks every
// require of the spec. Under the Lazy schedule the device moves only when
// the driver pauses, so the unpolled second write always finds the holding
// register full (under a Random schedule, only sometimes).
func Example() {
	m, err := model.Load("../../devices/uart16550/uart16550.dev")
	if err != nil {
		panic(err)
	}
	dev, err := sim.NewFromModel(m, sim.Options{Schedule: sim.Lazy{}})
	if err != nil {
		panic(err)
	}
	b := dev.Bus()
	for i := 1; b.Read8(5)&0x20 == 0; i++ {
		b.(bus.Poller).Pause(i)
	}
	b.Write8(0, 'A')
	b.Write8(0, 'B') // without polling: the holding register may be full

	fmt.Println(dev.Events()[0])
	for _, v := range dev.Violations() {
		fmt.Println(v.Msg)
	}
	// Output:
	// tx(0x41)
	// THR written while the holding register (or FIFO) is full
}
