// Package serial is the serial-line driver class.
//
// serial.osi beside this file is the contract the synthesizer proves every
// method against; this file is the Go shape of the same class. Enum types
// and their members follow the class spec: member M of type T is TM here.
package serial

import "context"

// DataBits is the number of data bits per character.
type DataBits uint8

const (
	DataBitsFive DataBits = iota
	DataBitsSix
	DataBitsSeven
	DataBitsEight
)

// Parity is the parity scheme of the line.
type Parity uint8

const (
	ParityNone Parity = iota
	ParityOdd
	ParityEven
	ParityMark
	ParitySpace
)

// StopBits is the number of stop bits.
type StopBits uint8

const (
	StopBitsOne StopBits = iota
	StopBitsTwo
)

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
