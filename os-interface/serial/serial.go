// Package serial is the serial-line driver class.
//
// serial.osi beside this file is the contract the synthesizer proves every
// method against; this file is the Go shape of the same class. Enum types
// and their members follow the class spec: member M of type T is TM here.
package serial

import (
	"context"
	"fmt"
	"time"
)

// DefaultTimeout is how long a serial driver waits for the device's own
// progress (a character leaving the shift register takes about 1 ms at
// 9600 baud) before it returns driver.ErrTimeout. Waits for bytes to
// arrive end only with the context.
const DefaultTimeout = time.Second

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
