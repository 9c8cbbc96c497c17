package generated_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/generated/pl011"
	"github.com/drvsynth/drvsynth/generated/uart16550"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/driver"
	"github.com/drvsynth/drvsynth/os-interface/serial"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/sim"
)

// TestConfigureRefusesRatesTheDivisorMisses: a baud rate the integer
// divisor gives more than 2% off (the serial bindings' tolerance) is an
// invalid argument; one it gives closely is configured.
func TestConfigureRefusesRatesTheDivisorMisses(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		spec string
		port func(bus.Bus) serial.Port
		ok   []uint32 // rates the divisor gives within 2%
		far  []uint32 // and those it misses by more
	}{
		// 115200 / 100000 = 1: 115200 baud, 15% fast.
		{"../devices/uart16550/uart16550.dev", func(b bus.Bus) serial.Port { return uart16550.New(b) },
			[]uint32{115200, 57600, 38400, 9600, 110}, []uint32{100000, 200000, 56000}},
		// 4 * 24 MHz / 3.5 Mbaud = 27.4: a divisor of 27 is 1.6% off; at
		// 5.5 Mbaud 17 for 17.45 is 2.6% off, at 10 Mbaud 10 for 9.6 4%.
		{"../devices/pl011/pl011.dev", func(b bus.Bus) serial.Port { return pl011.New(b) },
			[]uint32{115200, 9600, 1_500_000, 3_000_000, 3_500_000}, []uint32{5_500_000, 10_000_000}},
	} {
		m, err := model.Load(c.spec)
		require.NoError(t, err)
		dev, err := sim.NewFromModel(m, sim.Options{Seed: 1})
		require.NoError(t, err)
		p := c.port(dev.Bus())
		require.NoError(t, p.Init(ctx))
		for _, baud := range c.ok {
			require.NoError(t, p.Configure(ctx, baud, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne), "%s: %d baud", c.spec, baud)
		}
		for _, baud := range c.far {
			require.ErrorIs(t, p.Configure(ctx, baud, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne), driver.ErrInvalidArgument, "%s: %d baud", c.spec, baud)
		}
		require.NoError(t, dev.Err())
		require.Empty(t, dev.Violations())
	}
}
