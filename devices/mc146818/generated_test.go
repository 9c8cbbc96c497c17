package mc146818_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/mc146818"
	synthesized "github.com/drvsynth/drvsynth/generated/mc146818"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/driver"
	"github.com/drvsynth/drvsynth/os-interface/rtc"
	"github.com/drvsynth/drvsynth/synth/sim"
)

// The bundled driver, generated/mc146818, synthesized from mc146818.dev,
// against the reference model (written from the datasheets, independently
// of the spec) and against the spec itself on the simulator.

func newGenerated(b bus.Bus) rtc.Clock { return synthesized.New(b) }

// ReadTime decodes every format at every hour: the model powers on in
// each of BCD and binary, 12- and 24-hour mode, at each hour of a day.
func TestGeneratedReadTimeEveryFormat(t *testing.T) {
	for _, md := range modes {
		for h := range 24 {
			at := time.Date(2037, 3, 28, h, 59, 30, 0, time.UTC)
			m := mc146818.NewModel(mc146818.Options{Start: at, Binary: md.binary, Hour12: md.hour12})
			c := newGenerated(m)
			require.NoError(t, c.Init(context.Background()))
			sameInstant(t, at, readTime(t, c), md.name, " hour ", h)
			assert.Empty(t, m.Violations(), "%s hour %d", md.name, h)
		}
	}
}

// SetTime then ReadTime, every hour, in every format the chip may be
// found in (BCD and binary, 12- and 24-hour): what SetTime stores is what
// the registers hold, in the chip's format (the PM bit in 12-hour mode),
// and what ReadTime returns; register B keeps the format firmware chose.
func TestGeneratedRoundTrip(t *testing.T) {
	for _, md := range modes {
		t.Run(md.name, func(t *testing.T) {
			m := mc146818.NewModel(mc146818.Options{Binary: md.binary, Hour12: md.hour12})
			formatB := m.Peek(0x0B)
			c := newGenerated(m)
			require.NoError(t, c.Init(context.Background()))
			for h := range 24 {
				for _, at := range []time.Time{
					time.Date(2031, 7, 19, h, 41, 17, 0, time.UTC),
					time.Date(2099, 12, 31, h, 59, 58, 0, time.UTC),
					time.Date(2000, 1, 1, h, 0, 0, 0, time.UTC),
				} {
					require.NoError(t, setTime(c, at))
					want, ok := m.Time()
					require.True(t, ok)
					sameInstant(t, at, want, "in the registers")
					assert.Equal(t, formatB, m.Peek(0x0B), "B after SetTime: the format kept, SET clear")
					if md.hour12 {
						assert.Equal(t, h >= 12, m.Peek(0x04)&0x80 != 0, "PM bit at hour %d", h)
					}
					sameInstant(t, at, readTime(t, c), "hour ", h)
				}
			}
			assert.Empty(t, m.Violations())
			assert.True(t, m.Running())
		})
	}
}

func TestGeneratedTicking(t *testing.T) { checkTicking(t, newGenerated) }

// Across the century boundary: the spec's YEAR holds 2000 + two digits
// (no century byte), so SetTime refuses 1999 and 2100 before any access,
// and a clock set to the last second of 2099 reads 2000 after it, as the
// chip wraps.
func TestGeneratedCenturyBoundary(t *testing.T) {
	m := mc146818.NewModel(mc146818.Options{})
	c := newGenerated(m)
	for _, y := range []uint16{1999, 2100, 0, 65535} {
		err := c.SetTime(context.Background(), y, 1, 1, 0, 0, 0)
		require.ErrorIs(t, err, driver.ErrInvalidArgument, "year %d", y)
		assert.Contains(t, err.Error(), "2000-2099")
	}
	for _, bad := range [][5]uint8{{13, 1, 0, 0, 0}, {0, 1, 0, 0, 0}, {1, 0, 0, 0, 0}, {1, 32, 0, 0, 0}, {1, 1, 24, 0, 0}, {1, 1, 0, 60, 0}, {1, 1, 0, 0, 60}} {
		err := c.SetTime(context.Background(), 2030, bad[0], bad[1], bad[2], bad[3], bad[4])
		assert.ErrorIs(t, err, driver.ErrInvalidArgument, "%v", bad)
	}
	assert.Zero(t, m.Now(), "refused before any access")
	at := time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC)
	require.NoError(t, setTime(c, at))
	sameInstant(t, at, readTime(t, c))
	m.Advance(1500 * time.Millisecond)
	got := readTime(t, c)
	assert.Equal(t, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), got.Truncate(2*time.Second), "a two-digit year wraps")
	assert.Empty(t, m.Violations())
}

// A ReadTime that starts anywhere around an update returns one instant:
// the second before New Year or New Year itself, never a mix. The driver
// waits for UIP = 0 and then reads for 16 accesses; the chip promises
// 244 µs without an update after UIP reads 0, which a bus of 1 or 10 µs
// per access keeps (the spec's between transitions stand for it).
func TestGeneratedUIPSafe(t *testing.T) {
	before := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
	for _, access := range []time.Duration{time.Microsecond, 10 * time.Microsecond} {
		hits := 0
		for phase := 996 * time.Millisecond; phase < 1003*time.Millisecond; phase += 13 * time.Microsecond {
			m := mc146818.NewModel(mc146818.Options{Start: before, Phase: phase, AccessTime: access})
			got := readTime(t, newGenerated(m))
			sameInstant(t, before, got, "phase ", phase, " access ", access)
			if got.Year() == 2027 {
				hits++
			}
			assert.Zero(t, m.UndefinedReads(), "phase %v access %v: a time register read during an update", phase, access)
			assert.Empty(t, m.Violations())
		}
		assert.Positive(t, hits, "some reads must see the update land (access %v)", access)
	}
}

// SetTime holds SET for all of its time writes, even when it starts in
// the announce window or during an update: the model records a time
// register written with SET clear as a violation.
func TestGeneratedSetTimeHoldsSET(t *testing.T) {
	for phase := 999600 * time.Microsecond; phase < 1002*time.Millisecond; phase += 50 * time.Microsecond {
		m := mc146818.NewModel(mc146818.Options{Phase: phase, AccessTime: 10 * time.Microsecond})
		at := time.Date(2040, 2, 29, 6, 7, 8, 0, time.UTC)
		require.NoError(t, setTime(newGenerated(m), at))
		assert.Empty(t, m.Violations(), "phase %v", phase)
		got, ok := m.Time()
		require.True(t, ok)
		assert.Equal(t, at, got)
		assert.Zero(t, m.Peek(0x0B)&0x80, "SET released")
	}
}

// On the spec's simulator, 1000 schedules of four calls each, with an
// update announced (or not) before every call and taken at any point the
// schedule likes: every ReadTime returns an instant the spec says the
// clock showed during that call, every SetTime starts the clock from the
// time asked for, nothing breaks a require, and the clock never loses a
// second. Some calls do meet an update.
func TestGeneratedOnSimulator(t *testing.T) {
	spec := loadSpec(t)
	met := 0
	for seed := uint64(0); seed < 1000; seed++ {
		dev, err := sim.NewFromModel(spec, sim.Options{Seed: seed, Unfair: true, Init: map[string]uint64{
			"SECONDS.VALUE": 0x58, "MINUTES.VALUE": 0x59, "HOURS.VALUE": 0x23,
			"DAY_OF_MONTH.VALUE": 0x31, "MONTH.VALUE": 0x12, "YEAR.VALUE": 0x26,
			"next_second": 0x59, "next_minute": 0x59, "next_hour": 0x23,
			"next_day": 0x31, "next_month": 0x12, "next_year": 0x26,
		}})
		require.NoError(t, err)
		c := synthesized.New(dev.Bus())
		ctx := context.Background()
		dev.NewCall()
		require.NoError(t, c.Init(ctx))
		for call := range 4 {
			require.NoError(t, dev.Input("tick"))
			dev.NewCall()
			if phase, err := dev.Value("phase"); err == nil && phase != 0 {
				met++
			}
			before := len(dev.Events())
			if call == 2 {
				h := uint8(seed % 24)
				require.NoError(t, c.SetTime(ctx, 2042, 6, 30, h, 15, 45), "seed %d", seed)
				want := fmt.Sprintf("time_set(%#x, %#x, %#x, %#x, %#x, %#x)", 2042, 6, 30, h, 15, 45)
				require.Len(t, dev.Events()[before:], 1, "seed %d", seed)
				assert.Equal(t, want, dev.Events()[before].String(), "seed %d", seed)
				continue
			}
			y, mo, d, h, mi, s, err := c.ReadTime(ctx)
			require.NoError(t, err, "seed %d call %d", seed, call)
			got := []uint64{uint64(y), uint64(mo), uint64(d), uint64(h), uint64(mi), uint64(s)}
			require.True(t, observed(dev, before, got), "seed %d call %d: %v was never observed in %v", seed, call, got, dev.Events()[before:])
		}
		lost, err := dev.Value("lost")
		require.NoError(t, err)
		require.Zero(t, lost, "seed %d: the clock lost a second", seed)
		require.NoError(t, dev.Err())
		require.Empty(t, dev.Violations(), "seed %d", seed)
	}
	t.Logf("%d of 4000 calls started with an update announced or under way", met)
	assert.Positive(t, met)
}
