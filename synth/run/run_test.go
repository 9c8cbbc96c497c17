package run_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/synth/internal/testspec"
	"github.com/drvsynth/drvsynth/synth/run"
	"github.com/drvsynth/drvsynth/synth/sim"
	"github.com/drvsynth/drvsynth/synth/solve"
)

// machine solves a testdata pair and puts its strategies on a simulated
// device.
func machine(t *testing.T, name string, seed uint64) (*run.Machine, *sim.Device) {
	t.Helper()
	m, err := testspec.Model(name)
	require.NoError(t, err)
	res, err := solve.Synthesize(m)
	require.NoError(t, err)
	dev, err := sim.NewFromModel(m, sim.Options{Seed: seed})
	require.NoError(t, err)
	return &run.Machine{Res: res, Buses: []bus.Bus{dev.Bus()}}, dev
}

// The strategy polls until the device settles, whenever that happens, then
// writes CTRL: under every schedule the simulator tries, no require is
// broken and the contract holds.
func TestRunPollsThenWrites(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		mc, dev := machine(t, "settle", seed)
		_, err := mc.Call(context.Background(), "Init", run.Args{})
		require.NoError(t, err, "seed %d", seed)
		require.NoError(t, dev.Err(), "seed %d", seed)
		assert.Empty(t, dev.Violations(), "seed %d", seed)
		en, err := dev.Value("CTRL.EN")
		require.NoError(t, err)
		assert.Equal(t, uint64(1), en, "seed %d", seed)
		assert.GreaterOrEqual(t, dev.Accesses(), 2, "at least one poll and the write")
	}
}

// Request parameters pick the value written.
func TestRunUsesParameters(t *testing.T) {
	mc, dev := machine(t, "mode", 1)
	ctx := context.Background()
	_, err := mc.Call(ctx, "Init", run.Args{})
	require.NoError(t, err)
	speed, err := dev.Value("CTRL.SPEED")
	require.NoError(t, err)
	assert.Equal(t, uint64(1), speed, "Init: SLOW")

	_, err = mc.Call(ctx, "SetMode", run.Args{Values: map[string]uint64{"m": 1}}) // Fast
	require.NoError(t, err)
	speed, err = dev.Value("CTRL.SPEED")
	require.NoError(t, err)
	assert.Equal(t, uint64(2), speed, "SetMode(Fast): FAST")
	assert.Empty(t, dev.Violations())

	_, err = mc.Call(ctx, "NoSuchMethod", run.Args{})
	assert.ErrorContains(t, err, "no method NoSuchMethod")
}

// busyBus is a device stuck busy: STATUS always reads 1.
type busyBus struct{ bus.Bus }

func (busyBus) Read8(uint32) uint8 { return 1 }

func TestRunPollLimit(t *testing.T) {
	mc, _ := machine(t, "settle", 1)
	mc.Buses = []bus.Bus{busyBus{mc.Buses[0]}}
	mc.PollLimit = 100
	_, err := mc.Call(context.Background(), "Init", run.Args{})
	assert.ErrorIs(t, err, run.ErrPollLimit)
}

func TestRunContextEndsPoll(t *testing.T) {
	mc, _ := machine(t, "settle", 1)
	mc.Buses = []bus.Bus{busyBus{mc.Buses[0]}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := mc.Call(ctx, "Init", run.Args{})
	assert.ErrorIs(t, err, context.Canceled)
}
