package uart16550

// HandwrittenDriver is a polled 16550 driver written by hand the way an
// experienced engineer writes one. It is a BASELINE ONLY: the drivers drvsynth
// ships are the synthesized ones under generated/. It exists so tests and
// benchmarks can compare a synthesized driver against human practice (bus
// accesses per byte, throughput) on the same reference model.
//
// Its register constants are its own (hw prefix), not the model's, so the
// two stay independent readings of the datasheet.

import (
	"context"
	"errors"
	"fmt"

	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/serial"
)

const (
	hwRBR = 0 // DLAB=0, read
	hwTHR = 0 // DLAB=0, write
	hwDLL = 0 // DLAB=1
	hwIER = 1 // DLAB=0
	hwDLM = 1 // DLAB=1
	hwIIR = 2 // read
	hwFCR = 2 // write
	hwLCR = 3
	hwMCR = 4
	hwLSR = 5

	hwFCREnable  = 0x01
	hwFCRRxReset = 0x02
	hwFCRTxReset = 0x04
	hwIIRFIFOs   = 0xC0 // both bits set: a 16550A with working FIFOs

	hwLCRWord5   = 0x00
	hwLCRWord6   = 0x01
	hwLCRWord7   = 0x02
	hwLCRWord8   = 0x03
	hwLCRTwoStop = 0x04
	hwLCRParity  = 0x08
	hwLCREven    = 0x10
	hwLCRStick   = 0x20
	hwLCRDLAB    = 0x80

	hwMCRDTR = 0x01
	hwMCRRTS = 0x02

	hwLSRDR   = 0x01
	hwLSROE   = 0x02
	hwLSRPE   = 0x04
	hwLSRFE   = 0x08
	hwLSRBI   = 0x10
	hwLSRTHRE = 0x20
	hwLSRTEMT = 0x40
	hwLSRErrs = hwLSROE | hwLSRPE | hwLSRFE | hwLSRBI

	hwFIFODepth = 16
	// hwBaudBase is the PC crystal (1.8432 MHz) divided by the 16x oversampling.
	hwBaudBase = 1843200 / 16
)

// ErrHandwrittenBaud is returned by Configure for a rate the divisor latch
// cannot produce.
var ErrHandwrittenBaud = errors.New("uart16550 (handwritten): baud rate out of range")

// hwLineError is the error Read returns for a byte the chip reported as
// damaged (LSR error bits, OR-ed): the class's *serial.LineError, as the
// synthesized driver returns it, so the two can be compared.
func hwLineError(index int, lsr uint8) error {
	var errs []error
	for _, f := range []struct {
		bit uint8
		err error
	}{{hwLSROE, serial.ErrOverrun}, {hwLSRPE, serial.ErrParity}, {hwLSRFE, serial.ErrFraming}, {hwLSRBI, serial.ErrBreak}} {
		if lsr&f.bit != 0 {
			errs = append(errs, f.err)
		}
	}
	return &serial.LineError{Device: "uart16550 (handwritten)", Method: "Read", Index: index, Errs: errs, Reg: "LSR", Status: uint64(lsr)}
}

// HandwrittenDriver implements serial.Port by polling LSR.
type HandwrittenDriver struct {
	b     bus.Bus
	poll  bus.Poller // nil unless the bus knows how to pause
	burst int        // bytes written per THRE: the FIFO depth, or 1 on a 16450
	// lsrErrs keeps error bits seen by any LSR read (reading LSR clears them
	// in the chip, and Write's polls may see them first) until Read reports
	// them.
	lsrErrs uint8
}

var _ serial.Port = (*HandwrittenDriver)(nil)

// NewHandwrittenDriver returns a driver for the 16550 behind b. Call Init
// before anything else.
func NewHandwrittenDriver(b bus.Bus) *HandwrittenDriver {
	d := &HandwrittenDriver{b: b, burst: 1}
	d.poll, _ = b.(bus.Poller)
	return d
}

// readLSR reads LSR and remembers the error bits the read just cleared.
func (d *HandwrittenDriver) readLSR() uint8 {
	v := d.b.Read8(hwLSR)
	d.lsrErrs |= v & hwLSRErrs
	return v
}

// waitLSR polls LSR until one of mask's bits is set or ctx ends.
func (d *HandwrittenDriver) waitLSR(ctx context.Context, mask uint8) (uint8, error) {
	done := ctx.Done()
	for i := 0; ; i++ {
		v := d.readLSR()
		if v&mask != 0 {
			return v, nil
		}
		if done != nil {
			select {
			case <-done:
				return v, ctx.Err()
			default:
			}
		}
		if d.poll != nil {
			d.poll.Pause(i)
		}
	}
}

// Init brings the UART to a known state: polled (no interrupts), FIFOs on
// and empty, DTR/RTS asserted.
func (d *HandwrittenDriver) Init(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// IER and DLM share an offset; make sure we are not in the divisor bank
	// (a previous owner may have left DLAB set).
	if lcr := d.b.Read8(hwLCR); lcr&hwLCRDLAB != 0 {
		d.b.Write8(hwLCR, lcr&^hwLCRDLAB)
	}
	d.b.Write8(hwIER, 0)
	d.b.Write8(hwFCR, hwFCREnable|hwFCRRxReset|hwFCRTxReset)
	// A 16450 has no FIFOs and a buggy 16550 reports only bit 7: in both
	// cases write one byte per THRE.
	if d.b.Read8(hwIIR)&hwIIRFIFOs == hwIIRFIFOs {
		d.burst = hwFIFODepth
	} else {
		d.burst = 1
	}
	d.b.Write8(hwMCR, hwMCRDTR|hwMCRRTS)
	d.readLSR() // clear stale line errors
	d.lsrErrs = 0
	return nil
}

// handwrittenLCR encodes the framing.
func handwrittenLCR(bits serial.DataBits, parity serial.Parity, stop serial.StopBits) (uint8, error) {
	var lcr uint8
	switch bits {
	case serial.DataBitsFive:
		lcr = hwLCRWord5
	case serial.DataBitsSix:
		lcr = hwLCRWord6
	case serial.DataBitsSeven:
		lcr = hwLCRWord7
	case serial.DataBitsEight:
		lcr = hwLCRWord8
	default:
		return 0, fmt.Errorf("uart16550 (handwritten): bad data bits %d", bits)
	}
	switch parity {
	case serial.ParityNone:
	case serial.ParityOdd:
		lcr |= hwLCRParity
	case serial.ParityEven:
		lcr |= hwLCRParity | hwLCREven
	case serial.ParityMark:
		lcr |= hwLCRParity | hwLCRStick
	case serial.ParitySpace:
		lcr |= hwLCRParity | hwLCRStick | hwLCREven
	default:
		return 0, fmt.Errorf("uart16550 (handwritten): bad parity %d", parity)
	}
	switch stop {
	case serial.StopBitsOne:
	case serial.StopBitsTwo:
		lcr |= hwLCRTwoStop
	default:
		return 0, fmt.Errorf("uart16550 (handwritten): bad stop bits %d", stop)
	}
	return lcr, nil
}

// Configure sets speed and framing. It waits for the transmitter to drain
// first: changing the divisor under a character in flight garbles it.
func (d *HandwrittenDriver) Configure(ctx context.Context, baud uint32, bits serial.DataBits, parity serial.Parity, stop serial.StopBits) error {
	if baud == 0 {
		return ErrHandwrittenBaud
	}
	// Round to the nearest divisor, as serial drivers usually do.
	div := (hwBaudBase + baud/2) / baud
	if div == 0 || div > 0xFFFF {
		return ErrHandwrittenBaud
	}
	lcr, err := handwrittenLCR(bits, parity, stop)
	if err != nil {
		return err
	}
	if _, err := d.waitLSR(ctx, hwLSRTEMT); err != nil {
		return err
	}
	d.b.Write8(hwLCR, lcr|hwLCRDLAB)
	d.b.Write8(hwDLL, uint8(div))
	d.b.Write8(hwDLM, uint8(div>>8))
	d.b.Write8(hwLCR, lcr)
	return nil
}

// Write sends buf: wait for THRE, then fill the FIFO (an empty FIFO has room
// for 16), repeat.
func (d *HandwrittenDriver) Write(ctx context.Context, buf []byte) error {
	for len(buf) > 0 {
		if _, err := d.waitLSR(ctx, hwLSRTHRE); err != nil {
			return err
		}
		n := min(d.burst, len(buf))
		for _, c := range buf[:n] {
			d.b.Write8(hwTHR, c)
		}
		buf = buf[n:]
	}
	return nil
}

// Read fills buf: wait for DR, read RBR, per byte. The LSR read that
// finds DR also holds the byte's error bits; with the bits earlier polls
// (Write's, say) cleared in the chip and kept here, they are reported for
// the byte read next: it is still taken into buf, and Read stops there with
// a *serial.LineError naming its index.
func (d *HandwrittenDriver) Read(ctx context.Context, buf []byte) error {
	for i := range buf {
		if _, err := d.waitLSR(ctx, hwLSRDR); err != nil {
			return err
		}
		buf[i] = d.b.Read8(hwRBR)
		if errs := d.lsrErrs; errs != 0 {
			d.lsrErrs = 0
			return hwLineError(i, errs)
		}
	}
	return nil
}
