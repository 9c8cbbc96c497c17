// Package trace records every access a driver makes to a bus.
//
// Tests use it to assert the exact register sequence a driver produced and to
// count accesses; reviews use its pretty-printer to read a driver's behaviour
// in register names instead of offsets. The wrapper is transparent: the bus
// it returns offers bus.Interrupts and bus.Poller exactly when the wrapped bus
// does, so a driver that chooses a strategy by type assertion behaves the same
// with and without tracing.
package trace

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/drvsynth/drvsynth/os-interface/bus"
)

// Kind is what a recorded access did.
type Kind uint8

const (
	// Read is a single register read (Read8/16/32).
	Read Kind = iota
	// Write is a single register write (Write8/16/32).
	Write
	// ReadStream is a bulk ReadStream.
	ReadStream
	// WriteStream is a bulk WriteStream.
	WriteStream
	// WaitIRQ is a wait for the interrupt line (not a bus access).
	WaitIRQ
	// Pause is a poll-loop pause (not a bus access).
	Pause
)

var kindNames = [...]string{"R", "W", "RS", "WS", "IRQ", "PAUSE"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Access is one recorded event, in the order the driver made it.
type Access struct {
	Seq   int    // position in the trace, from 0
	Kind  Kind   // what happened
	Width int    // access width in bytes (1, 2, 4); for streams the unit width
	Off   uint32 // register offset; unused for WaitIRQ and Pause
	// Value is the value read (Read) or written (Write), or the iteration
	// number passed to Pause.
	Value uint32
	Len   int    // streams: number of bytes moved
	Data  []byte // streams: a copy of the bytes moved
	Err   error  // WaitIRQ: what the wait returned
}

// Trace is the ordered record of every access made through a traced bus.
// It is safe for concurrent use.
type Trace struct {
	mu  sync.Mutex
	acc []Access
}

// New wraps inner and returns the bus to hand to a driver together with the
// trace it fills.
func New(inner bus.Bus) (bus.Bus, *Trace) {
	t := &Trace{}
	return Wrap(inner, t), t
}

// Wrap returns a bus that forwards to inner and records into t. Several buses
// may record into one trace (e.g. two regions of one device).
func Wrap(inner bus.Bus, t *Trace) bus.Bus {
	tb := &tracedBus{inner: inner, t: t}
	irq, hasIRQ := inner.(bus.Interrupts)
	poll, hasPoll := inner.(bus.Poller)
	tb.irq, tb.poll = irq, poll
	switch {
	case hasIRQ && hasPoll:
		return tracedIRQPoll{tb}
	case hasIRQ:
		return tracedIRQ{tb}
	case hasPoll:
		return tracedPoll{tb}
	}
	return tb
}

func (t *Trace) add(a Access) {
	t.mu.Lock()
	a.Seq = len(t.acc)
	t.acc = append(t.acc, a)
	t.mu.Unlock()
}

// Accesses returns a copy of the recorded accesses, in order.
func (t *Trace) Accesses() []Access {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.acc)
}

// Len is the number of recorded events of every kind.
func (t *Trace) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.acc)
}

// Count is the number of recorded events of kind k.
func (t *Trace) Count(k Kind) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, a := range t.acc {
		if a.Kind == k {
			n++
		}
	}
	return n
}

// Counts returns the number of recorded events per kind (kinds that never
// occurred are absent).
func (t *Trace) Counts() map[Kind]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := map[Kind]int{}
	for _, a := range t.acc {
		m[a.Kind]++
	}
	return m
}

// BusAccesses is the number of register accesses the device saw: single
// reads and writes count one each, a stream counts one per unit moved
// (a `rep insw` is still 256 bus cycles). Waits and pauses are not accesses.
func (t *Trace) BusAccesses() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, a := range t.acc {
		switch a.Kind {
		case Read, Write:
			n++
		case ReadStream, WriteStream:
			if a.Width > 0 {
				n += (a.Len + a.Width - 1) / a.Width
			}
		}
	}
	return n
}

// Reset forgets everything recorded so far.
func (t *Trace) Reset() {
	t.mu.Lock()
	t.acc = nil
	t.mu.Unlock()
}

// Namer names the register an access touched; "" means unknown (the
// pretty-printer then shows the offset).
type Namer interface {
	Name(a Access) string
}

// NamerFunc adapts a function to Namer. A stateful function can follow the
// trace in order, e.g. track a bank-select bit to name banked registers.
type NamerFunc func(a Access) string

// Name implements Namer.
func (f NamerFunc) Name(a Access) string { return f(a) }

// Names maps offsets to register names, separately for the read and the write
// direction because devices often put two registers at one offset (a status
// register read, a command register written).
type Names struct {
	Read  map[uint32]string
	Write map[uint32]string
}

// Name implements Namer.
func (n Names) Name(a Access) string {
	switch a.Kind {
	case Read, ReadStream:
		return n.Read[a.Off]
	case Write, WriteStream:
		return n.Write[a.Off]
	}
	return ""
}

// String formats the trace with offsets only.
func (t *Trace) String() string { return t.Format(nil) }

// Format pretty-prints the trace one event per line, naming registers with
// n when it is non-nil:
//
//	0 R  LSR        -> 0x60
//	1 W  THR        <- 0x41
func (t *Trace) Format(n Namer) string {
	var sb strings.Builder
	for _, a := range t.Accesses() {
		name := ""
		if n != nil && a.Kind <= WriteStream {
			name = n.Name(a)
		}
		if name == "" {
			name = fmt.Sprintf("@%#x", a.Off)
		}
		digits := 2 * a.Width
		switch a.Kind {
		case Read:
			fmt.Fprintf(&sb, "%4d %-2s %-10s -> 0x%0*x\n", a.Seq, a.Kind, name, digits, a.Value)
		case Write:
			fmt.Fprintf(&sb, "%4d %-2s %-10s <- 0x%0*x\n", a.Seq, a.Kind, name, digits, a.Value)
		case ReadStream, WriteStream:
			fmt.Fprintf(&sb, "%4d %-2s %-10s x%d len %d\n", a.Seq, a.Kind, name, a.Width, a.Len)
		case WaitIRQ:
			if a.Err != nil {
				fmt.Fprintf(&sb, "%4d wait irq: %v\n", a.Seq, a.Err)
			} else {
				fmt.Fprintf(&sb, "%4d wait irq\n", a.Seq)
			}
		case Pause:
			fmt.Fprintf(&sb, "%4d pause %d\n", a.Seq, a.Value)
		}
	}
	return sb.String()
}

// tracedBus is the plain wrapper; the variants below add the optional
// interfaces the wrapped bus has.
type tracedBus struct {
	inner bus.Bus
	t     *Trace
	irq   bus.Interrupts
	poll  bus.Poller
}

func (b *tracedBus) Read8(off uint32) uint8 {
	v := b.inner.Read8(off)
	b.t.add(Access{Kind: Read, Width: 1, Off: off, Value: uint32(v)})
	return v
}

func (b *tracedBus) Read16(off uint32) uint16 {
	v := b.inner.Read16(off)
	b.t.add(Access{Kind: Read, Width: 2, Off: off, Value: uint32(v)})
	return v
}

func (b *tracedBus) Read32(off uint32) uint32 {
	v := b.inner.Read32(off)
	b.t.add(Access{Kind: Read, Width: 4, Off: off, Value: v})
	return v
}

func (b *tracedBus) Write8(off uint32, v uint8) {
	b.t.add(Access{Kind: Write, Width: 1, Off: off, Value: uint32(v)})
	b.inner.Write8(off, v)
}

func (b *tracedBus) Write16(off uint32, v uint16) {
	b.t.add(Access{Kind: Write, Width: 2, Off: off, Value: uint32(v)})
	b.inner.Write16(off, v)
}

func (b *tracedBus) Write32(off uint32, v uint32) {
	b.t.add(Access{Kind: Write, Width: 4, Off: off, Value: v})
	b.inner.Write32(off, v)
}

func (b *tracedBus) ReadStream(off uint32, width int, buf []byte) {
	b.inner.ReadStream(off, width, buf)
	b.t.add(Access{Kind: ReadStream, Width: width, Off: off, Len: len(buf), Data: slices.Clone(buf)})
}

func (b *tracedBus) WriteStream(off uint32, width int, buf []byte) {
	// Record before forwarding so the trace order matches what the device
	// saw even when the device reacts synchronously.
	b.t.add(Access{Kind: WriteStream, Width: width, Off: off, Len: len(buf), Data: slices.Clone(buf)})
	b.inner.WriteStream(off, width, buf)
}

func (b *tracedBus) waitIRQ(ctx context.Context) error {
	err := b.irq.WaitIRQ(ctx)
	b.t.add(Access{Kind: WaitIRQ, Err: err})
	return err
}

func (b *tracedBus) pause(iteration int) {
	b.t.add(Access{Kind: Pause, Value: uint32(iteration)})
	b.poll.Pause(iteration)
}

type tracedIRQ struct{ *tracedBus }

func (b tracedIRQ) WaitIRQ(ctx context.Context) error { return b.waitIRQ(ctx) }

type tracedPoll struct{ *tracedBus }

func (b tracedPoll) Pause(iteration int) { b.pause(iteration) }

type tracedIRQPoll struct{ *tracedBus }

func (b tracedIRQPoll) WaitIRQ(ctx context.Context) error { return b.waitIRQ(ctx) }
func (b tracedIRQPoll) Pause(iteration int)               { b.pause(iteration) }
