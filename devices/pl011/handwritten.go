package pl011

// HandwrittenDriver is a polled PL011 driver written by hand the way an
// engineer writes one from the TRM. It is a BASELINE ONLY: it exists so
// tests can compare what the synthesizer derives with human practice on
// the same reference model. Its constants are its own (hw prefix), not the
// model's.

import (
	"context"
	"fmt"
	"time"

	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/driver"
	"github.com/drvsynth/drvsynth/os-interface/serial"
)

const (
	hwDR   = 0x00
	hwECR  = 0x04
	hwFR   = 0x18
	hwIBRD = 0x24
	hwFBRD = 0x28
	hwLCRH = 0x2C
	hwCR   = 0x30
	hwIMSC = 0x38
	hwICR  = 0x44

	hwDRErrs = 0xF00 // OE, BE, PE, FE
	hwDROE   = 0x800
	hwDRBE   = 0x400
	hwDRPE   = 0x200
	hwDRFE   = 0x100

	hwFRBusy = 0x08
	hwFRRXFE = 0x10
	hwFRTXFF = 0x20
	hwFRTXFE = 0x80

	hwLCRHPEN  = 0x02
	hwLCRHEPS  = 0x04
	hwLCRHSTP2 = 0x08
	hwLCRHFEN  = 0x10
	hwLCRHWLEN = 5 // shift of the word-length field
	hwLCRHSPS  = 0x80

	hwCREnable = 0x001
	hwCRTXE    = 0x100
	hwCRRXE    = 0x200

	hwAllInterrupts = 0x7FF
)

// HandwrittenConfig is the board's wiring of the UART.
type HandwrittenConfig struct {
	ClockHz   uint32        // UARTCLK; default 24 MHz
	FIFODepth int           // 16 or 32; default 16
	Timeout   time.Duration // how long a drain may take; default 1 s
}

// HandwrittenLineError reports receive errors seen by Read; the bytes were
// still delivered.
type HandwrittenLineError struct {
	Flags uint32 // the OR of DR bits 11:8 seen
	Index int    // the first damaged byte in the buffer
}

func (e *HandwrittenLineError) Error() string {
	var s string
	for _, f := range []struct {
		bit  uint32
		name string
	}{{hwDROE, "overrun"}, {hwDRBE, "break"}, {hwDRPE, "parity"}, {hwDRFE, "framing"}} {
		if e.Flags&f.bit != 0 {
			if s != "" {
				s += ", "
			}
			s += f.name
		}
	}
	return fmt.Sprintf("pl011 (handwritten): receive error: %s (first damaged byte at %d)", s, e.Index)
}

// HandwrittenDriver implements serial.Port by polling FR.
type HandwrittenDriver struct {
	b   bus.Bus
	cfg HandwrittenConfig
}

var _ serial.Port = (*HandwrittenDriver)(nil)

// NewHandwrittenDriver returns a driver for the PL011 behind b.
func NewHandwrittenDriver(b bus.Bus, cfg HandwrittenConfig) *HandwrittenDriver {
	if cfg.ClockHz == 0 {
		cfg.ClockHz = 24_000_000
	}
	if cfg.FIFODepth == 0 {
		cfg.FIFODepth = 16
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Second
	}
	return &HandwrittenDriver{b: b, cfg: cfg}
}

// drain waits until the transmitter has sent everything (FR.BUSY clear).
// The UART must be enabled: a disabled one never empties its FIFO.
func (d *HandwrittenDriver) drain(ctx context.Context) error {
	w := driver.NewWaiter(ctx, d.b, d.cfg.Timeout)
	for d.b.Read32(hwFR)&hwFRBusy != 0 {
		if err := w.Device(); err != nil {
			return err
		}
	}
	return nil
}

// Init takes the UART from whatever state firmware left it in to enabled,
// FIFOs on, interrupts masked and cleared, errors cleared.
func (d *HandwrittenDriver) Init(ctx context.Context) error {
	cr := d.b.Read32(hwCR)
	if cr&hwCREnable != 0 {
		// Firmware may have left a console running: let it finish.
		if err := d.drain(ctx); err != nil {
			return err
		}
	}
	d.b.Write32(hwCR, 0)
	d.b.Write32(hwIMSC, 0)
	d.b.Write32(hwICR, hwAllInterrupts)
	d.b.Write32(hwECR, 0)
	d.b.Write32(hwLCRH, d.b.Read32(hwLCRH)|hwLCRHFEN)
	d.b.Write32(hwCR, hwCREnable|hwCRTXE|hwCRRXE)
	return nil
}

// divisor returns IBRD and FBRD for baud, rounded to the nearest 1/64 as
// the TRM's formula does.
func (d *HandwrittenDriver) divisor(baud uint32) (ibrd, fbrd uint32, err error) {
	if baud == 0 {
		return 0, 0, fmt.Errorf("%w: baud 0", driver.ErrInvalidArgument)
	}
	div64 := (8*uint64(d.cfg.ClockHz)/uint64(baud) + 1) / 2
	ibrd, fbrd = uint32(div64>>6), uint32(div64&63)
	if ibrd == 0 || ibrd > 0xFFFF || ibrd == 0xFFFF && fbrd != 0 {
		return 0, 0, fmt.Errorf("%w: %d baud needs divisor %d+%d/64, outside 1..65535", driver.ErrInvalidArgument, baud, ibrd, fbrd)
	}
	return ibrd, fbrd, nil
}

func lineControl(bits serial.DataBits, parity serial.Parity, stop serial.StopBits) (uint32, error) {
	if bits > serial.DataBitsEight {
		return 0, fmt.Errorf("%w: data bits %d", driver.ErrInvalidArgument, bits)
	}
	lcr := uint32(bits) << hwLCRHWLEN // Five..Eight are 0..3, as WLEN is
	switch parity {
	case serial.ParityNone:
	case serial.ParityOdd:
		lcr |= hwLCRHPEN
	case serial.ParityEven:
		lcr |= hwLCRHPEN | hwLCRHEPS
	case serial.ParityMark:
		lcr |= hwLCRHPEN | hwLCRHSPS
	case serial.ParitySpace:
		lcr |= hwLCRHPEN | hwLCRHSPS | hwLCRHEPS
	default:
		return 0, fmt.Errorf("%w: parity %d", driver.ErrInvalidArgument, parity)
	}
	switch stop {
	case serial.StopBitsOne:
	case serial.StopBitsTwo:
		lcr |= hwLCRHSTP2
	default:
		return 0, fmt.Errorf("%w: stop bits %d", driver.ErrInvalidArgument, stop)
	}
	return lcr, nil
}

// Configure follows the TRM's sequence: let the transmitter drain, disable
// the UART, write the divisor, then LCR_H (which latches it), and enable.
func (d *HandwrittenDriver) Configure(ctx context.Context, baud uint32, bits serial.DataBits, parity serial.Parity, stop serial.StopBits) error {
	ibrd, fbrd, err := d.divisor(baud)
	if err != nil {
		return err
	}
	lcr, err := lineControl(bits, parity, stop)
	if err != nil {
		return err
	}
	cr := d.b.Read32(hwCR)
	if cr&hwCREnable != 0 {
		if err := d.drain(ctx); err != nil {
			return err
		}
		d.b.Write32(hwCR, cr&^hwCREnable)
	}
	d.b.Write32(hwIBRD, ibrd)
	d.b.Write32(hwFBRD, fbrd)
	d.b.Write32(hwLCRH, lcr|hwLCRHFEN)
	d.b.Write32(hwCR, hwCREnable|hwCRTXE|hwCRRXE)
	return nil
}

// Write sends buf: an empty FIFO takes a whole burst without further
// polls; otherwise one byte per TXFF check.
func (d *HandwrittenDriver) Write(ctx context.Context, buf []byte) error {
	w := driver.NewWaiter(ctx, d.b, d.cfg.Timeout)
	for len(buf) > 0 {
		fr := d.b.Read32(hwFR)
		switch {
		case fr&hwFRTXFE != 0:
			n := min(d.cfg.FIFODepth, len(buf))
			for _, c := range buf[:n] {
				d.b.Write32(hwDR, uint32(c))
			}
			buf = buf[n:]
		case fr&hwFRTXFF == 0:
			d.b.Write32(hwDR, uint32(buf[0]))
			buf = buf[1:]
		default:
			if err := w.Device(); err != nil {
				return err
			}
			continue
		}
		w.Done()
	}
	return nil
}

// Read fills buf, one byte per RXFE check. Damaged bytes are delivered and
// reported once buf is full.
func (d *HandwrittenDriver) Read(ctx context.Context, buf []byte) error {
	w := driver.NewWaiter(ctx, d.b, d.cfg.Timeout)
	var flags uint32
	first := -1
	for i := range buf {
		for d.b.Read32(hwFR)&hwFRRXFE != 0 {
			if err := w.Input(); err != nil {
				return err
			}
		}
		v := d.b.Read32(hwDR)
		if v&hwDRErrs != 0 {
			flags |= v & hwDRErrs
			if first < 0 {
				first = i
			}
		}
		buf[i] = byte(v)
	}
	if flags != 0 {
		d.b.Write32(hwECR, 0)
		return &HandwrittenLineError{Flags: flags, Index: first}
	}
	return nil
}
