//go:build linux && amd64

package main

import (
	"context"
	"fmt"
	"time"

	"github.com/drvsynth/drvsynth/generated/uart16550"
	"github.com/drvsynth/drvsynth/internal/guest/wire"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/bus/portio"
	"github.com/drvsynth/drvsynth/os-interface/serial"
)

// COM2, the UART under test; the host holds the other end of its line.
var com2 = portio.Range{Base: 0x2f8, Size: 8}

// newUART is the synthesized driver on COM2, initialised. Call it on the
// port thread.
func newUART(ctx context.Context) (*uart16550.Driver, bus.Bus, error) {
	b, err := portio.New(com2)
	if err != nil {
		return nil, nil, err
	}
	d := uart16550.New(b)
	if err := d.Init(ctx); err != nil {
		return nil, nil, fmt.Errorf("driver Init: %w", err)
	}
	return d, b, nil
}

// Registers is COM2's register file read back raw after the driver ran,
// for the host to compare with the datasheet.
type Registers struct {
	Baud uint32 `json:"baud"`
	Line string `json:"line"`
	LCR  uint8  `json:"lcr"`
	DLL  uint8  `json:"dll"`
	DLM  uint8  `json:"dlm"`
	IER  uint8  `json:"ier"`
	IIR  uint8  `json:"iir"`
	MCR  uint8  `json:"mcr"`
	LSR  uint8  `json:"lsr"`
}

// readBack reads every register without changing what the driver left:
// the divisor latch is reached by setting DLAB and restoring LCR after.
func readBack(b bus.Bus) Registers {
	var r Registers
	r.LCR = b.Read8(3)
	r.IIR = b.Read8(2)
	r.MCR = b.Read8(4)
	r.LSR = b.Read8(5)
	if r.LCR&0x80 == 0 {
		r.IER = b.Read8(1)
	}
	b.Write8(3, r.LCR|0x80)
	r.DLL = b.Read8(0)
	r.DLM = b.Read8(1)
	b.Write8(3, r.LCR)
	if r.LCR&0x80 != 0 {
		r.IER = 0xff // hidden behind DLM while the driver leaves DLAB set
	}
	return r
}

// The line settings the configure scenario runs, in order.
var lines = []struct {
	baud   uint32
	name   string
	bits   serial.DataBits
	parity serial.Parity
	stop   serial.StopBits
}{
	{115200, "8N1", serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne},
	{9600, "7E1", serial.DataBitsSeven, serial.ParityEven, serial.StopBitsOne},
	{38400, "8N2", serial.DataBitsEight, serial.ParityNone, serial.StopBitsTwo},
}

// waitSent waits until the transmitter is empty (LSR.TEMT), so every byte
// has reached the host's end before the emulator ends.
func waitSent(ctx context.Context, b bus.Bus) error {
	for b.Read8(5)&0x40 == 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("transmitter never emptied: %w", err)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

func init() {
	register("uart-configure", scenario{ports: []portio.Range{com2}, run: func(ctx context.Context) error {
		d, b, err := newUART(ctx)
		if err != nil {
			return err
		}
		for _, l := range lines {
			if err := d.Configure(ctx, l.baud, l.bits, l.parity, l.stop); err != nil {
				return fmt.Errorf("driver Configure %d %s: %w", l.baud, l.name, err)
			}
			r := readBack(b)
			r.Baud, r.Line = l.baud, l.name
			report("registers", r)
		}
		return nil
	}})

	register("uart-write", scenario{ports: []portio.Range{com2}, run: func(ctx context.Context) error {
		d, b, err := newUART(ctx)
		if err != nil {
			return err
		}
		if err := d.Configure(ctx, 115200, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne); err != nil {
			return fmt.Errorf("driver Configure: %w", err)
		}
		report("registers", readBack(b))
		text := wire.Text(wire.TextSize)
		if err := d.Write(ctx, text); err != nil {
			return fmt.Errorf("driver Write: %w", err)
		}
		report("written", len(text))
		return waitSent(ctx, b)
	}})

	register("uart-read", scenario{ports: []portio.Range{com2}, run: func(ctx context.Context) error {
		d, b, err := newUART(ctx)
		if err != nil {
			return err
		}
		if err := d.Configure(ctx, 115200, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne); err != nil {
			return fmt.Errorf("driver Configure: %w", err)
		}
		if err := d.Write(ctx, []byte(wire.ReadyLine)); err != nil {
			return fmt.Errorf("driver Write: %w", err)
		}
		buf := make([]byte, wire.TextSize)
		if err := d.Read(ctx, buf); err != nil {
			return fmt.Errorf("driver Read: %w", err)
		}
		report("received", buf) // JSON: base64
		return waitSent(ctx, b)
	}})
}
