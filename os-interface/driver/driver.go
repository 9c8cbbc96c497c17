// Package driver is the small runtime every synthesized driver shares:
// bit-field accessors, bounded waiting for a device, and the typed errors
// drivers return. Generated code calls it; nothing here knows any device.
package driver

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/drvsynth/drvsynth/os-interface/bus"
)

// Field is a bit field of a register: Width bits starting at Shift.
type Field struct {
	Shift, Width uint
}

func (f Field) mask() uint64 { return (uint64(1)<<f.Width - 1) << f.Shift }

// Get extracts the field from a register value.
func (f Field) Get(reg uint64) uint64 { return reg & f.mask() >> f.Shift }

// Put places x in the field's bits (bits of x beyond the width are dropped).
func (f Field) Put(x uint64) uint64 { return x << f.Shift & f.mask() }

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
}

func (e *DeviceError) Error() string {
	msg := fmt.Sprintf("%s: %s (status %#x)", e.Device, e.Fault, e.Status)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Waiter paces a poll loop: it checks the context, enforces the timeout of
// loops that wait for the device (not of those that wait for the outside
// world), and lets the bus pause between reads.
type Waiter struct {
	ctx      context.Context
	bus      bus.Bus
	timeout  time.Duration
	deadline time.Time
	n        int
}

// NewWaiter starts the waits of one driver method.
func NewWaiter(ctx context.Context, b bus.Bus, timeout time.Duration) *Waiter {
	return &Waiter{ctx: ctx, bus: b, timeout: timeout}
}

// Device is called between two reads of a poll that the device's spec
// promises to end (a fair transition). It fails with ErrTimeout when the
// promise is not kept in time.
func (w *Waiter) Device() error {
	if w.deadline.IsZero() {
		w.deadline = time.Now().Add(w.timeout)
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if w.n&63 == 63 && time.Now().After(w.deadline) {
		return ErrTimeout
	}
	w.pause()
	return nil
}

// Input is called between two reads of a poll that waits for the outside
// world (a byte to arrive): only the context ends it.
func (w *Waiter) Input() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	w.pause()
	return nil
}

// Done resets the pacing after a loop ends.
func (w *Waiter) Done() {
	w.n = 0
	w.deadline = time.Time{}
}

func (w *Waiter) pause() {
	w.n++
	if p, ok := w.bus.(bus.Poller); ok {
		p.Pause(w.n)
		return
	}
	// Without a bus that knows how to wait, let other goroutines (a device
	// model, the process on the other core) run now and then: yielding on
	// every read costs more than the read.
	if w.n&63 == 0 {
		runtime.Gosched()
	}
}
