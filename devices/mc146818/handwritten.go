package mc146818

// HandwrittenDriver is an MC146818 driver written by hand the way an
// engineer writes one from the datasheet. It is a BASELINE ONLY, to
// compare the synthesized driver with. Its constants are its own (hw
// prefix), not the model's.
//
// It keeps the chip in whatever format firmware chose (BCD or binary,
// 12- or 24-hour), as PC operating systems do: other software (firmware
// setup, another OS) reads the same registers.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/driver"
	"github.com/drvsynth/drvsynth/os-interface/rtc"
)

const (
	hwIndex = 0
	hwData  = 1

	hwSec, hwMin, hwHour, hwWeekday, hwDay, hwMonth, hwYear = 0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09
	hwRegA, hwRegB, hwRegC, hwRegD                          = 0x0A, 0x0B, 0x0C, 0x0D

	hwUIP    = 0x80
	hwDVMask = 0x70
	hwDV32k  = 0x20
	hwRS1kHz = 0x06 // the PC's periodic rate
	hwSET    = 0x80
	hwIntEn  = 0x70 // PIE, AIE, UIE
	hwBinary = 0x04
	hwH24    = 0x02
	hwPM     = 0x80
	hwVRT    = 0x80
)

// ErrHandwrittenBatteryLost is returned by Init when register D says the
// backup battery failed: the time the clock shows is not to be trusted
// until it is set.
var ErrHandwrittenBatteryLost = errors.New("mc146818 (handwritten): backup battery failed, time invalid")

// HandwrittenConfig says how the board uses the chip.
type HandwrittenConfig struct {
	// CenturyAddr is the CMOS address of a century byte (0x32 on a
	// DS12C887 or where ACPI's FADT says so); 0 means none, and the
	// driver then holds years 2000-2099 only.
	CenturyAddr uint8
	// Timeout bounds the wait for UIP; default 1 s (an update is
	// announced at most once a second and lasts about 2 ms).
	Timeout time.Duration
}

// HandwrittenDriver implements rtc.Clock.
type HandwrittenDriver struct {
	b   bus.Bus
	cfg HandwrittenConfig
}

var _ rtc.Clock = (*HandwrittenDriver)(nil)

// NewHandwrittenDriver returns a driver for the chip behind b (two ports:
// index, data).
func NewHandwrittenDriver(b bus.Bus, cfg HandwrittenConfig) *HandwrittenDriver {
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Second
	}
	return &HandwrittenDriver{b: b, cfg: cfg}
}

func (d *HandwrittenDriver) get(addr uint8) uint8 {
	d.b.Write8(hwIndex, addr)
	return d.b.Read8(hwData)
}

func (d *HandwrittenDriver) put(addr, v uint8) {
	d.b.Write8(hwIndex, addr)
	d.b.Write8(hwData, v)
}

// Init makes the clock run without disturbing a running one: it starts
// the oscillator if it is off, clears a SET left behind, masks the
// interrupts and clears their flags.
func (d *HandwrittenDriver) Init(ctx context.Context) error {
	vrt := d.get(hwRegD)&hwVRT != 0
	if a := d.get(hwRegA); a&hwDVMask != hwDV32k {
		d.put(hwRegA, hwDV32k|hwRS1kHz)
	}
	if b := d.get(hwRegB); b&(hwSET|hwIntEn) != 0 {
		d.put(hwRegB, b&^(hwSET|hwIntEn))
	}
	d.get(hwRegC)
	if !vrt {
		return ErrHandwrittenBatteryLost
	}
	return nil
}

type format struct{ binary, h24 bool }

func (f format) enc(v int) uint8 {
	if f.binary {
		return uint8(v)
	}
	return uint8(v/10<<4 | v%10)
}

func (f format) dec(b uint8) int {
	if f.binary {
		return int(b)
	}
	return int(b>>4)*10 + int(b&0xF)
}

func (f format) encHour(h int) uint8 {
	if f.h24 {
		return f.enc(h)
	}
	var pm uint8
	if h >= 12 {
		pm = hwPM
	}
	if h %= 12; h == 0 {
		h = 12
	}
	return f.enc(h) | pm
}

func (f format) decHour(b uint8) int {
	if f.h24 {
		return f.dec(b)
	}
	h := f.dec(b&^hwPM) % 12 // 12 AM is hour 0
	if b&hwPM != 0 {
		h += 12
	}
	return h
}

func (d *HandwrittenDriver) format() format {
	b := d.get(hwRegB)
	return format{binary: b&hwBinary != 0, h24: b&hwH24 != 0}
}

type snapshot [8]uint8 // sec, min, hour, day, month, year, century, A

func (d *HandwrittenDriver) snapshot() snapshot {
	var s snapshot
	for i, a := range []uint8{hwSec, hwMin, hwHour, hwDay, hwMonth, hwYear} {
		s[i] = d.get(a)
	}
	if d.cfg.CenturyAddr != 0 {
		s[6] = d.get(d.cfg.CenturyAddr)
	}
	return s
}

// ReadTime reads all fields from one second. After UIP reads 0 the chip
// promises 244 µs without an update, but a driver can be preempted for
// longer, so it does not rely on that alone: it reads the fields, checks
// that UIP is still 0 and that a second read of the fields agrees, and
// tries again otherwise.
func (d *HandwrittenDriver) ReadTime(ctx context.Context) (year uint16, month, day, hour, minute, second uint8, err error) {
	w := driver.NewWaiter(ctx, d.b, d.cfg.Timeout)
	f := d.format()
	for {
		if d.get(hwRegA)&hwUIP == 0 {
			s := d.snapshot()
			if d.get(hwRegA)&hwUIP == 0 && d.snapshot() == s {
				return d.decode(f, s)
			}
		}
		if err = w.Device(); err != nil {
			return 0, 0, 0, 0, 0, 0, err
		}
	}
}

func (d *HandwrittenDriver) decode(f format, s snapshot) (year uint16, month, day, hour, minute, second uint8, err error) {
	century := 20
	if d.cfg.CenturyAddr != 0 {
		century = f.dec(s[6])
	}
	return uint16(century*100 + f.dec(s[5])), uint8(f.dec(s[4])), uint8(f.dec(s[3])),
		uint8(f.decHour(s[2])), uint8(f.dec(s[1])), uint8(f.dec(s[0])), nil
}

// SetTime writes the time with SET held, so no update can land between
// the bytes, and releases SET: the clock runs from the time written.
func (d *HandwrittenDriver) SetTime(ctx context.Context, year uint16, month, day, hour, minute, second uint8) error {
	lo, hi := 2000, 2099
	if d.cfg.CenturyAddr != 0 {
		lo, hi = 0, 9999
	}
	if int(year) < lo || int(year) > hi {
		return fmt.Errorf("%w: year %d outside %d-%d, which this clock holds", driver.ErrInvalidArgument, year, lo, hi)
	}
	t := time.Date(int(year), time.Month(month), int(day), int(hour), int(minute), int(second), 0, time.UTC)
	if month < 1 || month > 12 || day < 1 || int(day) != t.Day() || hour > 23 || minute > 59 || second > 59 {
		return fmt.Errorf("%w: %04d-%02d-%02d %02d:%02d:%02d is not a time", driver.ErrInvalidArgument, year, month, day, hour, minute, second)
	}
	b := d.get(hwRegB)
	f := format{binary: b&hwBinary != 0, h24: b&hwH24 != 0}
	d.put(hwRegB, b|hwSET)
	d.put(hwSec, f.enc(int(second)))
	d.put(hwMin, f.enc(int(minute)))
	d.put(hwHour, f.encHour(int(hour)))
	d.put(hwWeekday, f.enc(int(t.Weekday())+1))
	d.put(hwDay, f.enc(int(day)))
	d.put(hwMonth, f.enc(int(month)))
	d.put(hwYear, f.enc(int(year)%100))
	if d.cfg.CenturyAddr != 0 {
		d.put(d.cfg.CenturyAddr, f.enc(int(year)/100))
	}
	d.put(hwRegB, b&^hwSET)
	return nil
}
