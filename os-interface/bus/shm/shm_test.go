package shm

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// regDev is a toy device: four 32-bit registers, a recorded write log and
// an interrupt flag.
type regDev struct {
	regs   [4]uint32
	writes []uint32
	mem    []byte
	irq    bool
}

func (d *regDev) ReadReg(off uint32) uint32 { return d.regs[off/4%4] }
func (d *regDev) WriteReg(off uint32, v uint32) {
	d.regs[off/4%4] = v
	d.writes = append(d.writes, off)
}
func (d *regDev) MMIO() []byte { return d.mem }
func (d *regDev) WaitIRQ(ctx context.Context) error {
	if d.irq {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}
func (d *regDev) SleepIRQ(time.Duration) {}

func TestRegisterLanes(t *testing.T) {
	d := &regDev{mem: make([]byte, 0x1100)}
	b := New(d, 0x1000, 0)
	b.Write32(4, 0x11223344)
	assert.Equal(t, uint32(0x11223344), b.Read32(4))
	assert.Equal(t, uint16(0x3344), b.Read16(4))
	assert.Equal(t, uint16(0x1122), b.Read16(6))
	assert.Equal(t, uint8(0x22), b.Read8(6))
	b.Write8(5, 0xAA)
	assert.Equal(t, uint32(0x1122AA44), d.regs[1], "a byte store merges into its register")
	b.Write16(6, 0xBEEF)
	assert.Equal(t, uint32(0xBEEFAA44), d.regs[1])
	assert.Equal(t, []uint32{4, 4, 4}, d.writes, "every narrow store is one register write")
}

func TestWindow(t *testing.T) {
	d := &regDev{mem: make([]byte, 0x1100)}
	b := New(d, 0x1000, 0)
	b.WriteStream(0x1000, 4, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	assert.Equal(t, uint32(0x04030201), b.Read32(0x1000))
	buf := make([]byte, 8)
	b.ReadStream(0x10fc, 4, buf)
	assert.Equal(t, []byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, buf, "bytes past the window read as ones")
	assert.Equal(t, ^uint32(0), b.Read32(0x2000), "unmapped MMIO reads as all ones")
	b.Write32(0x2000, 5) // ignored, no panic
	b.WriteStream(0x10fe, 4, []byte{9, 9, 9, 9})
	assert.Equal(t, []byte{9, 9}, d.mem[0x10fe:])
	assert.Empty(t, d.writes, "window accesses never reach the registers")
}

func TestIRQ(t *testing.T) {
	d := &regDev{mem: make([]byte, 0x1100), irq: true}
	b := New(d, 0x1000, 0)
	assert.NoError(t, b.WaitIRQ(context.Background()))
	d.irq = false
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, b.WaitIRQ(ctx), context.DeadlineExceeded)
}
