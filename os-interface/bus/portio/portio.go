//go:build linux && amd64

package portio

import (
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/drvsynth/drvsynth/os-interface/bus"
)

// Range is a span of port numbers.
type Range struct {
	Base uint16
	Size uint16
}

func (r Range) String() string {
	return fmt.Sprintf("ports %#x-%#x", r.Base, uint32(r.Base)+uint32(r.Size)-1)
}

// Grant gives the calling OS thread access to the ranges. The caller must
// have locked its goroutine to the thread (runtime.LockOSThread) and keep it
// locked for as long as it uses the ports. Granting needs CAP_SYS_RAWIO.
func Grant(ranges ...Range) error {
	for _, r := range ranges {
		if r.Size == 0 || uint32(r.Base)+uint32(r.Size) > 0x10000 {
			return fmt.Errorf("portio: %v: not a port range", r)
		}
		if err := unix.Ioperm(int(r.Base), int(r.Size), 1); err != nil {
			return fmt.Errorf("portio: ioperm %v: %w", r, err)
		}
	}
	return nil
}

// Run calls f on a new goroutine locked to its OS thread, with the ranges
// granted on that thread, and returns f's error. The thread is never
// unlocked: when f returns the goroutine ends locked, so the runtime retires
// the thread together with its port permissions instead of handing it to
// other goroutines.
func Run(f func() error, ranges ...Range) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("portio: panic on the port thread: %v", p)
			}
		}()
		if err := Grant(ranges...); err != nil {
			done <- err
			return
		}
		done <- f()
	}()
	return <-done
}

// Bus is one port range as a bus.Bus: offset off is port Base+off.
type Bus struct {
	r Range
}

var _ bus.Bus = (*Bus)(nil)

// ErrRange is returned by New for a range that does not fit the port space.
var ErrRange = errors.New("portio: range outside the 64 KiB port space")

// New returns the bus of range r. It does not grant access: call it from
// f under Run (or after Grant) on the thread that will use it.
func New(r Range) (*Bus, error) {
	if r.Size == 0 || uint32(r.Base)+uint32(r.Size) > 0x10000 {
		return nil, fmt.Errorf("%w: %v", ErrRange, r)
	}
	return &Bus{r: r}, nil
}

// port is the port number of offset off. An offset outside the range is a
// bug in the driver: it panics rather than touch a port nobody granted (the
// CPU would fault anyway, with a less helpful message).
func (b *Bus) port(off uint32, width int) uint16 {
	if off+uint32(width) > uint32(b.r.Size) {
		panic(fmt.Sprintf("portio: %d-byte access at offset %#x outside %v", width, off, b.r))
	}
	return b.r.Base + uint16(off)
}

func (b *Bus) Read8(off uint32) uint8   { return inb(b.port(off, 1)) }
func (b *Bus) Read16(off uint32) uint16 { return inw(b.port(off, 1)) }
func (b *Bus) Read32(off uint32) uint32 { return inl(b.port(off, 1)) }

func (b *Bus) Write8(off uint32, v uint8)   { outb(b.port(off, 1), v) }
func (b *Bus) Write16(off uint32, v uint16) { outw(b.port(off, 1), v) }
func (b *Bus) Write32(off uint32, v uint32) { outl(b.port(off, 1), v) }

// ReadStream reads len(buf) bytes from the FIFO data port at off, width
// bytes at a time (REP INS), each unit little-endian as the CPU stores it.
// A buffer that is not a whole number of units panics, like an access
// outside the range.
func (b *Bus) ReadStream(off uint32, width int, buf []byte) {
	p := b.port(off, 1)
	n := units(len(buf), width)
	if n == 0 {
		return
	}
	switch width {
	case 1:
		insb(p, &buf[0], n)
	case 2:
		insw(p, &buf[0], n)
	case 4:
		insl(p, &buf[0], n)
	}
}

// WriteStream writes buf to the FIFO data port at off, width bytes at a
// time (REP OUTS).
func (b *Bus) WriteStream(off uint32, width int, buf []byte) {
	p := b.port(off, 1)
	n := units(len(buf), width)
	if n == 0 {
		return
	}
	switch width {
	case 1:
		outsb(p, &buf[0], n)
	case 2:
		outsw(p, &buf[0], n)
	case 4:
		outsl(p, &buf[0], n)
	}
}

func units(n, width int) int {
	switch width {
	case 1, 2, 4:
	default:
		panic(fmt.Sprintf("portio: stream width %d bytes (want 1, 2 or 4)", width))
	}
	if n%width != 0 {
		panic(fmt.Sprintf("portio: stream of %d bytes is not a whole number of %d-byte units", n, width))
	}
	return n / width
}

// Implemented in asm_amd64.s.
func inb(port uint16) uint8
func inw(port uint16) uint16
func inl(port uint16) uint32
func outb(port uint16, v uint8)
func outw(port uint16, v uint16)
func outl(port uint16, v uint32)
func insb(port uint16, p *byte, n int)
func insw(port uint16, p *byte, n int)
func insl(port uint16, p *byte, n int)
func outsb(port uint16, p *byte, n int)
func outsw(port uint16, p *byte, n int)
func outsl(port uint16, p *byte, n int)
