package ata_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drvsynth/drvsynth/internal/guest"
)

// Raw accesses on QEMU's IDE disk (hw/ide) against the spec's simulator
// (internal/guest/probe/scripts.go has the script). Every disagreement is
// listed here with the section of docs/qemu.md that explains it; a new one,
// or one that goes away, fails the test.
func TestQEMUProbeAgainstSpec(t *testing.T) {
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 16<<20); err != nil { // 32768 sectors
		t.Fatal(err)
	}
	obs := guest.CheckProbe(t, guest.Boot{Disk: img}, "ata", map[string]string{
		"STATUS after boot":                      "ATA: status bit 4",
		"ALTSTATUS":                              "ATA: status bit 4",
		"until IDENTIFY is done (BSY clear)":     "ATA: status bit 4",
		"STATUS: DRQ":                            "ATA: status bit 4",
		"STATUS after the data":                  "ATA: status bit 4",
		"until the reset is done (BSY clear)":    "ATA: status bit 4",
		"STATUS after the reset":                 "ATA: status bit 4",
		"ERROR":                                  "ATA: what boot leaves",
		"LBA_LOW":                                "ATA: what boot leaves",
		"DEVICE after boot":                      "ATA: what boot leaves",
		"until READ SECTORS is done (BSY clear)": "ATA: an address beyond the end",
		"STATUS: ERR (QEMU) or DRQ":              "ATA: an address beyond the end",
		"ERROR: which error bit":                 "ATA: an address beyond the end",
		"ALTSTATUS during the reset":             "ATA: status while BSY",
		"SECCOUNT: signature":                    "ATA: signature and diagnostic code",
		"LBA_LOW: signature":                     "ATA: signature and diagnostic code",
		"LBA_MID: signature":                     "ATA: signature and diagnostic code",
		"LBA_HIGH: signature":                    "ATA: signature and diagnostic code",
		"DEVICE after the reset":                 "ATA: signature and diagnostic code",
	})

	// The IDENTIFY data, which the spec leaves open: QEMU's model number
	// in words 27-46 (two ASCII characters a word, the first in the high
	// byte) and the LBA28 capacity in words 60-61 (low word first).
	var id []byte
	for _, o := range obs {
		if strings.HasPrefix(o.Text, "stream") {
			id = o.Bytes
		}
	}
	if len(id) != 512 {
		t.Fatalf("no IDENTIFY data in the probe (%d bytes)", len(id))
	}
	word := func(i int) uint16 { return binary.LittleEndian.Uint16(id[2*i:]) }
	var model []byte
	for i := 27; i <= 46; i++ {
		model = append(model, byte(word(i)>>8), byte(word(i)))
	}
	if got := strings.TrimSpace(string(model)); got != "QEMU HARDDISK" {
		t.Errorf("IDENTIFY model %q, want QEMU HARDDISK", got)
	}
	if got := uint32(word(61))<<16 | uint32(word(60)); got != 16<<20/512 {
		t.Errorf("IDENTIFY capacity %d sectors, want %d (the image's size)", got, 16<<20/512)
	}
}
