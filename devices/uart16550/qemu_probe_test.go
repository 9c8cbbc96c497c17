package uart16550_test

import (
	"testing"

	"github.com/drvsynth/drvsynth/internal/guest"
)

// Raw accesses on QEMU's 16550A (hw/char/serial.c) against the spec's
// simulator (internal/guest/probe/scripts.go has the script). Every
// disagreement is listed here with the section of docs/qemu.md that
// explains it; a new one, or one that goes away, fails the test.
func TestQEMUProbeAgainstSpec(t *testing.T) {
	guest.CheckProbe(t, guest.Boot{}, "uart16550", map[string]string{
		"MCR":                              "UART: what boot leaves",
		"DLL after boot":                   "UART: what boot leaves",
		"MSR in loopback, MCR outputs off": "UART: loopback",
		"MSR in loopback, MCR outputs on":  "UART: loopback",
		"LSR: one byte back":               "UART: loopback",
		"LSR: DR and OE":                   "UART: loopback",
		"LSR again: reading it cleared OE": "UART: loopback",
		"RBR":                              "UART: loopback",
	})
}
