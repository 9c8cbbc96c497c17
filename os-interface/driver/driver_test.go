package driver_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/os-interface/driver"
)

// regs is a bus of 8-, 16- and 32-bit registers that records every write;
// onRead, when set, runs before each read.
type regs struct {
	v      map[uint32]uint32
	writes []uint32
	onRead func(off uint32)
}

func newRegs() *regs { return &regs{v: map[uint32]uint32{}} }

func (r *regs) read(off uint32) uint32 {
	if r.onRead != nil {
		r.onRead(off)
	}
	return r.v[off]
}
func (r *regs) Read8(off uint32) uint8   { return uint8(r.read(off)) }
func (r *regs) Read16(off uint32) uint16 { return uint16(r.read(off)) }
func (r *regs) Read32(off uint32) uint32 { return r.read(off) }
func (r *regs) Write8(off uint32, v uint8) {
	r.v[off] = uint32(v)
	r.writes = append(r.writes, uint32(v))
}
func (r *regs) Write16(off uint32, v uint16) {
	r.v[off] = uint32(v)
	r.writes = append(r.writes, uint32(v))
}
func (r *regs) Write32(off uint32, v uint32) {
	r.v[off] = v
	r.writes = append(r.writes, v)
}
func (r *regs) ReadStream(off uint32, width int, buf []byte)  {}
func (r *regs) WriteStream(off uint32, width int, buf []byte) {}

type ctrl uint8
type wide uint32

const (
	regCtrl driver.Reg[ctrl] = 1
	regWide driver.Reg[wide] = 4

	ctrlEnable  ctrl = 0x01
	ctrlMode    ctrl = 0x0e // [3:1]
	ctrlPending ctrl = 0x80 // w1c
)

func TestFieldsGetAndPut(t *testing.T) {
	assert.Equal(t, uint64(5), driver.Get(ctrl(0x0b), ctrlMode))
	assert.Equal(t, ctrl(0x0a), driver.Put(ctrlMode, 5))
	assert.Equal(t, ctrl(0x0e), driver.Put(ctrlMode, 0xff), "bits beyond the field are dropped")
}

func TestReadWriteUseTheRegistersWidth(t *testing.T) {
	b := newRegs()
	driver.Write(b, regWide, wide(0x12345678))
	assert.Equal(t, wide(0x12345678), driver.Read(b, regWide))
	driver.Write(b, regCtrl, ctrlEnable|ctrlMode)
	assert.Equal(t, ctrl(0x0f), driver.Read(b, regCtrl))
}

// TestModifySparesWriteOneToClearBits: writing back a pending flag that
// reads as 1 would clear it; Modify writes it as 0.
func TestModifySparesWriteOneToClearBits(t *testing.T) {
	b := newRegs()
	b.v[1] = uint32(ctrlPending | driver.Put(ctrlMode, 3))
	got := driver.Modify(b, regCtrl, ctrlEnable, ctrlEnable, ctrlPending)
	assert.Equal(t, driver.Put(ctrlMode, 3)|ctrlEnable, got)
	assert.Equal(t, []uint32{uint32(got)}, b.writes)
	// Clearing the flag on purpose: the mask covers it.
	b.v[1] = uint32(ctrlPending)
	assert.Equal(t, ctrlPending, driver.Modify(b, regCtrl, ctrlPending, ctrlPending, ctrlPending))
}

func TestPollReturnsTheFirstValueThatDiffers(t *testing.T) {
	b := newRegs()
	reads := 0
	b.onRead = func(uint32) {
		if reads++; reads == 5 {
			b.v[1] = uint32(ctrlEnable | ctrlPending)
		}
	}
	w := driver.NewWaiter(context.Background(), b, time.Hour)
	v, err := driver.Poll(w, b, regCtrl, ctrlEnable, 0)
	require.NoError(t, err)
	assert.Equal(t, ctrlEnable|ctrlPending, v)
	assert.Equal(t, 5, reads)
}

func TestPollTimesOut(t *testing.T) {
	b := newRegs()
	w := driver.NewWaiter(context.Background(), b, time.Millisecond)
	_, err := driver.Poll(w, b, regCtrl, ctrlEnable, 0)
	assert.ErrorIs(t, err, driver.ErrTimeout)
}

// TestPollInputEndsOnlyWithTheContext: a wait for the outside world has no
// timeout of its own.
func TestPollInputEndsOnlyWithTheContext(t *testing.T) {
	b := newRegs()
	ctx, cancel := context.WithCancel(context.Background())
	reads := 0
	b.onRead = func(uint32) {
		if reads++; reads == 10000 {
			cancel()
		}
	}
	w := driver.NewWaiter(ctx, b, time.Nanosecond)
	_, err := driver.PollInput(w, b, regCtrl, ctrlEnable, 0)
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
	assert.GreaterOrEqual(t, reads, 10000)
}

func TestDeviceErrorNamesTheReason(t *testing.T) {
	err := &driver.DeviceError{Device: "vblk", Fault: "REQUEST_FAILED", Detail: "the backend failed", Status: 2, Reason: "ERRCODE", Code: 4}
	assert.Equal(t, "vblk: REQUEST_FAILED (status 0x2, ERRCODE 0x4): the backend failed", err.Error())
}
