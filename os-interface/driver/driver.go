// Package driver is the small runtime every synthesized driver shares:
// typed register access, read-modify-write that spares write-1-to-clear
// bits, polling bounded by a timeout or a context (in the manner of Linux's
// regmap_read_poll_timeout), and the typed errors drivers return. Generated
// code calls it; nothing here knows any device.
package driver

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// DefaultTimeout is how long a driver of a class that names no timeout of
// its own waits for the device's own progress. The bundled classes name
// theirs (serial.DefaultTimeout, block.DefaultTimeout).
const DefaultTimeout = time.Second

// ErrTimeout is returned when a device does not make the progress its spec
// promises within the driver's timeout.
var ErrTimeout = errors.New("device did not respond in time")

// ErrInvalidArgument is returned when a request breaks the class
// contract's preconditions or cannot be represented by the device.
var ErrInvalidArgument = errors.New("invalid argument")

// ErrUnexpected is returned when a register reads as a value the device's
// spec says it cannot hold: the hardware and its spec disagree.
var ErrUnexpected = errors.New("device state outside its spec")

// DeviceError is a fault the device reported, named in its spec.
type DeviceError struct {
	Device string
	Fault  string
	Detail string
	// Status is the register value that showed the fault.
	Status uint64
	// Reason names the register the spec says explains the fault, and Code
	// is what it read; CodeName is the spec's name for that value, if any.
	Reason   string
	Code     uint64
	CodeName string
}

// ElementError is what a device reported about one element of a request
// (a received byte with a parity error), as the class's errors: Errs holds
// one or more of them (serial.ErrParity), so errors.Is finds each. Index
// is the element's index in the request's buffer; elements before it were
// handled cleanly. Reg names the register that showed the errors and
// Status holds the bits it showed while the element was handled.
type ElementError struct {
	Device string
	Method string
	Index  int
	Errs   []error
	Reg    string
	Status uint64
}

func (e *ElementError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("%s: %s: element %d: %s (%s %#x)", e.Device, e.Method, e.Index, strings.Join(msgs, ", "), e.Reg, e.Status)
}

// Unwrap returns the class errors, for errors.Is and errors.As.
func (e *ElementError) Unwrap() []error { return e.Errs }

func (e *DeviceError) Error() string {
	msg := fmt.Sprintf("%s: %s (status %#x", e.Device, e.Fault, e.Status)
	if e.Reason != "" {
		msg += fmt.Sprintf(", %s %#x", e.Reason, e.Code)
		if e.CodeName != "" {
			msg += " " + e.CodeName
		}
	}
	msg += ")"
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}
