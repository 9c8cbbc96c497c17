//go:build linux && amd64

package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drvsynth/drvsynth/generated/mc146818"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/bus/portio"
	"github.com/drvsynth/drvsynth/os-interface/driver"
)

// The synthesized RTC driver on QEMU's MC146818: index port 0x70, data
// port 0x71. The scenario reports what the driver returned and, beside it,
// the time registers read raw, so that the host can decode them by itself.

var cmos = portio.Range{Base: 0x70, Size: 2}

// Clock is a time as the rtc class passes it.
type Clock struct {
	Year   uint16 `json:"year"`
	Month  uint8  `json:"month"`
	Day    uint8  `json:"day"`
	Hour   uint8  `json:"hour"`
	Minute uint8  `json:"minute"`
	Second uint8  `json:"second"`
}

// RawTime is the CMOS as read without the driver: the time registers,
// the century byte PC firmware keeps at 0x32, and register B.
type RawTime struct {
	Seconds uint8 `json:"seconds"`
	Minutes uint8 `json:"minutes"`
	Hours   uint8 `json:"hours"`
	Day     uint8 `json:"day"`
	Month   uint8 `json:"month"`
	Year    uint8 `json:"year"`
	Century uint8 `json:"century"`
	B       uint8 `json:"b"`
}

// RTCRound is one SetTime, a pause, and one ReadTime in one format of
// register B.
type RTCRound struct {
	Format string `json:"format"`
	Set    Clock  `json:"set"`
	Got    Clock  `json:"got"`
	// Raw is read right after ReadTime.
	Raw RawTime `json:"raw"`
	// ElapsedMS runs from just before SetTime to just after Raw, on the
	// guest's clock.
	ElapsedMS int64 `json:"elapsed_ms"`
}

// cmosFormat is a format of register B: DM (bit 2, binary) and 24/12
// (bit 1, 24-hour).
type cmosFormat struct {
	name string
	bits uint8
}

// The rounds: every format the class must read and set, each with an hour
// that shows its encoding (PM, noon, midnight, a two-digit hour).
var rtcRounds = []struct {
	format cmosFormat
	set    Clock
}{
	{cmosFormat{"BCD 24-hour", 0x02}, Clock{2031, 5, 17, 8, 9, 10}},
	{cmosFormat{"BCD 12-hour", 0x00}, Clock{2042, 11, 30, 13, 14, 15}},
	{cmosFormat{"BCD 12-hour", 0x00}, Clock{2047, 6, 1, 12, 0, 5}},
	{cmosFormat{"binary 24-hour", 0x06}, Clock{2087, 7, 4, 23, 58, 30}},
	{cmosFormat{"binary 12-hour", 0x04}, Clock{2063, 2, 28, 0, 30, 45}},
}

// cmosGet and cmosPut access register addr through the index port, as
// firmware would; they keep the index port's NMI bit clear.
func cmosGet(b bus.Bus, addr uint8) uint8 {
	b.Write8(0, addr)
	return b.Read8(1)
}

func cmosPut(b bus.Bus, addr, v uint8) {
	b.Write8(0, addr)
	b.Write8(1, v)
}

// setFormat switches register B to f between driver calls, as firmware or
// another system may: the class has no way to choose it, and the spec has
// the driver keep what it finds.
func setFormat(b bus.Bus, f cmosFormat) {
	cmosPut(b, 0x0B, cmosGet(b, 0x0B)&^0x06|f.bits)
}

// readRaw waits for UIP to clear, then reads the time registers.
func readRaw(ctx context.Context, b bus.Bus) (RawTime, error) {
	for cmosGet(b, 0x0A)&0x80 != 0 {
		if err := ctx.Err(); err != nil {
			return RawTime{}, fmt.Errorf("UIP never cleared: %w", err)
		}
	}
	return RawTime{
		Seconds: cmosGet(b, 0x00), Minutes: cmosGet(b, 0x02), Hours: cmosGet(b, 0x04),
		Day: cmosGet(b, 0x07), Month: cmosGet(b, 0x08), Year: cmosGet(b, 0x09),
		Century: cmosGet(b, 0x32), B: cmosGet(b, 0x0B),
	}, nil
}

func readTime(ctx context.Context, d *mc146818.Driver) (Clock, error) {
	var c Clock
	var err error
	c.Year, c.Month, c.Day, c.Hour, c.Minute, c.Second, err = d.ReadTime(ctx)
	if err != nil {
		return Clock{}, fmt.Errorf("driver ReadTime: %w", err)
	}
	return c, nil
}

// round sets the clock to set, waits pause, and reads it back with the
// driver and raw.
func round(ctx context.Context, d *mc146818.Driver, b bus.Bus, name string, set Clock, pause time.Duration) (RTCRound, error) {
	r := RTCRound{Format: name, Set: set}
	start := time.Now()
	if err := d.SetTime(ctx, set.Year, set.Month, set.Day, set.Hour, set.Minute, set.Second); err != nil {
		return r, fmt.Errorf("driver SetTime %+v in %s: %w", set, name, err)
	}
	time.Sleep(pause)
	got, err := readTime(ctx, d)
	if err != nil {
		return r, err
	}
	r.Got = got
	if r.Raw, err = readRaw(ctx, b); err != nil {
		return r, err
	}
	r.ElapsedMS = time.Since(start).Milliseconds()
	return r, nil
}

func init() {
	register("rtc-driver", scenario{ports: []portio.Range{cmos}, run: func(ctx context.Context) error {
		b, err := portio.New(cmos)
		if err != nil {
			return err
		}
		d := mc146818.New(b)
		if err := d.Init(ctx); err != nil {
			return fmt.Errorf("driver Init: %w", err)
		}
		// The time QEMU started the clock with (the host's, in UTC), in
		// the format it boots in.
		booted, err := readTime(ctx, d)
		if err != nil {
			return err
		}
		report("booted", booted)
		report("booted_b", cmosGet(b, 0x0B))

		// More than a second between SetTime and ReadTime: the clock
		// must have counted at least one.
		const pause = 1100 * time.Millisecond
		for _, rr := range rtcRounds {
			setFormat(b, rr.format)
			r, err := round(ctx, d, b, rr.format.name, rr.set, pause)
			if err != nil {
				return err
			}
			report("round", r)
		}

		// The last second of 2099, in the format QEMU booted in: the
		// spec's year is two digits, 2000-2099.
		setFormat(b, rtcRounds[0].format)
		r, err := round(ctx, d, b, "century", Clock{2099, 12, 31, 23, 59, 59}, 1500*time.Millisecond)
		if err != nil {
			return err
		}
		report("century", r)

		// A year the two digits cannot hold is refused before any access.
		err = d.SetTime(ctx, 2100, 1, 1, 0, 0, 0)
		report("year_2100_invalid", errors.Is(err, driver.ErrInvalidArgument))
		report("year_2100_error", fmt.Sprint(err))
		return nil
	}})
}
