// Package mc146818 holds the independent check of the MC146818A real-time
// clock (and its Dallas DS12887/DS12C887 successors) as the PC wires it: a
// reference model written from the datasheets (this file) and a
// hand-written baseline driver (handwritten.go).
//
// The model is NOT derived from mc146818.dev. From the datasheets it takes
// the address map (time, alarm, registers A-D, 50 bytes of RAM behind an
// index port), the update cycle with a 32.768 kHz time base (UIP rises
// 244 µs before the update, the update takes 1984 µs and the time
// registers read as garbage meanwhile), SET (stops updates, aborts one
// under way, clears UIP and UIE), DM (BCD or binary) and 24/12 (PM in bit
// 7 of the hour) without conversion of values already stored, the DV
// divider control (only 010 keeps time; 11x holds the chain in reset and
// the first update comes 500 ms after release), the periodic, alarm
// (don't-care alarm bytes of 0xC0-0xFF) and update-ended flags of
// register C, cleared by reading it, and the chip's calendar: month
// lengths, a leap year every fourth year, a day of the week that counts
// 1..7 regardless of the date. The DS12C887 keeps a century byte at 0x32
// and carries into it when the year wraps (Options.Century).
//
// Time: model time advances by Options.AccessTime with every bus access,
// and by Advance. Nothing else moves it, so every run is deterministic.
package mc146818

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Port offsets and internal addresses.
const (
	portIndex = 0 // 0x70: address (bits 6:0) and, on the PC, NMI mask (bit 7)
	portData  = 1 // 0x71

	addrSec      = 0x00
	addrSecAlarm = 0x01
	addrMin      = 0x02
	addrMinAlarm = 0x03
	addrHour     = 0x04
	addrHrAlarm  = 0x05
	addrWeekday  = 0x06
	addrDay      = 0x07
	addrMonth    = 0x08
	addrYear     = 0x09
	addrA        = 0x0A
	addrB        = 0x0B
	addrC        = 0x0C
	addrD        = 0x0D
	addrCentury  = 0x32 // DS12C887 (and the PC's CMOS convention)
	nAddr        = 0x40 // 64 bytes; the chip ignores address bit 6

	aUIP     = 0x80
	aDV      = 0x70
	aRS      = 0x0F
	dvRun    = 0x20 // 010: 32.768 kHz time base
	dvReset  = 0x60 // 11x: divider chain held in reset
	bSET     = 0x80
	bPIE     = 0x40
	bAIE     = 0x20
	bUIE     = 0x10
	bSQWE    = 0x08
	bDM      = 0x04 // 1: binary
	b24      = 0x02 // 1: 24-hour
	bDSE     = 0x01
	cIRQF    = 0x80
	cPF      = 0x40
	cAF      = 0x20
	cUF      = 0x10
	dVRT     = 0x80
	hourPM   = 0x80
	dontCare = 0xC0
)

// Datasheet timing with the 32.768 kHz time base, in microseconds.
const (
	uipLead     = 244     // UIP rises this long before the update starts
	updateTime  = 1984    // the update itself
	second      = 1000000 // one turn of the divider chain
	firstUpdate = 500000  // after the chain leaves reset
)

// ViolationKind classifies a driver mistake.
type ViolationKind uint8

const (
	// WriteWhileRunning: a time register written with SET clear; an update
	// may land between the bytes (the datasheet says: set SET first).
	WriteWhileRunning ViolationKind = iota
	// WriteDuringUpdate: a time register written while an update copied
	// new values in; the write is lost.
	WriteDuringUpdate
	// InvalidTime: an update found values the calendar cannot count from
	// (a BCD digit above 9, hour 13 in 12-hour mode, ...).
	InvalidTime
	// BadAccess: a 16/32-bit access, a read of the index port, an offset
	// beyond the two ports, a write of the read-only registers C and D.
	BadAccess
)

var violationNames = [...]string{"time written with SET clear", "time written during an update", "invalid time in registers", "bad access"}

func (k ViolationKind) String() string {
	if int(k) < len(violationNames) {
		return violationNames[k]
	}
	return fmt.Sprintf("ViolationKind(%d)", k)
}

// Violation is one recorded driver mistake.
type Violation struct {
	At   time.Duration
	Kind ViolationKind
	Msg  string
}

func (v Violation) String() string { return fmt.Sprintf("t=%v %v: %s", v.At, v.Kind, v.Msg) }

// Options configure a model. The zero value is a PC's clock, running in
// BCD 24-hour mode at 2026-01-01 00:00:00, the divider at the start of a
// second.
type Options struct {
	// Start is the calendar at power-on; its weekday sets the day-of-week
	// register (Sunday is 1).
	Start time.Time
	// Binary and Hour12 are the format register B selects at power-on;
	// the time registers are encoded accordingly.
	Binary, Hour12 bool
	// Stopped: as shipped, the oscillator off (DV 000) and the time
	// registers holding whatever they held.
	Stopped bool
	// BatteryLost: VRT reads 0 (once, on an MC146818A: reading D sets it).
	BatteryLost bool
	// Phase is how far into the current second the divider chain is.
	Phase time.Duration
	// AccessTime is the time one bus access takes; default 1 µs.
	AccessTime time.Duration
	// Century: a DS12C887, whose century byte at 0x32 counts when the
	// year wraps from 99 to 00.
	Century bool
}

type updateState uint8

const (
	counting updateState = iota
	announced
	updating
)

// Model is an MC146818A reference model on the PC's two ports. It
// implements bus.Bus (8-bit accesses at offsets 0 and 1). It is safe for
// concurrent use.
type Model struct {
	mu  sync.Mutex
	opt Options

	ram   [nAddr]byte // every addressable byte; A-D are kept apart
	regA  byte        // DV and RS; UIP is computed
	regB  byte
	flags byte // PF, AF, UF
	vrt   bool
	index byte

	nowUS   int64 // model time, µs
	phaseUS int64 // µs into the current turn of the divider chain
	state   updateState
	nextPF  int64 // phase of the next periodic flag, or -1

	updates        int
	undefinedReads int
	violations     []Violation
}

// NewModel returns a model in its power-on state.
func NewModel(opt Options) *Model {
	if opt.Start.IsZero() {
		opt.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if opt.AccessTime <= 0 {
		opt.AccessTime = time.Microsecond
	}
	m := &Model{opt: opt, vrt: !opt.BatteryLost, regA: dvRun | 0x06, regB: b24, nextPF: -1}
	if opt.Binary {
		m.regB |= bDM
	}
	if opt.Hour12 {
		m.regB &^= b24
	}
	if opt.Stopped {
		m.regA = 0
	}
	m.phaseUS = opt.Phase.Microseconds() % second
	// Power-on inside the announce window finds UIP set; at a phase inside
	// the update itself, this second's update is taken as done.
	if m.running() && m.phaseUS >= second-uipLead {
		m.state = announced
	}
	m.storeCalendar(fromTime(opt.Start))
	m.schedulePF()
	return m
}

// ---- the chip's calendar ----

// calendar is the time as the chip counts it: a two-digit year and a
// century, a 24-hour hour, a day of week 1-7.
type calendar struct {
	century, year, month, day, weekday, hour, min, sec int
}

func fromTime(t time.Time) calendar {
	return calendar{century: t.Year() / 100, year: t.Year() % 100, month: int(t.Month()), day: t.Day(),
		weekday: int(t.Weekday()) + 1, hour: t.Hour(), min: t.Minute(), sec: t.Second()}
}

func (m *Model) binary() bool { return m.regB&bDM != 0 }

func (m *Model) enc(v int) byte {
	if m.binary() {
		return byte(v)
	}
	return byte(v/10<<4 | v%10)
}

// dec decodes a value in the current format; ok is false for a BCD digit
// above 9.
func (m *Model) dec(b byte) (int, bool) {
	if m.binary() {
		return int(b), true
	}
	hi, lo := int(b>>4), int(b&0xF)
	return hi*10 + lo, hi <= 9 && lo <= 9
}

func (m *Model) encHour(h int) byte {
	if m.regB&b24 != 0 {
		return m.enc(h)
	}
	var pm byte
	if h >= 12 {
		pm = hourPM
	}
	h %= 12
	if h == 0 {
		h = 12
	}
	return m.enc(h) | pm
}

func (m *Model) decHour(b byte) (int, bool) {
	if m.regB&b24 != 0 {
		h, ok := m.dec(b)
		return h, ok && h <= 23
	}
	h, ok := m.dec(b &^ hourPM)
	if !ok || h < 1 || h > 12 {
		return 0, false
	}
	h %= 12
	if b&hourPM != 0 {
		h += 12
	}
	return h, true
}

func (m *Model) storeCalendar(c calendar) {
	m.ram[addrSec] = m.enc(c.sec)
	m.ram[addrMin] = m.enc(c.min)
	m.ram[addrHour] = m.encHour(c.hour)
	m.ram[addrWeekday] = m.enc(c.weekday)
	m.ram[addrDay] = m.enc(c.day)
	m.ram[addrMonth] = m.enc(c.month)
	m.ram[addrYear] = m.enc(c.year)
	if m.opt.Century {
		m.ram[addrCentury] = m.enc(c.century)
	}
}

func (m *Model) loadCalendar() (calendar, bool) {
	var c calendar
	ok := true
	get := func(addr byte, lo, hi int) int {
		v, good := m.dec(m.ram[addr])
		if !good || v < lo || v > hi {
			ok = false
		}
		return v
	}
	c.sec = get(addrSec, 0, 59)
	c.min = get(addrMin, 0, 59)
	h, good := m.decHour(m.ram[addrHour])
	c.hour, ok = h, ok && good
	c.weekday = get(addrWeekday, 1, 7)
	c.day = get(addrDay, 1, 31)
	c.month = get(addrMonth, 1, 12)
	c.year = get(addrYear, 0, 99)
	if m.opt.Century {
		c.century = get(addrCentury, 0, 99)
	}
	return c, ok
}

// daysIn is the chip's month length: every year divisible by four is a
// leap year (right for 2000-2099, wrong for 2100).
func daysIn(month, yy int) int {
	switch month {
	case 2:
		if yy%4 == 0 {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func (c calendar) next() calendar {
	c.sec++
	if c.sec < 60 {
		return c
	}
	c.sec = 0
	if c.min++; c.min < 60 {
		return c
	}
	c.min = 0
	if c.hour++; c.hour < 24 {
		return c
	}
	c.hour = 0
	c.weekday = c.weekday%7 + 1
	if c.day++; c.day <= daysIn(c.month, c.year) {
		return c
	}
	c.day = 1
	if c.month++; c.month <= 12 {
		return c
	}
	c.month = 1
	if c.year++; c.year <= 99 {
		return c
	}
	c.year = 0
	c.century = (c.century + 1) % 100
	return c
}

// ---- time ----

func (m *Model) violate(k ViolationKind, format string, args ...any) {
	m.violations = append(m.violations, Violation{At: time.Duration(m.nowUS) * time.Microsecond, Kind: k, Msg: fmt.Sprintf(format, args...)})
}

func (m *Model) running() bool { return m.regA&aDV == dvRun }

// periodUS is the periodic-flag interval RS selects (32.768 kHz base):
// none for 0; 3.90625 and 7.8125 ms for 1 and 2; 2^(RS-1)/32768 s above.
func (m *Model) periodUS() int64 {
	rs := m.regA & aRS
	switch rs {
	case 0:
		return 0
	case 1, 2:
		rs += 7
	}
	return int64(1<<(rs-1)) * second / 32768
}

func (m *Model) schedulePF() {
	m.nextPF = -1
	if p := m.periodUS(); p > 0 && m.running() {
		m.nextPF = (m.phaseUS/p + 1) * p
	}
}

// advance lets us microseconds pass, handling the divider chain's events
// in order.
func (m *Model) advance(us int64) {
	for us > 0 {
		if !m.running() {
			m.nowUS += us
			return
		}
		// The next event on the chain, as a phase (may be second or past).
		next := int64(second)
		switch {
		case m.state == counting && m.regB&bSET == 0 && m.phaseUS < second-uipLead:
			next = second - uipLead
		case m.state == updating:
			next = updateTime
		}
		if m.nextPF >= 0 && m.nextPF < next {
			next = m.nextPF
		}
		step := min(next-m.phaseUS, us)
		m.phaseUS += step
		m.nowUS += step
		us -= step
		if m.phaseUS < next {
			return
		}
		if m.phaseUS == m.nextPF {
			m.flags |= cPF
			m.nextPF += m.periodUS()
		}
		switch {
		case m.phaseUS == second:
			m.phaseUS = 0
			if m.nextPF >= second {
				m.nextPF -= second
			}
			if m.state == announced {
				m.state = updating
			}
		case m.phaseUS == second-uipLead && m.state == counting && m.regB&bSET == 0:
			m.state = announced
		case m.phaseUS == updateTime && m.state == updating:
			m.finishUpdate()
		}
	}
}

func (m *Model) finishUpdate() {
	m.state = counting
	m.updates++
	c, ok := m.loadCalendar()
	if !ok {
		m.violate(InvalidTime, "update with time registers % x", m.ram[:10])
	} else {
		m.storeCalendar(c.next())
	}
	m.flags |= cUF
	match := func(alarm, now byte) bool { return alarm&dontCare == dontCare || alarm == now }
	if match(m.ram[addrSecAlarm], m.ram[addrSec]) && match(m.ram[addrMinAlarm], m.ram[addrMin]) && match(m.ram[addrHrAlarm], m.ram[addrHour]) {
		m.flags |= cAF
	}
}

func (m *Model) irqf() bool {
	return m.flags&cPF != 0 && m.regB&bPIE != 0 || m.flags&cAF != 0 && m.regB&bAIE != 0 || m.flags&cUF != 0 && m.regB&bUIE != 0
}

func isTime(addr byte) bool {
	switch addr {
	case addrSec, addrMin, addrHour, addrWeekday, addrDay, addrMonth, addrYear:
		return true
	}
	return false
}

// ---- bus.Bus ----

func (m *Model) tick() { m.advance(m.opt.AccessTime.Microseconds()) }

// Read8 implements bus.Bus.
func (m *Model) Read8(off uint32) uint8 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tick()
	if off != portData {
		m.violate(BadAccess, "read of port offset %d", off)
		return 0xFF
	}
	a := m.index
	switch {
	case a == addrA:
		v := m.regA
		if m.state != counting {
			v |= aUIP
		}
		return v
	case a == addrB:
		return m.regB
	case a == addrC:
		v := m.flags
		if m.irqf() {
			v |= cIRQF
		}
		m.flags = 0
		return v
	case a == addrD:
		v := byte(0)
		if m.vrt {
			v = dVRT
		}
		m.vrt = true // MC146818A: reading D sets VRT
		return v
	case m.state == updating && (isTime(a) || m.opt.Century && a == addrCentury):
		m.undefinedReads++
		return 0xFF
	}
	return m.ram[a]
}

// Write8 implements bus.Bus.
func (m *Model) Write8(off uint32, v uint8) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tick()
	switch off {
	case portIndex:
		m.index = v & (nAddr - 1)
		return
	case portData:
	default:
		m.violate(BadAccess, "write %#02x to port offset %d", v, off)
		return
	}
	a := m.index
	switch {
	case a == addrA:
		wasReset := m.regA&dvReset == dvReset
		wasRunning := m.running()
		m.regA = v &^ aUIP
		switch {
		case m.regA&dvReset == dvReset:
			m.phaseUS, m.state = 0, counting
		case m.running() && (wasReset || !wasRunning):
			m.phaseUS, m.state = firstUpdate, counting
		}
		m.schedulePF()
	case a == addrB:
		if v&bSET != 0 {
			// SET stops updates, aborts one under way and clears UIP.
			m.state = counting
			if m.regB&bSET == 0 {
				v &^= bUIE // SET going high clears UIE
			}
		}
		m.regB = v
	case a == addrC || a == addrD:
		m.violate(BadAccess, "write %#02x to read-only register %#x", v, a)
	case isTime(a) || m.opt.Century && a == addrCentury:
		if m.state == updating {
			m.violate(WriteDuringUpdate, "write %#02x to %#x during an update: lost", v, a)
			return
		}
		if m.regB&bSET == 0 {
			m.violate(WriteWhileRunning, "write %#02x to %#x with SET clear", v, a)
		}
		m.ram[a] = v
	default:
		m.ram[a] = v
	}
}

func (m *Model) badWidth(off uint32, width int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tick()
	m.violate(BadAccess, "%d-bit access at offset %d", width, off)
}

// Read16 implements bus.Bus; the chip has 8-bit ports only.
func (m *Model) Read16(off uint32) uint16 { m.badWidth(off, 16); return 0xFFFF }

// Read32 implements bus.Bus (violation).
func (m *Model) Read32(off uint32) uint32 { m.badWidth(off, 32); return 0xFFFFFFFF }

// Write16 implements bus.Bus (violation).
func (m *Model) Write16(off uint32, v uint16) { m.badWidth(off, 16) }

// Write32 implements bus.Bus (violation).
func (m *Model) Write32(off uint32, v uint32) { m.badWidth(off, 32) }

// ReadStream implements bus.Bus as repeated reads of one port.
func (m *Model) ReadStream(off uint32, width int, buf []byte) {
	for i := range buf {
		buf[i] = m.Read8(off)
	}
}

// WriteStream implements bus.Bus as repeated writes of one port.
func (m *Model) WriteStream(off uint32, width int, buf []byte) {
	for _, b := range buf {
		m.Write8(off, b)
	}
}

// ---- test API ----

// Advance lets d pass without bus accesses.
func (m *Model) Advance(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.advance(d.Microseconds())
}

// Now is the model time since power-on.
func (m *Model) Now() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return time.Duration(m.nowUS) * time.Microsecond
}

// Peek returns the byte at an internal address without an access: no time
// passes and nothing is cleared. UIP is not included in register A.
func (m *Model) Peek(addr byte) byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch addr {
	case addrA:
		return m.regA
	case addrB:
		return m.regB
	case addrC:
		return m.flags
	}
	return m.ram[addr&(nAddr-1)]
}

// Time returns the time the registers hold, decoded in the current format
// (the century is 20 unless the model keeps one); ok is false if the
// registers do not hold a valid time.
func (m *Model) Time() (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.loadCalendar()
	if !m.opt.Century {
		c.century = 20
	}
	if !ok {
		return time.Time{}, false
	}
	return time.Date(c.century*100+c.year, time.Month(c.month), c.day, c.hour, c.min, c.sec, 0, time.UTC), true
}

// Weekday returns the day-of-week register, decoded (1 is Sunday).
func (m *Model) Weekday() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, _ := m.dec(m.ram[addrWeekday])
	return v
}

// Running reports whether the clock keeps time: DV 010 and SET clear.
func (m *Model) Running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.running() && m.regB&bSET == 0
}

// Updates is the number of completed update cycles.
func (m *Model) Updates() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.updates
}

// UndefinedReads is the number of time registers read during an update
// (each returned garbage).
func (m *Model) UndefinedReads() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.undefinedReads
}

// Violations returns the recorded driver mistakes.
func (m *Model) Violations() []Violation {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.violations)
}
