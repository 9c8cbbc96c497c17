package uart16550_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/uart16550"
	synthesized "github.com/drvsynth/drvsynth/generated/uart16550"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/driver"
	"github.com/drvsynth/drvsynth/os-interface/serial"
)

// The synthesized driver against the reference model: a 16550A written from
// the datasheet, independently of the spec the driver was derived from.
// The harnesses are the ones the hand-written baseline passes.

func newSynthesized(b bus.Bus) serial.Port { return synthesized.New(b) }

// fifoOptions are the chips the spec describes: a 16550A with FIFOs. (A
// 16450 has no FIFO; the spec does not describe it, so it is not tested
// here.)
var fifoOptions = []uart16550.Options{
	{Seed: 1, CharTicks: 10},
	{Seed: 2, CharTicks: 3, Jitter: 7},
	{Seed: 3, CharTicks: 1},
}

func TestSynthesizedConfigure(t *testing.T) { checkConfigure(t, newSynthesized) }

func TestSynthesizedSend1000RandomBytes(t *testing.T) {
	for _, f := range framings[:2] {
		for _, opt := range fifoOptions {
			t.Run(fmt.Sprintf("%s-ticks%d-jitter%d", f.want, opt.CharTicks, opt.Jitter), func(t *testing.T) {
				checkSend(t, newSynthesized, opt, f, 1000)
			})
		}
	}
}

func TestSynthesizedReceive(t *testing.T) {
	// A polled receiver needs two accesses per byte; the line must leave it
	// that much time, as for the hand-written baseline.
	for _, opt := range fifoOptions[:2] {
		t.Run(fmt.Sprintf("ticks%d", opt.CharTicks), func(t *testing.T) {
			checkReceive(t, newSynthesized, opt, 500)
		})
	}
}

func TestSynthesizedLoopback(t *testing.T) { checkLoopback(t, newSynthesized) }

func TestSynthesizedReadHonoursContext(t *testing.T) {
	checkReadHonoursContext(t, newSynthesized)
}

func BenchmarkSynthesizedWrite(b *testing.B) { benchWrite(b, newSynthesized) }
func BenchmarkSynthesizedRead(b *testing.B)  { benchRead(b, newSynthesized) }

// TestSynthesizedConfigureRejectsUnrepresentableRates: a divisor that does
// not fit the 16-bit latch is an invalid argument, not silently truncated.
func TestSynthesizedConfigureRejectsUnrepresentableRates(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{Seed: 7})
	p := newSynthesized(m)
	ctx := context.Background()
	require.NoError(t, p.Init(ctx))
	require.ErrorIs(t, p.Configure(ctx, 1, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne), driver.ErrInvalidArgument)
	require.ErrorIs(t, p.Configure(ctx, 0, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne), driver.ErrInvalidArgument)
	assert.Empty(t, m.Violations())
	require.NoError(t, p.Configure(ctx, 2, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne))
	assert.Equal(t, uint16(57600), m.Divisor())
}
