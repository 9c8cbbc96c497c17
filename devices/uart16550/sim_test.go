package uart16550_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	synthesized "github.com/drvsynth/drvsynth/generated/uart16550"
	"github.com/drvsynth/drvsynth/os-interface/serial"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/sim"
)

// TestSynthesizedOnSimulator runs the synthesized driver against the
// spec-driven simulator, which resolves the device's nondeterminism by a
// different random schedule each run and records every require the driver
// breaks. This catches strategy bugs; the reference-model tests catch spec
// bugs.
func TestSynthesizedOnSimulator(t *testing.T) {
	m, err := model.Load("uart16550.dev")
	require.NoError(t, err)
	schedules := 1000
	if testing.Short() {
		schedules = 100
	}
	ctx := context.Background()
	for seed := uint64(1); seed <= uint64(schedules); seed++ {
		dev, err := sim.NewFromModel(m, sim.Options{Seed: seed})
		require.NoError(t, err)
		d := synthesized.New(dev.Bus())
		require.NoError(t, d.Init(ctx))
		require.NoError(t, d.Configure(ctx, 9600, serial.DataBitsSeven, serial.ParityEven, serial.StopBitsTwo))
		out := randomBytes(seed, 40)
		require.NoError(t, d.Write(ctx, out))
		// The spec's receiver holds one byte: feed the next when the last
		// one has been read.
		in := randomBytes(seed+1, 6)
		got := make([]byte, len(in))
		for i, b := range in {
			require.NoError(t, dev.Input("receive", uint64(b)))
			require.NoError(t, d.Read(ctx, got[i:i+1]))
		}
		require.NoError(t, dev.Err())
		require.Empty(t, dev.Violations(), "seed %d", seed)

		var sent, received []byte
		for _, e := range dev.Events() {
			switch e.Name {
			case "tx":
				sent = append(sent, byte(e.Args[0]))
			case "rx":
				received = append(received, byte(e.Args[0]))
			}
		}
		require.Equal(t, out, sent, "seed %d", seed)
		require.Equal(t, in, received, "seed %d", seed)
		require.Equal(t, in, got, "seed %d", seed)
		lo, err := dev.Value("DLL.DIVL")
		require.NoError(t, err)
		hi, err := dev.Value("DLM.DIVH")
		require.NoError(t, err)
		require.Equal(t, uint64(115200/9600), lo|hi<<8, "seed %d", seed)
	}
}
