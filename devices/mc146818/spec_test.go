package mc146818_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/mc146818"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/sim"
)

// These tests hold mc146818.dev against the reference model: the
// hand-written driver, which passes on the model, runs on the spec's
// simulator, and what the spec says happened (its events, its register
// values) must be what the model says.

func loadSpec(t *testing.T) *model.Model {
	t.Helper()
	m, err := model.Load("mc146818.dev")
	require.NoError(t, err)
	return m
}

// initSim puts the simulator in the format of mode, the way firmware
// leaves a PC's clock.
func initSim(md mode) map[string]uint64 {
	b := uint64(0)
	if md.binary {
		b |= 0x04
	}
	if !md.hour12 {
		b |= 0x02
	}
	return map[string]uint64{"REGB.DM": b >> 2 & 1, "REGB.H24": b >> 1 & 1}
}

// TestSpecDecodesWhatTheChipStores: SetTime of the baseline driver, which
// encodes as the model (the datasheet) does, must make the spec emit
// time_set with the time set, for every hour in every format.
func TestSpecDecodesWhatTheChipStores(t *testing.T) {
	spec := loadSpec(t)
	for _, md := range modes {
		for h := range 24 {
			dev, err := sim.NewFromModel(spec, sim.Options{Seed: uint64(h), Init: initSim(md)})
			require.NoError(t, err)
			c := mc146818.NewHandwrittenDriver(dev.Bus(), mc146818.HandwrittenConfig{})
			at := time.Date(2049, 10, 31, h, 8, 9, 0, time.UTC)
			require.NoError(t, setTime(c, at))
			require.NoError(t, dev.Err())
			require.Empty(t, dev.Violations(), "%s hour %d", md.name, h)
			ev := dev.Events()
			require.Len(t, ev, 1)
			assert.Equal(t, fmt.Sprintf("time_set(%#x, %#x, %#x, %#x, %#x, %#x)", 2049, 10, 31, h, 8, 9), ev[0].String(), "%s hour %d", md.name, h)
		}
	}
}

// TestSpecSETClearsUIE: the datasheet clears UIE when SET goes high (the
// spec did not, before this test); a UIE written while SET stays high
// sticks.
func TestSpecSETClearsUIE(t *testing.T) {
	spec := loadSpec(t)
	dev, err := sim.NewFromModel(spec, sim.Options{})
	require.NoError(t, err)
	for _, b := range []interface {
		Write8(uint32, uint8)
		Read8(uint32) uint8
	}{dev.Bus(), mc146818.NewModel(mc146818.Options{})} {
		b.Write8(0, 0x0B)
		b.Write8(1, 0x80|0x10|0x02)
		assert.Equal(t, uint8(0x82), b.Read8(1), "%T: SET going high", b)
		b.Write8(1, 0x80|0x10|0x02)
		assert.Equal(t, uint8(0x92), b.Read8(1), "%T: SET staying high", b)
		b.Write8(1, 0x10|0x02)
		assert.Equal(t, uint8(0x12), b.Read8(1), "%T: SET released", b)
	}
	require.Empty(t, dev.Violations())
}

// TestSpecAgreesWithTheBaselineOnUIP: the spec announces an update only
// between calls (UIP rises 244 µs before the update, longer than a read
// takes), and a call may start with one announced or under way. The
// baseline waits for UIP = 0 and reads: on 300 schedules, with an update
// possible before every call, each of its readings is an instant the
// spec says the clock showed, and some of its calls did meet an update.
func TestSpecAgreesWithTheBaselineOnUIP(t *testing.T) {
	spec := loadSpec(t)
	const schedules = 300
	met := 0
	for seed := uint64(1); seed <= schedules; seed++ {
		dev, err := sim.NewFromModel(spec, sim.Options{Seed: seed, Unfair: true})
		require.NoError(t, err)
		c := mc146818.NewHandwrittenDriver(dev.Bus(), mc146818.HandwrittenConfig{})
		for range 3 {
			dev.NewCall()
			before := len(dev.Events())
			uip, err := dev.Value("phase")
			require.NoError(t, err)
			if uip != 0 {
				met++
			}
			y, mo, d, h, mi, s, err := c.ReadTime(context.Background())
			require.NoError(t, err)
			want := fmt.Sprint([]uint64{uint64(y), uint64(mo), uint64(d), uint64(h), uint64(mi), uint64(s)})
			found := false
			for _, e := range dev.Events()[before:] {
				found = found || e.Name == "observed" && fmt.Sprint(e.Args) == want
			}
			require.True(t, found, "seed %d: %s never observed in %v", seed, want, dev.Events()[before:])
		}
		require.NoError(t, dev.Err())
		require.Empty(t, dev.Violations())
	}
	t.Logf("%d of %d calls started with an update announced or under way", met, 3*schedules)
	assert.Positive(t, met)
}
