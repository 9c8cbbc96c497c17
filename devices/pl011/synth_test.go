package pl011_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/pl011"
	generated "github.com/drvsynth/drvsynth/generated/pl011"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/driver"
	"github.com/drvsynth/drvsynth/os-interface/serial"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/sim"
)

// The synthesized driver (generated/pl011, from pl011.dev) against the
// reference model written from the TRM, with the harnesses the hand-written
// baseline passes, and against the spec's own simulator.

func newSynthesized(b bus.Bus) serial.Port { return generated.New(b) }

func TestSynthesizedConfigure(t *testing.T) { checkConfigure(t, newSynthesized) }
func TestSynthesizedSend(t *testing.T) {
	for _, ticks := range []int{1, 10, 40} {
		checkSend(t, newSynthesized, pl011.Options{CharTicks: ticks}, 1000)
	}
}
func TestSynthesizedReceive(t *testing.T)       { checkReceive(t, newSynthesized, 200) }
func TestSynthesizedDrainReconfig(t *testing.T) { checkDrainBeforeReconfigure(t, newSynthesized) }

// TestSynthesizedConfigureRejectsUnrepresentableRates: a divisor the
// 22 bits of IBRD and FBRD cannot hold is an invalid argument.
func TestSynthesizedConfigureRejectsUnrepresentableRates(t *testing.T) {
	m := pl011.NewModel(pl011.Options{})
	p := newSynthesized(m)
	ctx := context.Background()
	require.NoError(t, p.Init(ctx))
	require.ErrorIs(t, p.Configure(ctx, 0, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne), driver.ErrInvalidArgument)
	require.ErrorIs(t, p.Configure(ctx, 1, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne), driver.ErrInvalidArgument)
}

// TestSynthesizedOnSimulator: the driver against the spec itself, with the
// device's choices put to 1000 random schedules. The line runs at the
// divisor the generator latched at the LCR_H write.
func TestSynthesizedOnSimulator(t *testing.T) {
	spec, err := model.Load("pl011.dev")
	require.NoError(t, err)
	schedules := 1000
	if testing.Short() {
		schedules = 100
	}
	ctx := context.Background()
	for seed := uint64(1); seed <= uint64(schedules); seed++ {
		dev, err := sim.NewFromModel(spec, sim.Options{Seed: seed})
		require.NoError(t, err)
		p := generated.New(dev.Bus())
		require.NoError(t, p.Init(ctx))
		require.NoError(t, p.Configure(ctx, 115200, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne))
		out := randomBytes(seed, 40)
		require.NoError(t, p.Write(ctx, out))
		require.NoError(t, p.Configure(ctx, 9600, serial.DataBitsSeven, serial.ParityEven, serial.StopBitsTwo))
		in := randomBytes(seed+1, 4)
		got := make([]byte, len(in))
		for i, b := range in {
			require.NoError(t, dev.Input("receive", uint64(b)))
			require.NoError(t, p.Read(ctx, got[i:i+1]))
		}
		require.NoError(t, dev.Err())
		require.Empty(t, dev.Violations(), "seed %d", seed)
		var sent []byte
		for _, e := range dev.Events() {
			if e.Name == "tx" {
				sent = append(sent, byte(e.Args[0]))
			}
		}
		require.Equal(t, out, sent, "seed %d", seed)
		require.Equal(t, in, got, "seed %d", seed)
		ibrd, err := dev.Value("IBRD.DIVINT")
		require.NoError(t, err)
		fbrd, err := dev.Value("FBRD.DIVFRAC")
		require.NoError(t, err)
		assert.Equal(t, pl011.Divisor{Int: 156, Frac: 16}, pl011.Divisor{Int: uint16(ibrd), Frac: uint8(fbrd)}, "seed %d", seed)
		latched, err := dev.Value("baud_divisor")
		require.NoError(t, err)
		require.Equal(t, ibrd<<6|fbrd, latched, "seed %d: the generator runs at what IBRD/FBRD hold", seed)
	}
}
