package mc146818_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/mc146818"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/driver"
	"github.com/drvsynth/drvsynth/os-interface/rtc"
)

// The harnesses take a constructor so any rtc.Clock for this chip can be
// run through them on the reference model.
type newClock func(b bus.Bus) rtc.Clock

func newHandwritten(b bus.Bus) rtc.Clock {
	return mc146818.NewHandwrittenDriver(b, mc146818.HandwrittenConfig{})
}

func newHandwrittenCentury(b bus.Bus) rtc.Clock {
	return mc146818.NewHandwrittenDriver(b, mc146818.HandwrittenConfig{CenturyAddr: 0x32})
}

type mode struct {
	name           string
	binary, hour12 bool
}

var modes = []mode{{"bcd-24h", false, false}, {"bcd-12h", false, true}, {"binary-24h", true, false}, {"binary-12h", true, true}}

func readTime(t *testing.T, c rtc.Clock) time.Time {
	t.Helper()
	y, mo, d, h, mi, s, err := c.ReadTime(context.Background())
	require.NoError(t, err)
	return time.Date(int(y), time.Month(mo), int(d), int(h), int(mi), int(s), 0, time.UTC)
}

func setTime(c rtc.Clock, at time.Time) error {
	return c.SetTime(context.Background(), uint16(at.Year()), uint8(at.Month()), uint8(at.Day()), uint8(at.Hour()), uint8(at.Minute()), uint8(at.Second()))
}

// sameInstant: what was read is at, or at plus the seconds that passed on
// the model meanwhile (a SetTime and a ReadTime take microseconds, so at
// most one tick).
func sameInstant(t *testing.T, at, got time.Time, msg ...any) {
	t.Helper()
	if !got.Equal(at) && !got.Equal(at.Add(time.Second)) {
		t.Errorf("read %v, want %v (or one second later) %v", got, at, fmt.Sprint(msg...))
	}
}

// checkRoundTrip: every hour of the day, in every format, at a date and
// the minute before midnight; what SetTime stores is what ReadTime
// returns, and the registers hold it in the chip's format.
func checkRoundTrip(t *testing.T, mk newClock) {
	for _, md := range modes {
		t.Run(md.name, func(t *testing.T) {
			m := mc146818.NewModel(mc146818.Options{Binary: md.binary, Hour12: md.hour12})
			c := mk(m)
			require.NoError(t, c.Init(context.Background()))
			for h := range 24 {
				at := time.Date(2031, 7, 19, h, 41, 17, 0, time.UTC)
				require.NoError(t, setTime(c, at))
				want, ok := m.Time()
				require.True(t, ok)
				sameInstant(t, at, want, "in the registers")
				hourReg := m.Peek(0x04)
				if md.hour12 {
					assert.Equal(t, h >= 12, hourReg&0x80 != 0, "PM bit at hour %d", h)
				}
				sameInstant(t, at, readTime(t, c), "hour ", h)
			}
			assert.Empty(t, m.Violations())
			assert.True(t, m.Running())
		})
	}
}

// checkTicking: the clock runs from the time set, across the boundaries
// of minute, day, month, leap day and year.
func checkTicking(t *testing.T, mk newClock) {
	for _, md := range modes {
		for _, at := range []time.Time{
			time.Date(2026, 11, 30, 23, 59, 58, 0, time.UTC),
			time.Date(2028, 2, 28, 23, 59, 58, 0, time.UTC),
			time.Date(2026, 12, 31, 23, 59, 58, 0, time.UTC),
			time.Date(2026, 6, 1, 11, 59, 58, 0, time.UTC), // noon in 12-hour mode
		} {
			m := mc146818.NewModel(mc146818.Options{Binary: md.binary, Hour12: md.hour12})
			c := mk(m)
			require.NoError(t, c.Init(context.Background()))
			require.NoError(t, setTime(c, at))
			m.Advance(3 * time.Second)
			got := readTime(t, c)
			if !got.Equal(at.Add(2*time.Second)) && !got.Equal(at.Add(3*time.Second)) {
				t.Errorf("%s: set %v, 3 s later read %v", md.name, at, got)
			}
			assert.Empty(t, m.Violations())
		}
	}
}

// checkUIPSafe: a ReadTime that starts anywhere around an update, on a
// fast and on a slow bus, returns one instant: here either the second
// before New Year or New Year itself, never a mix.
func checkUIPSafe(t *testing.T, mk newClock) {
	before := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
	for _, access := range []time.Duration{time.Microsecond, 20 * time.Microsecond, 300 * time.Microsecond} {
		hits, garbage := 0, 0
		for phase := 996 * time.Millisecond; phase < 1003*time.Millisecond; phase += 13 * time.Microsecond {
			m := mc146818.NewModel(mc146818.Options{Start: before, Phase: phase, AccessTime: access})
			c := mk(m)
			got := readTime(t, c)
			sameInstant(t, before, got, "phase ", phase, " access ", access)
			if got.Year() == 2027 {
				hits++
			}
			garbage += m.UndefinedReads()
			assert.Empty(t, m.Violations())
		}
		assert.Positive(t, hits, "some reads must see the update land (access %v)", access)
		if access >= 300*time.Microsecond {
			// Slower than the 244 µs guarantee: some reads did hit the
			// update, and the driver must have noticed and read again.
			assert.Positive(t, garbage, "access %v", access)
		}
	}
}

func TestHandwrittenRoundTrip(t *testing.T) { checkRoundTrip(t, newHandwritten) }
func TestHandwrittenTicking(t *testing.T)   { checkTicking(t, newHandwritten) }
func TestHandwrittenUIPSafe(t *testing.T)   { checkUIPSafe(t, newHandwritten) }

// SetTime holds SET for all of its writes: the model records a time
// register written with SET clear as a violation, and none may appear
// even when SetTime starts in the announce window or during an update.
func TestHandwrittenSetTimeHoldsSET(t *testing.T) {
	for phase := 999600 * time.Microsecond; phase < 1002*time.Millisecond; phase += 50 * time.Microsecond {
		m := mc146818.NewModel(mc146818.Options{Phase: phase, AccessTime: 10 * time.Microsecond})
		c := newHandwritten(m)
		at := time.Date(2040, 2, 29, 6, 7, 8, 0, time.UTC)
		require.NoError(t, setTime(c, at))
		assert.Empty(t, m.Violations(), "phase %v", phase)
		got, ok := m.Time()
		require.True(t, ok)
		assert.Equal(t, at, got)
		assert.Equal(t, int(at.Weekday())+1, m.Weekday())
	}
}

// Without a century byte the chip holds 2000-2099; SetTime refuses other
// years, and bad dates, rather than store something else.
func TestHandwrittenRejects(t *testing.T) {
	m := mc146818.NewModel(mc146818.Options{})
	c := newHandwritten(m)
	for _, at := range [][6]int{{1999, 12, 31, 0, 0, 0}, {2100, 1, 1, 0, 0, 0}, {2026, 2, 29, 0, 0, 0}, {2026, 13, 1, 0, 0, 0}, {2026, 4, 31, 0, 0, 0}, {2026, 1, 1, 24, 0, 0}} {
		err := c.SetTime(context.Background(), uint16(at[0]), uint8(at[1]), uint8(at[2]), uint8(at[3]), uint8(at[4]), uint8(at[5]))
		assert.ErrorIs(t, err, driver.ErrInvalidArgument, "%v", at)
	}
	assert.Empty(t, m.Violations())
	assert.Zero(t, m.Peek(0x0B)&0x80, "SET never left set")
}

// Across the century boundary: with the DS12C887's century byte, both
// 1999 -> 2000 and 2099 -> 2100 tick and read back right, in every mode.
// Without it the chip wraps 2099 to 2000, which is why SetTime is limited
// to 2000-2099 there.
func TestHandwrittenCenturyBoundary(t *testing.T) {
	for _, md := range modes {
		for _, at := range []time.Time{time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC)} {
			m := mc146818.NewModel(mc146818.Options{Binary: md.binary, Hour12: md.hour12, Century: true})
			c := newHandwrittenCentury(m)
			require.NoError(t, c.Init(context.Background()))
			require.NoError(t, setTime(c, at))
			sameInstant(t, at, readTime(t, c))
			m.Advance(1500 * time.Millisecond)
			got := readTime(t, c)
			if !got.Equal(at.Add(time.Second)) && !got.Equal(at.Add(2*time.Second)) {
				t.Errorf("%s: set %v, read %v", md.name, at, got)
			}
			assert.Empty(t, m.Violations())
		}
	}
	m := mc146818.NewModel(mc146818.Options{Start: time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC)})
	c := newHandwritten(m)
	m.Advance(1500 * time.Millisecond)
	assert.Equal(t, 2000, readTime(t, c).Year(), "a two-digit year wraps")
}

// Init starts a stopped oscillator, clears a SET left behind, and reports
// a failed battery.
func TestHandwrittenInit(t *testing.T) {
	m := mc146818.NewModel(mc146818.Options{Stopped: true})
	c := newHandwritten(m)
	require.NoError(t, c.Init(context.Background()))
	assert.True(t, m.Running())
	m.Advance(3 * time.Second)
	assert.Positive(t, m.Updates())

	m = mc146818.NewModel(mc146818.Options{})
	m.Write8(0, 0x0B)
	m.Write8(1, 0x82|0x10)
	c = newHandwritten(m)
	require.NoError(t, c.Init(context.Background()))
	assert.True(t, m.Running())
	assert.Equal(t, byte(0x02), m.Peek(0x0B), "SET and interrupt enables cleared, format kept")

	m = mc146818.NewModel(mc146818.Options{BatteryLost: true})
	assert.ErrorIs(t, newHandwritten(m).Init(context.Background()), mc146818.ErrHandwrittenBatteryLost)
}
