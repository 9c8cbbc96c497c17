package uart16550_test

import (
	"testing"

	"github.com/drvsynth/drvsynth/internal/guest"
)

// Raw accesses on QEMU's 16550A (hw/char/serial.c) against the spec's
// simulator; docs/qemu.md explains every disagreement listed here.
func TestQEMUProbeAgainstSpec(t *testing.T) {
	guest.CheckProbe(t, guest.Boot{}, "uart16550", map[string]string{})
}
