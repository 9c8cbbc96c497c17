package gen_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestLineErrorsFollowTheBinding: the bits the driver keeps and decodes are
// the ones the binding names, and a fault the device leaves unbound is one
// the driver never reports.
func TestLineErrorsFollowTheBinding(t *testing.T) {
	src := generate(t, "devices/uart16550/uart16550.dev", "os-interface/serial/serial.osi",
		[2]string{"\t\tbreak = LSR.BI\n", ""},
		[2]string{"parity = LSR.PE", "parity = LSR.RXFE"})
	assert.Contains(t, src, "driver.PollInputKeep(w, d.bus, RegLSR, LSR_DR, 0, LSR_OE|LSR_RXFE|LSR_FE, &lsrSeen)")
	assert.Contains(t, src, "if seen&LSR_RXFE != 0 {")
	assert.Contains(t, src, "errs = append(errs, serial.ErrParity)")
	assert.NotContains(t, src, "ErrBreak")
	assert.Contains(t, src, "buf[i] = uint8(rbr)\n\t\tif err := d.readLSRFaults(i, lsrSeen); err != nil {", "the byte is taken before the error returns")
	vet(t, "uart16550", src)
}

// TestNoBindingNoFaultCode: a device that binds none of the class's faults
// gets the driver it got before faults existed.
func TestNoBindingNoFaultCode(t *testing.T) {
	src := generate(t, "devices/uart16550/uart16550.dev", "os-interface/serial/serial.osi",
		[2]string{"\t\toverrun = LSR.OE\n\t\tparity = LSR.PE\n\t\tframing = LSR.FE\n\t\tbreak = LSR.BI\n", ""})
	assert.Contains(t, src, "driver.PollInput(w, d.bus, RegLSR, LSR_DR, 0)")
	assert.NotContains(t, src, "Keep")
	assert.NotContains(t, src, "ElementError")
	assert.NotContains(t, src, "Faults")
}

// TestUnreadFaultIsNamed: a fault bound to a register the strategy never
// reads cannot be reported; the method's doc says so.
func TestUnreadFaultIsNamed(t *testing.T) {
	src := generate(t, "devices/uart16550/uart16550.dev", "os-interface/serial/serial.osi",
		[2]string{"break = LSR.BI", "break = MSR.DCTS"})
	assert.Contains(t, src, "errs = append(errs, serial.ErrParity)")
	assert.NotContains(t, src, "ErrBreak")
	assert.Regexp(t, `never reads the register that shows break \(MSR.DCTS\), so it never reports\s+// it\.`, src)
}
