package ata_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/drvsynth/drvsynth/internal/guest"
)

// Raw accesses on QEMU's IDE disk (hw/ide) against the spec's simulator;
// docs/qemu.md explains every disagreement listed here.
func TestQEMUProbeAgainstSpec(t *testing.T) {
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 16<<20); err != nil { // 32768 sectors
		t.Fatal(err)
	}
	guest.CheckProbe(t, guest.Boot{Disk: img}, "ata", map[string]string{})
}
