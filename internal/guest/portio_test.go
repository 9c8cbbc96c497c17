package guest_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/internal/guest"
	"github.com/drvsynth/drvsynth/internal/guest/wire"
)

// The port-I/O bus at 8, 16 and 32 bits, single accesses and REP streams,
// on QEMU's devices (internal/guest/initprog/portio.go): the guest checks
// that four ways of reading IDENTIFY agree; the host checks that four
// sectors written four ways are in the image file.
func TestQEMUPortIOWidths(t *testing.T) {
	img := filepath.Join(t.TempDir(), "disk.img")
	require.NoError(t, os.WriteFile(img, nil, 0o644))
	require.NoError(t, os.Truncate(img, 1<<20))

	res := guest.Boot{Scenario: "portio", Disk: img}.Run(t)
	res.Expect(t)
	var n int
	require.NoError(t, res.Reports.Get("written_sectors", &n))
	require.Equal(t, 4, n)
	var id []byte
	require.NoError(t, res.Reports.Get("identify", &id))
	assert.Len(t, id, 512)

	disk, err := os.ReadFile(img)
	require.NoError(t, err)
	for i := 0; i < n; i++ {
		got := disk[512*i : 512*(i+1)]
		assert.True(t, bytes.Equal(wire.Sector(i), got), "sector %d in the image is not what the guest wrote", i)
	}
	assert.True(t, bytes.Equal(make([]byte, 512), disk[512*n:512*(n+1)]), "sector %d was never written", n)
}
