package mc146818

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(m *Model, addr byte) byte {
	m.Write8(portIndex, addr)
	return m.Read8(portData)
}

func put(m *Model, addr, v byte) {
	m.Write8(portIndex, addr)
	m.Write8(portData, v)
}

var start = time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)

// UIP rises 244 µs before the update, the update takes 1984 µs, and the
// time registers are garbage meanwhile; afterwards the new second shows
// and UF is set.
func TestModelUpdateCycle(t *testing.T) {
	m := NewModel(Options{Start: start, Phase: second*time.Microsecond - 300*time.Microsecond})
	assert.Zero(t, get(m, addrA)&aUIP) // at 1e6-298 µs: not yet
	m.Advance(60 * time.Microsecond)
	assert.NotZero(t, get(m, addrA)&aUIP, "announced")
	assert.Equal(t, byte(0x59), get(m, addrSec), "old time until the update starts")
	m.Advance(300 * time.Microsecond)
	assert.Equal(t, byte(0xFF), get(m, addrSec), "garbage during the update")
	assert.Equal(t, 1, m.UndefinedReads())
	m.Advance(updateTime * time.Microsecond)
	assert.Zero(t, get(m, addrA)&aUIP)
	got, ok := m.Time()
	require.True(t, ok)
	assert.Equal(t, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), got)
	assert.Equal(t, byte(cUF), get(m, addrC)&cUF)
	assert.Zero(t, get(m, addrC)&cUF, "reading C cleared it")
	assert.Equal(t, 1, m.Updates())
	assert.Empty(t, m.Violations())
}

// After UIP reads 0, no update starts for at least 244 µs.
func TestModelUIPGuarantee(t *testing.T) {
	for phase := int64(second - 600); phase < second+updateTime+50; phase += 3 {
		m := NewModel(Options{Start: start, Phase: time.Duration(phase) * time.Microsecond})
		if get(m, addrA)&aUIP != 0 {
			continue
		}
		before := m.Updates()
		m.Advance((uipLead - 2) * time.Microsecond)
		assert.NotEqual(t, byte(0xFF), get(m, addrSec), "phase %d", phase)
		assert.Equal(t, before, m.Updates())
	}
}

// SET stops updates and clears UIP (aborting an announced update) and
// UIE; time written under SET runs from there once SET is released.
func TestModelSET(t *testing.T) {
	m := NewModel(Options{Start: start, Phase: (second - 100) * time.Microsecond})
	put(m, addrB, b24|bUIE)
	assert.NotZero(t, get(m, addrA)&aUIP)
	put(m, addrB, bSET|b24|bUIE)
	assert.Zero(t, get(m, addrA)&aUIP)
	assert.Equal(t, byte(bSET|b24), get(m, addrB), "SET clears UIE")
	m.Advance(3 * time.Second)
	assert.Zero(t, m.Updates())
	put(m, addrHour, 0x07)
	put(m, addrB, b24)
	// SET was released inside the window in which this second's update
	// would have been announced: that update does not come, the next does.
	m.Advance(2 * time.Second)
	got, _ := m.Time()
	assert.Equal(t, time.Date(2026, 12, 31, 8, 0, 0, 0, time.UTC), got)
	assert.Equal(t, 1, m.Updates())
	assert.Empty(t, m.Violations())
	put(m, addrMin, 0x01)
	assert.Equal(t, []ViolationKind{WriteWhileRunning}, kinds(m.Violations()))
}

func kinds(vs []Violation) []ViolationKind {
	var out []ViolationKind
	for _, v := range vs {
		out = append(out, v.Kind)
	}
	return out
}

// Formats: BCD and binary, 12-hour with PM in bit 7, and no conversion
// when the mode bits change.
func TestModelFormats(t *testing.T) {
	at := time.Date(2026, 3, 5, 0, 7, 9, 0, time.UTC) // 12 AM
	for _, c := range []struct {
		bin, h12 bool
		hour     byte
	}{{false, false, 0x00}, {true, false, 0}, {false, true, 0x12}, {true, true, 12}} {
		m := NewModel(Options{Start: at, Binary: c.bin, Hour12: c.h12})
		assert.Equal(t, c.hour, m.Peek(addrHour))
		got, ok := m.Time()
		require.True(t, ok)
		assert.Equal(t, at, got)
	}
	m := NewModel(Options{Start: time.Date(2026, 3, 5, 13, 0, 0, 0, time.UTC), Hour12: true})
	assert.Equal(t, byte(hourPM|0x01), m.Peek(addrHour), "1 PM")
	m = NewModel(Options{Start: time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC), Hour12: true, Binary: true})
	assert.Equal(t, byte(hourPM|12), m.Peek(addrHour), "12 PM")
	// Switching to binary leaves the BCD bytes as they are.
	m = NewModel(Options{Start: time.Date(2026, 3, 5, 12, 0, 25, 0, time.UTC)})
	put(m, addrB, b24|bDM)
	assert.Equal(t, byte(0x25), m.Peek(addrSec))
}

// The chip's calendar: month lengths, leap years by four, day of week
// counting on its own, the year wrapping into the century on a DS12C887
// and the 2100 leap-year mistake.
func TestModelCalendar(t *testing.T) {
	for _, c := range []struct {
		from, want time.Time
		century    bool
	}{
		{time.Date(2026, 4, 30, 23, 59, 59, 0, time.UTC), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2028, 2, 28, 23, 59, 59, 0, time.UTC), time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2027, 2, 28, 23, 59, 59, 0, time.UTC), time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), true},
	} {
		for _, bin := range []bool{false, true} {
			m := NewModel(Options{Start: c.from, Binary: bin, Century: c.century})
			wd := m.Weekday()
			m.Advance(time.Second + updateTime*time.Microsecond)
			got, ok := m.Time()
			require.True(t, ok)
			assert.Equal(t, c.want, got, "from %v binary %v", c.from, bin)
			assert.Equal(t, wd%7+1, m.Weekday())
		}
	}
	m := NewModel(Options{Start: time.Date(2100, 2, 28, 23, 59, 59, 0, time.UTC), Century: true})
	m.Advance(time.Second + updateTime*time.Microsecond)
	assert.Equal(t, []byte{0x02, 0x29}, []byte{m.Peek(addrMonth), m.Peek(addrDay)}, "the chip thinks 2100 is a leap year")
}

// DV: an oscillator that is off keeps no time; 11x holds the chain, and
// the first update comes 500 ms after its release.
func TestModelDivider(t *testing.T) {
	m := NewModel(Options{Start: start, Stopped: true})
	m.Advance(5 * time.Second)
	assert.Zero(t, m.Updates())
	put(m, addrA, dvReset)
	m.Advance(5 * time.Second)
	assert.Zero(t, m.Updates())
	put(m, addrA, dvRun|0x06)
	m.Advance(499 * time.Millisecond)
	assert.Zero(t, m.Updates())
	m.Advance(3 * time.Millisecond)
	assert.Equal(t, 1, m.Updates())
}

// Flags: PF at the RS rate, AF when the alarm matches (0xC0 is "any"),
// all cleared by reading C; IRQF only for enabled ones.
func TestModelFlags(t *testing.T) {
	m := NewModel(Options{Start: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)})
	put(m, addrA, dvRun|0x0F) // 2 Hz
	get(m, addrC)
	m.Advance(400 * time.Millisecond)
	assert.Zero(t, get(m, addrC)&cPF)
	m.Advance(200 * time.Millisecond)
	assert.Equal(t, byte(cPF), get(m, addrC)&cPF)
	put(m, addrA, dvRun) // RS 0: no periodic flag
	put(m, addrSecAlarm, 0x05)
	put(m, addrMinAlarm, dontCare)
	put(m, addrHrAlarm, dontCare)
	put(m, addrB, b24|bAIE)
	get(m, addrC)
	m.Advance(4 * time.Second)
	assert.Equal(t, byte(cUF), get(m, addrC), "no alarm yet at :04")
	m.Advance(time.Second)
	assert.Equal(t, byte(cIRQF|cAF|cUF), get(m, addrC))
	assert.Zero(t, get(m, addrC))
}

func TestModelBatteryAndAccesses(t *testing.T) {
	m := NewModel(Options{BatteryLost: true})
	assert.Zero(t, get(m, addrD))
	assert.Equal(t, byte(dVRT), get(m, addrD), "reading D sets VRT (MC146818A)")
	put(m, 0x20, 0xAB)
	assert.Equal(t, byte(0xAB), get(m, 0x20), "RAM")
	assert.Equal(t, byte(0xAB), get(m, 0x60), "address bit 6 ignored")
	m.Read8(portIndex)
	m.Read16(portData)
	put(m, addrC, 0)
	assert.Equal(t, []ViolationKind{BadAccess, BadAccess, BadAccess}, kinds(m.Violations()))
}
