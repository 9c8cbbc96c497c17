package driver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drvsynth/drvsynth/os-interface/bus"
)

// nopBus is a bus nothing is attached to; pausing on it counts the pauses.
type nopBus struct {
	bus.Bus
	pauses int
}

func (b *nopBus) Pause(n int) { b.pauses++ }

// A device that never makes the promised progress: the poll ends with
// ErrTimeout once the timeout has passed, not before the first read.
func TestWaiterDeviceTimesOut(t *testing.T) {
	b := &nopBus{}
	w := NewWaiter(context.Background(), b, time.Millisecond)
	var err error
	n := 0
	for ; err == nil; n++ {
		err = w.Device()
		if n > 10_000_000 {
			t.Fatal("the timeout never ended the poll")
		}
	}
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if n < 2 {
		t.Fatalf("timed out after %d reads: the first reads come before any deadline", n)
	}
	if b.pauses == 0 {
		t.Fatal("the waiter never let the bus pause")
	}
}

// Done starts the next loop with a fresh deadline.
func TestWaiterDoneResets(t *testing.T) {
	w := NewWaiter(context.Background(), &nopBus{}, time.Millisecond)
	for w.Device() == nil {
	}
	w.Done()
	if err := w.Device(); err != nil {
		t.Fatalf("after Done the next poll starts over, got %v", err)
	}
}

// A wait for the outside world has no timeout: only the context ends it.
func TestWaiterInputEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := NewWaiter(ctx, &nopBus{}, time.Nanosecond)
	time.Sleep(time.Millisecond) // far past the device timeout
	for i := 0; i < 10_000; i++ {
		if err := w.Input(); err != nil {
			t.Fatalf("Input failed before the context ended: %v", err)
		}
	}
	cancel()
	if err := w.Input(); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if err := w.Device(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Device: got %v, want context.Canceled", err)
	}
}

// Without a bus that can pause, the waiter still ends on its timeout.
func TestWaiterWithoutPoller(t *testing.T) {
	var plain struct{ bus.Bus }
	w := NewWaiter(context.Background(), plain, time.Millisecond)
	var err error
	for err == nil {
		err = w.Device()
	}
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
}
