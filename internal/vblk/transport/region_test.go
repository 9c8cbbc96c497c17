package transport

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadyFollowsEnableAndOnline(t *testing.T) {
	r, err := NewAnonymous()
	require.NoError(t, err)
	defer r.Close()
	assert.Zero(t, r.ReadReg(RegStatus), "reset: not ready, not busy")
	r.WriteReg(RegCtrl, CtrlEnable)
	assert.Zero(t, r.ReadReg(RegStatus)&StatusReady, "enabled but no backend")
	r.SetOnline(true)
	assert.NotZero(t, r.ReadReg(RegStatus)&StatusReady)
	r.WriteReg(RegCtrl, 0xfffffffe) // bit0 clear; other bits are not stored
	assert.Zero(t, r.ReadReg(RegCtrl))
	assert.Zero(t, r.ReadReg(RegStatus)&StatusReady)
	r.WriteReg(RegCtrl, CtrlEnable)
	r.SetOnline(false)
	assert.Zero(t, r.ReadReg(RegStatus)&StatusReady, "power gone")
}

func TestDoorbellLatchesAndCompletes(t *testing.T) {
	r, err := NewAnonymous()
	require.NoError(t, err)
	defer r.Close()
	r.SetOnline(true)
	r.WriteReg(RegCtrl, CtrlEnable)
	r.WriteReg(RegLBALo, 7)
	r.WriteReg(RegLBAHi, 1)
	r.WriteReg(RegCount, 3)
	before := r.Doorbells()
	r.WriteReg(RegCmd, CmdWrite)
	assert.NotZero(t, r.ReadReg(RegStatus)&StatusBusy)
	assert.False(t, r.IRQRaised())
	assert.Equal(t, before+1, r.Doorbells())
	// The driver changing registers now does not change the request.
	r.WriteReg(RegLBALo, 99)
	assert.Equal(t, Request{Cmd: CmdWrite, Enabled: true, LBA: 1<<32 | 7, Count: 3}, r.Latched())
	r.Complete(ErrRange)
	st := r.ReadReg(RegStatus)
	assert.Zero(t, st&StatusBusy)
	assert.NotZero(t, st&StatusErr)
	assert.Equal(t, uint32(ErrRange), r.ReadReg(RegErrCode))
	assert.True(t, r.IRQRaised())
	assert.NoError(t, r.WaitIRQ(context.Background()))
	// The next doorbell clears ERR, ERRCODE and the interrupt line.
	r.WriteReg(RegCmd, CmdFlush)
	assert.Equal(t, uint32(StatusBusy|StatusReady), r.ReadReg(RegStatus))
	assert.Zero(t, r.ReadReg(RegErrCode))
	assert.False(t, r.IRQRaised())
	// A doorbell while busy: ERR/BUSY on completion, whatever the outcome.
	r.WriteReg(RegCmd, CmdRead)
	assert.Equal(t, before+2, r.Doorbells(), "the second doorbell started nothing")
	assert.Equal(t, uint32(CmdFlush), r.Latched().Cmd)
	r.Complete(ErrNone)
	assert.Equal(t, uint32(ErrBusy), r.ReadReg(RegErrCode))
	assert.NotZero(t, r.ReadReg(RegStatus)&StatusErr)
}

func TestWaitDoorbellAcrossMappings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "region")
	back, err := Create(path)
	require.NoError(t, err)
	defer back.Close()
	drv, err := Open(path)
	require.NoError(t, err)
	defer drv.Close()
	back.Spin = 0 // force the futex path
	last := back.Doorbells()
	got := make(chan uint32)
	go func() {
		seq, err := back.WaitDoorbell(last, func() bool { return false })
		assert.NoError(t, err)
		got <- seq
	}()
	time.Sleep(5 * time.Millisecond)
	drv.WriteReg(RegCmd, CmdFlush)
	select {
	case seq := <-got:
		assert.Equal(t, last+1, seq)
	case <-time.After(time.Second):
		t.Fatal("the futex wake did not reach the other mapping")
	}
	stopped := false
	_, err = back.WaitDoorbell(back.Doorbells(), func() bool { stopped = true; return true })
	assert.ErrorIs(t, err, ErrStopped)
	assert.True(t, stopped)
}

func TestOpenRefusesForeignFiles(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing"))
	assert.Error(t, err)
}

func TestPowerFailLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "region")
	back, err := Create(path)
	require.NoError(t, err)
	defer back.Close()
	harness, err := Open(path)
	require.NoError(t, err)
	defer harness.Close()
	got := make(chan time.Time)
	go func() { got <- back.WaitPowerCut() }()
	time.Sleep(2 * time.Millisecond)
	t0 := time.Now().Add(-time.Millisecond)
	harness.PowerCut(t0)
	select {
	case at := <-got:
		assert.Equal(t, t0.UnixNano(), at.UnixNano())
	case <-time.After(time.Second):
		t.Fatal("the power-fail line did not wake the waiter")
	}
}
