package mc146818_test

import (
	"testing"

	"github.com/drvsynth/drvsynth/internal/guest"
)

// Raw accesses on QEMU's MC146818 (hw/rtc/mc146818rtc.c) against the spec's
// simulator (internal/guest/probe/scripts.go has the script). Every
// disagreement is listed here with the section of docs/qemu.md that
// explains it; a new one, or one that goes away, fails the test.
func TestQEMUProbeAgainstSpec(t *testing.T) {
	guest.CheckProbe(t, guest.Boot{}, "mc146818", map[string]string{
		"0x0e, the first RAM byte (POST status on the PC)":              "RTC: the RAM",
		"0x32, the century byte PC firmware keeps":                      "RTC: the RAM",
		"C: reading clears the flags":                                   "RTC: UF after boot",
		"C after 20 ms at rate 6 (1024 Hz), without UF (once a second)": "RTC: PF without PIE",
	})
}
