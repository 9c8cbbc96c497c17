// Package shm is a bus.Bus over a shared-memory region that a device backend
// in another process also maps: the paravirtual analogue of an MMIO window.
//
// The bus itself knows no device. Register accesses go to a Device (for
// vblk, internal/vblk/transport.Region), whose ReadReg/WriteReg run the small
// device-side logic of an MMIO exit (a write to a doorbell latches the
// request and wakes the backend) as atomic operations on shared words. Data
// windows above the register page are plain shared memory and move with
// copy.
package shm

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/drvsynth/drvsynth/os-interface/bus"
)

// Device is the device side of a shared region as the bus needs it.
type Device interface {
	// ReadReg and WriteReg execute a 32-bit register access at off
	// (off < RegPage), with the device's side effects.
	ReadReg(off uint32) uint32
	WriteReg(off uint32, v uint32)
	// MMIO is the whole driver-visible address space; bytes at RegPage and
	// above are data windows.
	MMIO() []byte
	// WaitIRQ blocks until the interrupt line is high or ctx ends.
	WaitIRQ(ctx context.Context) error
	// SleepIRQ sleeps until the interrupt line is high or d passes.
	SleepIRQ(d time.Duration)
}

// Bus implements bus.Bus, bus.Interrupts and bus.Poller over a Device.
type Bus struct {
	dev     Device
	regPage uint32
	mem     []byte
	// Spin is how long Pause lets a poll loop spin before it sleeps on the
	// interrupt line (a completion raises it, so the sleep ends at once).
	Spin       time.Duration
	pauseStart time.Time
}

var (
	_ bus.Bus        = (*Bus)(nil)
	_ bus.Interrupts = (*Bus)(nil)
	_ bus.Poller     = (*Bus)(nil)
)

// New returns a bus whose offsets below regPage are registers of dev.
func New(dev Device, regPage uint32, spin time.Duration) *Bus {
	return &Bus{dev: dev, regPage: regPage, mem: dev.MMIO(), Spin: spin}
}

// Read32 reads a register, or 4 bytes of a data window.
func (b *Bus) Read32(off uint32) uint32 {
	if off < b.regPage {
		return b.dev.ReadReg(off &^ 3)
	}
	if int(off)+4 > len(b.mem) {
		return ^uint32(0) // unmapped MMIO reads as all ones
	}
	return binary.LittleEndian.Uint32(b.mem[off:])
}

// Read16 is a 16-bit read; in the register page it is a lane of Read32.
func (b *Bus) Read16(off uint32) uint16 {
	if off < b.regPage {
		return uint16(b.dev.ReadReg(off&^3) >> (8 * (off & 2)))
	}
	if int(off)+2 > len(b.mem) {
		return ^uint16(0)
	}
	return binary.LittleEndian.Uint16(b.mem[off:])
}

// Read8 is an 8-bit read; in the register page it is a lane of Read32.
func (b *Bus) Read8(off uint32) uint8 {
	if off < b.regPage {
		return uint8(b.dev.ReadReg(off&^3) >> (8 * (off & 3)))
	}
	if int(off) >= len(b.mem) {
		return 0xff
	}
	return b.mem[off]
}

// Write32 writes a register (with its side effects) or a data window.
func (b *Bus) Write32(off uint32, v uint32) {
	if off < b.regPage {
		b.dev.WriteReg(off&^3, v)
		return
	}
	if int(off)+4 <= len(b.mem) {
		binary.LittleEndian.PutUint32(b.mem[off:], v)
	}
}

// Write16 in the register page merges the lane into the register's current
// value (a narrow store on a 32-bit register) and performs one 32-bit write.
func (b *Bus) Write16(off uint32, v uint16) {
	if off < b.regPage {
		sh := 8 * (off & 2)
		cur := b.dev.ReadReg(off &^ 3)
		b.dev.WriteReg(off&^3, cur&^(0xffff<<sh)|uint32(v)<<sh)
		return
	}
	if int(off)+2 <= len(b.mem) {
		binary.LittleEndian.PutUint16(b.mem[off:], v)
	}
}

// Write8 is Write16 for one byte lane.
func (b *Bus) Write8(off uint32, v uint8) {
	if off < b.regPage {
		sh := 8 * (off & 3)
		cur := b.dev.ReadReg(off &^ 3)
		b.dev.WriteReg(off&^3, cur&^(0xff<<sh)|uint32(v)<<sh)
		return
	}
	if int(off) < len(b.mem) {
		b.mem[off] = v
	}
}

// ReadStream copies len(buf) bytes out of the window starting at off. The
// shared region has only window-style data ports; width is irrelevant to a
// memory copy. Bytes beyond the window read as 0xff.
func (b *Bus) ReadStream(off uint32, width int, buf []byte) {
	n := 0
	if int(off) < len(b.mem) && off >= b.regPage {
		n = copy(buf, b.mem[off:])
	}
	for i := n; i < len(buf); i++ {
		buf[i] = 0xff
	}
}

// WriteStream copies buf into the window starting at off; bytes that fall
// outside the window are dropped.
func (b *Bus) WriteStream(off uint32, width int, buf []byte) {
	if int(off) < len(b.mem) && off >= b.regPage {
		copy(b.mem[off:], buf)
	}
}

// WaitIRQ blocks until the device raises its interrupt line.
func (b *Bus) WaitIRQ(ctx context.Context) error { return b.dev.WaitIRQ(ctx) }

// Pause lets a poll loop spin for Spin from its first iteration, then sleeps
// until the interrupt line rises (at most 1 ms, so loops that wait for
// something that raises no interrupt still make progress). The first
// iteration is 0 or 1 depending on the caller's counting.
func (b *Bus) Pause(iteration int) {
	if iteration <= 1 {
		b.pauseStart = time.Now()
		return
	}
	if iteration&15 != 0 || time.Since(b.pauseStart) < b.Spin {
		return
	}
	b.dev.SleepIRQ(time.Millisecond)
}
