//go:build linux && amd64

package portio

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The accesses themselves run in a QEMU guest (internal/guest); on the host
// only what touches no port is tested.

func TestNewRejectsRangesOutsideThePortSpace(t *testing.T) {
	_, err := New(Range{Base: 0xfff8, Size: 16})
	assert.ErrorIs(t, err, ErrRange)
	_, err = New(Range{Base: 0x3f8, Size: 0})
	assert.ErrorIs(t, err, ErrRange)
	b, err := New(Range{Base: 0x3f8, Size: 8})
	require.NoError(t, err)
	assert.Equal(t, uint16(0x3ff), b.port(7, 1))
}

func TestAccessOutsideTheRangePanicsBeforeTouchingAPort(t *testing.T) {
	b, err := New(Range{Base: 0x3f8, Size: 8})
	require.NoError(t, err)
	assert.PanicsWithValue(t, "portio: 1-byte access at offset 0x8 outside ports 0x3f8-0x3ff", func() { b.Read8(8) })
	assert.Panics(t, func() { b.ReadStream(0, 2, make([]byte, 3)) }, "odd byte count for 16-bit units")
	assert.Panics(t, func() { b.WriteStream(0, 8, make([]byte, 8)) }, "64-bit stream")
	b.ReadStream(0, 2, nil) // nothing to move: no access, no panic
}

func TestRunGrantsOnItsOwnThread(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("ioperm needs CAP_SYS_RAWIO; run as root")
	}
	// Grant a port without accessing it: the host's devices are not ours.
	var tid int
	err := Run(func() error {
		tid = unix.Gettid()
		return nil
	}, Range{Base: 0x80, Size: 1})
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSYS) {
		t.Skipf("ioperm refused here: %v", err)
	}
	require.NoError(t, err)
	assert.NotEqual(t, unix.Gettid(), tid, "f ran on the test's thread")
}

func TestRunReportsBadRangesAndPanics(t *testing.T) {
	err := Run(func() error { t.Error("f ran without its ports"); return nil }, Range{Base: 0xffff, Size: 2})
	assert.ErrorContains(t, err, "not a port range")
	err = Run(func() error { panic("driver bug") })
	assert.ErrorContains(t, err, "driver bug")
	want := errors.New("from f")
	assert.ErrorIs(t, Run(func() error { return want }), want)
}
