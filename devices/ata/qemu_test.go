package ata_test

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

// The synthesized driver (generated/ata) in a QEMU guest, on QEMU's IDE
// disk (internal/guest/initprog, ata.go): the guest reports what the
// driver returned; the host reads the image file to see what reached the
// disk.
func TestQEMUDriver(t *testing.T) {
	img := filepath.Join(t.TempDir(), "disk.img")
	require.NoError(t, os.WriteFile(img, nil, 0o644))
	require.NoError(t, os.Truncate(img, 1<<20)) // 2048 sectors

	res := guest.Boot{Scenario: "ata-driver", Disk: img}.Run(t)
	res.Expect(t)
	var capacity uint64
	require.NoError(t, res.Reports.Get("capacity", &capacity))
	assert.Equal(t, uint64(2048), capacity, "IDENTIFY words 60-61: the image's size")
	var readBack bool
	require.NoError(t, res.Reports.Get("read_back", &readBack))
	assert.True(t, readBack, "256 sectors read back as written")
	var beyond string
	require.NoError(t, res.Reports.Get("beyond_end", &beyond))
	// QEMU aborts a command past the end (docs/qemu.md, "ATA: an address
	// beyond the end"); the standard also allows IDNF.
	assert.Contains(t, []string{"ABORTED", "OUT_OF_RANGE"}, beyond)
	t.Logf("a read past the end: %s", beyond)

	disk, err := os.ReadFile(img)
	require.NoError(t, err)
	for _, at := range []struct{ lba, n int }{{0, 256}, {300, 3}} {
		for i := at.lba; i < at.lba+at.n; i++ {
			require.True(t, bytes.Equal(wire.Sector(i), disk[512*i:512*(i+1)]), "sector %d in the image is not what the driver wrote", i)
		}
	}
	assert.True(t, bytes.Equal(make([]byte, 512), disk[512*256:512*257]), "sector 256 was never written")
}
