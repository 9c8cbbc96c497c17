package mc146818_test

import (
	"testing"

	"github.com/drvsynth/drvsynth/internal/guest"
)

// Raw accesses on QEMU's MC146818 (hw/rtc/mc146818rtc.c) against the spec's
// simulator; docs/qemu.md explains every disagreement listed here.
func TestQEMUProbeAgainstSpec(t *testing.T) {
	guest.CheckProbe(t, guest.Boot{}, "mc146818", map[string]string{})
}
