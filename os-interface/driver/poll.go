package driver

import (
	"context"
	"runtime"
	"time"

	"github.com/drvsynth/drvsynth/os-interface/bus"
)

// Poll reads r while its bits under mask equal while, and returns the first
// value that differs. It waits for the device's own progress (a transfer
// completing), which the spec promises: it fails with ErrTimeout when the
// Waiter's timeout passes first, or with the context's error.
func Poll[R Value](w *Waiter, b bus.Bus, r Reg[R], mask, while R) (R, error) {
	return poll(w, b, r, mask, while, w.Device)
}

// PollInput is Poll for a wait on the outside world (a byte arriving on a
// line): nothing promises it ends, so only the context ends it.
func PollInput[R Value](w *Waiter, b bus.Bus, r Reg[R], mask, while R) (R, error) {
	return poll(w, b, r, mask, while, w.Input)
}

// PollKeep is Poll that also keeps, in *seen, the bits under keep of every
// value it read: status bits that reading clears (a UART's line errors)
// are not lost in the reads the loop discards.
func PollKeep[R Value](w *Waiter, b bus.Bus, r Reg[R], mask, while, keep R, seen *R) (R, error) {
	return pollKeep(w, b, r, mask, while, keep, seen, w.Device)
}

// PollInputKeep is PollInput that keeps bits as PollKeep does.
func PollInputKeep[R Value](w *Waiter, b bus.Bus, r Reg[R], mask, while, keep R, seen *R) (R, error) {
	return pollKeep(w, b, r, mask, while, keep, seen, w.Input)
}

func poll[R Value](w *Waiter, b bus.Bus, r Reg[R], mask, while R, pace func() error) (R, error) {
	var seen R
	return pollKeep(w, b, r, mask, while, 0, &seen, pace)
}

func pollKeep[R Value](w *Waiter, b bus.Bus, r Reg[R], mask, while, keep R, seen *R, pace func() error) (R, error) {
	defer w.Done()
	for {
		v := Read(b, r)
		*seen |= v & keep
		if v&mask != while {
			return v, nil
		}
		if err := pace(); err != nil {
			return v, err
		}
	}
}

// Waiter paces the polls of one driver method: it checks the context,
// enforces the timeout of polls that wait for the device (not of those that
// wait for the outside world), and lets the bus pause between reads.
type Waiter struct {
	ctx      context.Context
	bus      bus.Bus
	timeout  time.Duration
	deadline time.Time
	n        int
}

// NewWaiter starts the waits of one driver method. Each poll may last up to
// timeout.
func NewWaiter(ctx context.Context, b bus.Bus, timeout time.Duration) *Waiter {
	return &Waiter{ctx: ctx, bus: b, timeout: timeout}
}

// Device is one iteration of a poll that waits for the device's own
// progress: it fails with the context's error, or with ErrTimeout once the
// poll has lasted the timeout, and otherwise pauses. Hand-written drivers
// use it for loops Poll cannot express.
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

// Input is one iteration of a poll that waits for the outside world (a
// byte arriving): only the context ends it.
func (w *Waiter) Input() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	w.pause()
	return nil
}

// Done ends a poll, so the next one has its own timeout.
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
