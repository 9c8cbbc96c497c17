// Package bus is the only way a synthesized driver touches hardware.
//
// A driver sees its device as one or more regions (a port-I/O range, an MMIO
// window) addressed by offset. Every access a driver makes goes through this
// interface, so the same generated code runs against real ports, a QEMU guest,
// the spec-driven simulator, a reference model, or a shared-memory device
// backend in another process.
package bus

import "context"

// Bus is one region of a device's register space.
type Bus interface {
	Read8(off uint32) uint8
	Read16(off uint32) uint16
	Read32(off uint32) uint32
	Write8(off uint32, v uint8)
	Write16(off uint32, v uint16)
	Write32(off uint32, v uint32)

	// ReadStream moves len(buf) bytes out of the data port at off.
	// For a FIFO-style port (ATA DATA) every unit comes from the same offset;
	// for a window-style port (a shared buffer) the bytes come from off onward.
	// Which one the port is comes from the spec; the bus implements both the
	// same way as far as the driver can tell.
	ReadStream(off uint32, width int, buf []byte)
	// WriteStream moves buf into the data port at off.
	WriteStream(off uint32, width int, buf []byte)
}

// Interrupts is implemented by buses whose device has an interrupt line.
type Interrupts interface {
	// WaitIRQ blocks until the device raises its interrupt line or ctx ends.
	// It returns ctx.Err() when the context ends first.
	WaitIRQ(ctx context.Context) error
}

// Poller is implemented by buses that know a better way to wait between two
// reads of a status register than spinning (a futex on shared memory, a
// yield to the device-model goroutine). Generated poll loops call Pause
// between reads when the bus offers it.
type Poller interface {
	Pause(iteration int)
}
