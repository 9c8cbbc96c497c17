package attach

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/internal/vblk/transport"
	"github.com/drvsynth/drvsynth/os-interface/driver"
)

// busyRegion is a region whose device stays BUSY: a request was posted
// and no backend serves it.
func busyRegion(t *testing.T) *transport.Region {
	r, err := transport.NewAnonymous()
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	r.SetIdentity(64)
	r.SetOnline(true)
	r.WriteReg(transport.RegCtrl, transport.CtrlEnable)
	r.WriteReg(transport.RegCmd, transport.CmdFlush)
	require.NotZero(t, r.ReadReg(transport.RegStatus)&transport.StatusBusy)
	return r
}

func TestInitWaitsForTheDriversTimeout(t *testing.T) {
	// Init's wait for BUSY is the driver's own, with its timeout: not a
	// limit of its own in attach (it was a fixed 10 s).
	_, err := OnRegion(context.Background(), busyRegion(t), WithTimeout(50*time.Millisecond))
	assert.ErrorIs(t, err, driver.ErrTimeout)
	assert.ErrorContains(t, err, "driver Init")
}

func TestInitEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := OnRegion(ctx, busyRegion(t))
	assert.ErrorIs(t, err, context.Canceled)
}

func TestInitOnAnIdleDevice(t *testing.T) {
	r, err := transport.NewAnonymous()
	require.NoError(t, err)
	defer r.Close()
	r.SetIdentity(64)
	r.SetOnline(true)
	c, err := OnRegion(context.Background(), r)
	require.NoError(t, err)
	n, err := c.Capacity(context.Background())
	require.NoError(t, err)
	assert.Equal(t, uint64(64), n)
	assert.NotZero(t, r.ReadReg(transport.RegStatus)&transport.StatusReady, "Init enabled the device")
}

func TestTimeoutMustBePositive(t *testing.T) {
	r, err := transport.NewAnonymous()
	require.NoError(t, err)
	defer r.Close()
	_, err = OnRegion(context.Background(), r, WithTimeout(0))
	assert.ErrorContains(t, err, "want a positive duration")
}
