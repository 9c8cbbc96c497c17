package pl011_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/pl011"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/serial"
	"github.com/drvsynth/drvsynth/synth"
	"github.com/drvsynth/drvsynth/synth/run"
	"github.com/drvsynth/drvsynth/synth/sim"
	"github.com/drvsynth/drvsynth/synth/solve"
)

// The PL011 driver is not shipped under generated/ yet (drivers.txt is not
// this package's to change), but its strategies are synthesized here from
// pl011.dev and run, through synth/run, against the reference model written
// from the TRM: the same harnesses the hand-written baseline passes.

var (
	synthOnce sync.Once
	synthRes  *solve.Result
	synthErr  error
)

func synthesized(t *testing.T) *solve.Result {
	t.Helper()
	if testing.Short() {
		t.Skip("synthesizes the PL011 (about 2 s)")
	}
	synthOnce.Do(func() { synthRes, synthErr = synth.Build("pl011.dev", solve.Options{}) })
	require.NoError(t, synthErr)
	return synthRes
}

// strategyPort is a serial.Port that runs the synthesized strategies.
type strategyPort struct{ mc *run.Machine }

func (p strategyPort) Init(ctx context.Context) error {
	_, err := p.mc.Call(ctx, "Init", run.Args{})
	return err
}

func (p strategyPort) Configure(ctx context.Context, baud uint32, bits serial.DataBits, parity serial.Parity, stop serial.StopBits) error {
	_, err := p.mc.Call(ctx, "Configure", run.Args{Values: map[string]uint64{
		"baud": uint64(baud), "bits": uint64(bits), "parity": uint64(parity), "stop": uint64(stop)}})
	return err
}

func (p strategyPort) Write(ctx context.Context, buf []byte) error {
	_, err := p.mc.Call(ctx, "Write", run.Args{Buffers: map[string][]byte{"buf": buf}})
	return err
}

func (p strategyPort) Read(ctx context.Context, buf []byte) error {
	_, err := p.mc.Call(ctx, "Read", run.Args{Buffers: map[string][]byte{"buf": buf}})
	return err
}

func synthesizedPort(t *testing.T) newPort {
	res := synthesized(t)
	return func(b bus.Bus) serial.Port { return strategyPort{&run.Machine{Res: res, Buses: []bus.Bus{b}}} }
}

func TestSynthesizedConfigure(t *testing.T) { checkConfigure(t, synthesizedPort(t)) }
func TestSynthesizedSend(t *testing.T) {
	mk := synthesizedPort(t)
	for _, ticks := range []int{1, 10, 40} {
		checkSend(t, mk, pl011.Options{CharTicks: ticks}, 1000)
	}
}
func TestSynthesizedReceive(t *testing.T)       { checkReceive(t, synthesizedPort(t), 200) }
func TestSynthesizedDrainReconfig(t *testing.T) { checkDrainBeforeReconfigure(t, synthesizedPort(t)) }

// TestSynthesizedOnSimulator: the strategies against the spec itself, with
// the device's choices put to 1000 random schedules.
func TestSynthesizedOnSimulator(t *testing.T) {
	res := synthesized(t)
	ctx := context.Background()
	for seed := uint64(1); seed <= 1000; seed++ {
		dev, err := sim.NewFromModel(res.Model, sim.Options{Seed: seed})
		require.NoError(t, err)
		p := strategyPort{&run.Machine{Res: res, Buses: []bus.Bus{dev.Bus()}}}
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
