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

// TestPollKeepKeepsBitsOfDiscardedReads: a bit that shows in one read of
// the loop and is gone by the next (reading cleared it) is still kept.
func TestPollKeepKeepsBitsOfDiscardedReads(t *testing.T) {
	for _, input := range []bool{false, true} {
		b := newRegs()
		reads := 0
		b.onRead = func(uint32) {
			reads++
			switch reads {
			case 2:
				b.v[1] = uint32(ctrlPending) // shows once
			case 3:
				b.v[1] = 0
			case 5:
				b.v[1] = uint32(ctrlEnable)
			}
		}
		w := driver.NewWaiter(context.Background(), b, time.Hour)
		var seen ctrl
		poll := driver.PollKeep[ctrl]
		if input {
			poll = driver.PollInputKeep[ctrl]
		}
		v, err := poll(w, b, regCtrl, ctrlEnable, 0, ctrlPending|ctrlMode, &seen)
		require.NoError(t, err)
		assert.Equal(t, ctrlEnable, v)
		assert.Equal(t, ctrlPending, seen, "only the kept bits, from every read")
		assert.Equal(t, 5, reads)
	}
}

func TestElementErrorWrapsEveryError(t *testing.T) {
	errA, errB, errC := errors.New("parity error"), errors.New("framing error"), errors.New("break")
	err := error(&driver.ElementError{Device: "uart", Method: "Read", Index: 3, Errs: []error{errA, errB}, Reg: "LSR", Status: 0x0c})
	assert.Equal(t, "uart: Read: element 3: parity error, framing error (LSR 0xc)", err.Error())
	assert.ErrorIs(t, err, errA)
	assert.ErrorIs(t, err, errB)
	assert.NotErrorIs(t, err, errC)
	var ee *driver.ElementError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 3, ee.Index)
}
