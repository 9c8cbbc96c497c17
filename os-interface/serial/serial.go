// Package serial is the serial-line driver class.
//
// serial.osi beside this file is the contract the synthesizer proves every
// method against; this file is the Go shape of the same class. Enum types
// and their members follow the class spec: member M of type T is TM here.
package serial

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drvsynth/drvsynth/os-interface/driver"
)

// DefaultTimeout is how long a serial driver waits for the device's own
// progress (a character leaving the shift register takes about 1 ms at
// 9600 baud) before it returns driver.ErrTimeout. Waits for bytes to
// arrive end only with the context.
const DefaultTimeout = time.Second

// The errors a device reports about a received byte: the faults of Read
// in serial.osi. Read returns them inside a *LineError that says which
// byte; errors.Is(err, serial.ErrParity) finds each.
var (
	// ErrOverrun: a byte arrived while the receiver was full, and was
	// lost; the device reports it with the next byte read.
	ErrOverrun = errors.New("overrun: a byte was lost")
	// ErrParity: the byte arrived with a wrong parity bit.
	ErrParity = errors.New("parity error")
	// ErrFraming: the byte arrived without a valid stop bit.
	ErrFraming = errors.New("framing error")
	// ErrBreak: the line was held at space for longer than a character;
	// the byte received for it is 0.
	ErrBreak = errors.New("break")
)

// LineError is the error Read returns when the device reported one of the
// errors above: Index is the byte of buf it is about (buf[:Index] arrived
// cleanly; buf[Index] holds the byte itself, taken from the device), Errs
// what the device reported, and Reg and Status the register bits that
// showed it. Use errors.As(err, &le) with le a *serial.LineError.
type LineError = driver.ElementError

// DataBits is the number of data bits per character.
type DataBits uint8

const (
	DataBitsFive DataBits = iota
	DataBitsSix
	DataBitsSeven
	DataBitsEight
)

func (b DataBits) String() string {
	if b <= DataBitsEight {
		return [...]string{"Five", "Six", "Seven", "Eight"}[b]
	}
	return fmt.Sprintf("DataBits(%d)", uint8(b))
}

// Parity is the parity scheme of the line.
type Parity uint8

const (
	ParityNone Parity = iota
	ParityOdd
	ParityEven
	ParityMark
	ParitySpace
)

func (p Parity) String() string {
	if p <= ParitySpace {
		return [...]string{"None", "Odd", "Even", "Mark", "Space"}[p]
	}
	return fmt.Sprintf("Parity(%d)", uint8(p))
}

// StopBits is the number of stop bits.
type StopBits uint8

const (
	StopBitsOne StopBits = iota
	StopBitsTwo
)

func (s StopBits) String() string {
	if s <= StopBitsTwo {
		return [...]string{"One", "Two"}[s]
	}
	return fmt.Sprintf("StopBits(%d)", uint8(s))
}

// Port is implemented by every synthesized serial driver.
type Port interface {
	// Init brings the device from reset to ready.
	Init(ctx context.Context) error
	// Configure sets the line speed and framing.
	Configure(ctx context.Context, baud uint32, bits DataBits, parity Parity, stop StopBits) error
	// Write sends every byte of buf, in order.
	Write(ctx context.Context, buf []byte) error
	// Read fills buf with received bytes, in order, waiting for them until
	// ctx ends.
	Read(ctx context.Context, buf []byte) error
}
