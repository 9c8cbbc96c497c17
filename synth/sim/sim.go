// Package sim is a bus whose device is any device spec, executed.
//
// The simulator runs a .dev file through the same lowered model the
// synthesizer solves against (synth/model), with every value a constant:
// a driver's register reads and writes are decoded to the register visible
// at that offset (bank conditions included), packed and unpacked field by
// field (Lo/Width; bits outside every field read as the register's reset
// bits and are ignored on writes), and run through the register's handlers.
//
// Nondeterminism. Everything the spec leaves open goes through a Schedule:
//   - after each driver access, the device may take internal transitions:
//     at each point the schedule stops or picks one enabled transition
//     (at most Options.MaxSteps);
//   - Pause (bus.Poller) means time passes: the device takes enabled
//     transitions until its state changes, so a poll loop waiting for a
//     fair transition always ends;
//   - WaitIRQ (bus.Interrupts) runs the device until the line is high, and
//     sleeps for input or the context when nothing can happen.
//
// Fair transitions are always candidates; unfair ones only with
// Options.Unfair. Random (the default, seeded) picks uniformly and stops
// with probability 1/2, so no enabled fair transition is starved; Lazy
// moves only when the driver waits; Explore/ExploreBounded enumerate every
// choice sequence up to a depth or a number of deviations from the lazy
// default, re-running the scenario each time, and Replay reproduces a
// failing sequence.
//
// Inputs (a byte arriving) come only from the test: Device.Input queues
// one with concrete parameters; queued inputs fire in order, each as soon
// as its guard holds. Data variables the spec does not initialise get a
// value from the PRNG (Options.Init fixes them).
//
// What the simulator records, so tests can assert on it:
//   - every class event the device emitted, with concrete arguments and,
//     for stream transfers, the bytes moved (Events);
//   - every rule the driver broke (Violations): a `require` of the spec
//     with its position, an access to an offset where no register is
//     visible, an access of the wrong width;
//   - the first error of the spec or the simulator itself (Err): a device
//     transition breaking its own require, a value that is not constant.
//     After it the device no longer changes.
//
// A driver access that breaks a require is recorded and dropped: the device
// state stays as it was before the access (a read still returns what the
// register showed; a stream read returns all ones). Reads where nothing is
// mapped return all ones, like a floating bus; such writes are ignored.
//
// Streams: a fifo port with a size (ATA DATA, 512) runs its handler once
// per size bytes of the buffer, and the device may step between two chunks
// as between two accesses; a window port runs it once per call. A stream
// read's bytes come from Options.Fill (default: the PRNG) before the
// handler runs, with the fields of the stream's active layout (if any) put
// over them; `buf` in handlers stands for them, and an event argument that
// is buf carries them in Event.Bytes.
//
// Events of one action appear in the order the model keeps them (sorted,
// duplicates merged: the model records whether an event happened, not how
// often); events of different actions appear in the order of the actions.
//
// Out of scope: data variables wider than 64 bits (New fails), byte-lane
// accesses inside a wider MMIO register (an access must hit a register's
// offset with the register's width), single-word accesses to a stream port.
package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// Options configure a simulated device.
type Options struct {
	// Seed seeds the default Random schedule and the values of data
	// variables the spec leaves uninitialised.
	Seed uint64
	// Schedule resolves the device's nondeterminism; nil means
	// NewRandom(Seed).
	Schedule Schedule
	// Unfair lets the schedule also take internal transitions that are not
	// fair (error paths, a cache write-back). Off by default: then they
	// never happen.
	Unfair bool
	// MaxSteps caps the internal transitions taken after one driver access
	// or in one Pause (default 16), so a device that can step forever does
	// not hang the driver.
	MaxSteps int
	// Init overrides the reset value of variables by name (a state
	// variable, or REG.FIELD of a stored field). Data variables without an
	// initial value in the spec and not named here get a value from the
	// PRNG: a driver must not rely on what nobody initialised.
	Init map[string]uint64
	// Fill supplies the bytes a stream read delivers, before the stream's
	// read handler runs; view shows the device state at that moment (e.g.
	// the sector the device is at). Nil fills from the PRNG.
	Fill func(stream string, view View, buf []byte)
	// NoIRQ hides the interrupt line: the buses do not implement
	// bus.Interrupts even when the spec has an irq.
	NoIRQ bool
	// Log keeps a human-readable history of accesses and transitions
	// (Device.History), for diagnosing a failing schedule.
	Log bool
}

// Event is a class event the device emitted.
type Event struct {
	Name string
	// Args are the event's arguments; a buffer argument is 0 here and its
	// content is in Bytes.
	Args  []uint64
	Bytes []byte
	// Access is the number of driver accesses before the one (or the
	// device step after it) that emitted the event.
	Access int
}

func (e Event) String() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = fmt.Sprintf("%#x", a)
	}
	s := e.Name + "(" + strings.Join(parts, ", ") + ")"
	if e.Bytes != nil {
		s += fmt.Sprintf("[%d bytes]", len(e.Bytes))
	}
	return s
}

// Kind classifies a violation.
type Kind uint8

const (
	// Require: the driver broke a `require` of the spec.
	Require Kind = iota
	// Unmapped: no register or stream is visible at the offset in the
	// access's direction (a bank condition does not hold, or nothing is
	// there).
	Unmapped
	// Width: the access width is not the register's or stream's width, or
	// a fifo stream moved a buffer that is not a whole number of units.
	Width
)

var kindNames = [...]string{"require", "unmapped", "width"}

func (k Kind) String() string { return kindNames[k] }

// Violation is a rule the driver broke.
type Violation struct {
	Kind Kind
	// Pos is the spec position of the broken require (Require only).
	Pos dsl.Pos
	Msg string
	// What is the driver access, e.g. "write THR @0x0 = 0x41".
	What string
	// Access numbers the driver's accesses from 1.
	Access int
}

func (v Violation) String() string {
	if v.Kind == Require {
		return fmt.Sprintf("%s:%d:%d: %s (access %d: %s)", v.Pos.Filename, v.Pos.Line, v.Pos.Column, v.Msg, v.Access, v.What)
	}
	return fmt.Sprintf("%s: %s (access %d: %s)", v.Kind, v.Msg, v.Access, v.What)
}

type loc struct {
	region int
	off    uint32
}

type pending struct {
	t    *model.Transition
	args []*term.T
}

// Device is one simulated device. It is safe for concurrent use: a test
// may inject input while a driver waits for it in another goroutine.
type Device struct {
	m     *model.Model
	opts  Options
	sched Schedule
	rnd   *rand.Rand // data initialisation and stream fill

	readRegs, writeRegs map[loc][]*model.Reg
	streams             []*model.Stream
	inputs              map[string]*model.Transition

	mu     sync.Mutex
	st     *model.State
	queue  []pending
	events []Event
	viols  []Violation
	err    error
	access int
	steps  int
	curBuf []byte // the chunk a stream handler is moving
	// held are the bytes of buffers that state variables hold (a data
	// window's contents), by the name of the term that stands for them.
	held    map[string][]byte
	wake    chan struct{} // closed when input arrives
	history []string
	// spent are the rare transitions taken since the last NewCall.
	spent map[*model.Transition]bool
	// between: NewCall is letting the device move between two calls, when
	// between transitions may happen.
	between bool
}

// bufName names the term that stands for a stream's buffer in handlers;
// heldPrefix starts the names of the terms that stand for buffers state
// variables hold.
const (
	bufName    = "sim.buf"
	heldPrefix = "sim.held."
)

// New lowers a checked spec and returns its simulated device, in its reset
// state.
func New(spec *dsl.Spec, opts Options) (*Device, error) {
	m, err := model.Lower(spec)
	if err != nil {
		return nil, err
	}
	return NewFromModel(m, opts)
}

// NewFromModel returns a simulated device of a lowered model (lower once,
// simulate many schedules).
func NewFromModel(m *model.Model, opts Options) (*Device, error) {
	if opts.MaxSteps <= 0 {
		opts.MaxSteps = 16
	}
	d := &Device{m: m, opts: opts, sched: opts.Schedule,
		rnd:      rand.New(rand.NewPCG(opts.Seed, 0x5eed)),
		readRegs: map[loc][]*model.Reg{}, writeRegs: map[loc][]*model.Reg{},
		streams: m.Streams, inputs: map[string]*model.Transition{},
		wake: make(chan struct{})}
	if d.sched == nil {
		d.sched = NewRandom(opts.Seed)
	}
	for _, r := range m.Regs {
		l := loc{r.Region, r.Offset}
		if r.Read {
			d.readRegs[l] = append(d.readRegs[l], r)
		}
		if r.Write {
			d.writeRegs[l] = append(d.writeRegs[l], r)
		}
	}
	for _, t := range m.Inputs {
		d.inputs[t.Name] = t
	}
	for name := range opts.Init {
		if m.Var(name) < 0 {
			return nil, fmt.Errorf("sim: Init names %q, which is not a variable of %s", name, m.Name)
		}
	}
	st := m.Reset()
	for i, v := range m.Vars {
		if v.Width > 64 {
			return nil, fmt.Errorf("sim: %s is %d bits wide; the simulator holds at most 64", v.Name, v.Width)
		}
		switch x, ok := opts.Init[v.Name]; {
		case ok:
			st.Set(i, term.C(x, v.Width))
		case !st.Val(i).IsConst():
			st.Set(i, term.C(d.rnd.Uint64(), v.Width))
		}
	}
	d.st = st
	return d, nil
}

// Model is the lowered spec the device runs.
func (d *Device) Model() *model.Model { return d.m }

// Bus is the default region's bus.
func (d *Device) Bus() bus.Bus { return d.Region("") }

// Region returns the bus of a region of the device ("" is the default
// one). It implements bus.Poller, and bus.Interrupts when the spec has an
// interrupt line (unless Options.NoIRQ). It panics on an unknown region:
// that is a mistake in the test, not in the driver.
func (d *Device) Region(name string) bus.Bus {
	i, ok := d.m.Regions[name]
	if !ok {
		panic(fmt.Sprintf("sim: %s has no region %q", d.m.Name, name))
	}
	rb := regionBus{d, i}
	if d.m.HasIRQ && !d.opts.NoIRQ {
		return irqBus{rb}
	}
	return rb
}

// Input queues an input transition of the spec with its parameters (a byte
// arriving on the line). Inputs fire in the order queued, each as soon as
// its guard holds (at once when it holds now).
func (d *Device) Input(name string, args ...uint64) error {
	t := d.inputs[name]
	if t == nil {
		return fmt.Errorf("sim: %s has no input %q", d.m.Name, name)
	}
	if len(args) != len(t.Params) {
		return fmt.Errorf("sim: input %s takes %d arguments, got %d", name, len(t.Params), len(args))
	}
	p := pending{t: t}
	for i, prm := range t.Params {
		w := 64
		switch {
		case prm.Type.Data != nil:
			w = *prm.Type.Data
		case prm.Type.Uint != nil:
			w = *prm.Type.Uint
		case prm.Type.Bool:
			w = 1
		}
		p.args = append(p.args, term.C(args[i], w))
	}
	d.mu.Lock()
	d.queue = append(d.queue, p)
	d.drainInputs()
	close(d.wake)
	d.wake = make(chan struct{})
	d.mu.Unlock()
	return nil
}

// Pending is the number of queued inputs that have not fired yet.
func (d *Device) Pending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.queue)
}

// NewCall tells the device that the driver starts a method call: a rare
// transition (at most once per call) may happen again. Without it, each
// rare transition happens at most once in the device's life. Before the
// call starts, the schedule may take between transitions (with
// Options.Unfair), which happen at no other time, and what follows them.
func (d *Device) NewCall() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.spent = nil
	for _, t := range d.m.Internals {
		if t.Between {
			d.between = true
			d.settle()
			d.between = false
			d.spent = nil
			break
		}
	}
}

// Events returns the class events emitted so far, in order.
func (d *Device) Events() []Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Event(nil), d.events...)
}

// Violations returns the rules the driver broke, in order.
func (d *Device) Violations() []Violation {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Violation(nil), d.viols...)
}

// Err is the first error of the spec or of the simulator (not of the
// driver): after it the device no longer changes.
func (d *Device) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// Accesses is the number of driver accesses so far (a stream transfer
// counts one).
func (d *Device) Accesses() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.access
}

// Steps is the number of internal transitions and inputs taken so far.
func (d *Device) Steps() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.steps
}

// History is the log of accesses and transitions (Options.Log).
func (d *Device) History() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.history...)
}

// IRQ is the level of the interrupt line now.
func (d *Device) IRQ() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.irq()
}

// Faults names the spec's faults whose condition holds now.
func (d *Device) Faults() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, f := range d.m.Faults {
		if ok, err := d.m.FaultHolds(f, d.st); err == nil && ok {
			out = append(out, f.Name)
		}
	}
	return out
}

// Value is the current value of a state variable or of a field (REG.FIELD,
// stored or computed) — for tests that check what a driver configured.
func (d *Device) Value(name string) (uint64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return View{d}.Value(name)
}

// View reads device state without locking, for Options.Fill, which runs
// while the device is busy with a stream transfer.
type View struct{ d *Device }

// Value is the current value of a state variable or a field.
func (v View) Value(name string) (uint64, error) {
	d := v.d
	if i := d.m.Var(name); i >= 0 {
		return d.st.Val(i).Val, nil
	}
	if f := d.m.FieldByQual(name); f != nil {
		t, err := d.m.FieldValue(f, d.st)
		if err != nil {
			return 0, err
		}
		if !t.IsConst() {
			return 0, fmt.Errorf("sim: %s is not constant: %s", name, t)
		}
		return t.Val, nil
	}
	return 0, fmt.Errorf("sim: %s has no variable or field %q", d.m.Name, name)
}

// ---------------------------------------------------------------- internals

func (d *Device) logf(format string, args ...any) {
	if d.opts.Log {
		d.history = append(d.history, fmt.Sprintf(format, args...))
	}
}

// fail records the first spec/simulator error.
func (d *Device) fail(err error) {
	if d.err == nil {
		d.err = err
		d.logf("error: %v", err)
	}
}

func (d *Device) violate(k Kind, pos dsl.Pos, msg string, what func() string) {
	d.viols = append(d.viols, Violation{Kind: k, Pos: pos, Msg: msg, What: what(), Access: d.access})
	d.logf("violation: %s: %s", msg, d.viols[len(d.viols)-1].What)
}

func (d *Device) violateRequire(v *model.Violation, what func() string) {
	msg := "require"
	if v.Require.Message != nil {
		msg = *v.Require.Message
	}
	d.violate(Require, v.Require.Pos, msg, what)
}

// commit makes next the current state: the events it emitted are logged
// with concrete arguments, and every value must be a constant.
func (d *Device) commit(next *model.State) {
	for _, e := range next.Events {
		if model.IsPseudoEvent(e.Name) {
			continue
		}
		ev := Event{Name: e.Name, Access: d.access}
		for _, a := range e.Args {
			switch {
			case a.Mentions(term.Unknown, bufName):
				ev.Args = append(ev.Args, 0)
				ev.Bytes = append([]byte{}, d.curBuf...)
			case a.Kind == term.Unknown && d.held[a.Name] != nil:
				ev.Args = append(ev.Args, 0)
				ev.Bytes = append([]byte{}, d.held[a.Name]...)
			case a.IsConst():
				ev.Args = append(ev.Args, a.Val)
			default:
				d.fail(fmt.Errorf("sim: event %s has a non-constant argument %s", e.Name, a))
				return
			}
		}
		d.events = append(d.events, ev)
		d.logf("  emit %s", ev)
	}
	next.ClearEvents()
	// Every value of the current state is a constant, or the bytes of a
	// streamed buffer a variable took (staged = buf); only what changed
	// needs a look.
	var changed []int
	next.Diff(d.st, func(i int) { changed = append(changed, i) })
	for _, i := range changed {
		v := next.Val(i)
		if v.Kind == term.Unknown && v.Name == bufName {
			name := heldPrefix + d.m.Vars[i].Name
			if d.held == nil {
				d.held = map[string][]byte{}
			}
			d.held[name] = append([]byte{}, d.curBuf...)
			next.Set(i, term.U(name, 0))
			continue
		}
		if v.Kind == term.Unknown && d.held[v.Name] != nil {
			continue
		}
		if !v.IsConst() {
			d.fail(fmt.Errorf("sim: %s became non-constant: %s", d.m.Vars[i].Name, v))
			return
		}
	}
	d.st = next
}

func (d *Device) irq() bool {
	ok, err := d.m.IRQLevel(d.st)
	if err != nil {
		d.fail(err)
	}
	return ok
}

// enabled lists the internal transitions the schedule may take now: the
// fair ones, and the unfair ones when Options.Unfair.
func (d *Device) enabled() []*model.Transition {
	var out []*model.Transition
	for _, t := range d.m.Internals {
		if !t.Fair && !d.opts.Unfair || d.spent[t] || t.Between && !d.between {
			continue
		}
		enabled := d.m.Enabled
		if t.Between {
			enabled = d.m.GuardHolds
		}
		ok, err := enabled(t, d.st)
		if err != nil {
			d.fail(err)
			return nil
		}
		if ok {
			out = append(out, t)
		}
	}
	return out
}

func (d *Device) fire(t *model.Transition, args []*term.T) {
	next, err := d.m.Fire(t, d.st, args)
	if err != nil {
		d.fail(err)
		return
	}
	d.steps++
	if t.Rare {
		if d.spent == nil {
			d.spent = map[*model.Transition]bool{}
		}
		d.spent[t] = true
	}
	d.logf("  %s", t.Name)
	d.commit(next)
}

// drainInputs fires queued inputs, in order, while the first one's guard
// holds.
func (d *Device) drainInputs() {
	for len(d.queue) > 0 && d.err == nil {
		p := d.queue[0]
		ok, err := d.m.Enabled(p.t, d.st)
		if err != nil {
			d.fail(err)
			return
		}
		if !ok {
			return
		}
		d.queue = d.queue[1:]
		d.fire(p.t, p.args)
	}
}

// settle lets the device take the steps the schedule picks after a driver
// access: at each point the schedule may stop or take one enabled
// transition.
func (d *Device) settle() {
	d.drainInputs()
	for i := 0; i < d.opts.MaxSteps && d.err == nil; i++ {
		en := d.enabled()
		if len(en) == 0 {
			return
		}
		c := d.sched.Choose(len(en)+1, true)
		if c == 0 {
			return
		}
		d.fire(en[c-1], nil)
		d.drainInputs()
	}
}

// progress takes one enabled transition (the schedule picks which) and
// reports whether there was one. Waits use it: time passes, so a fair
// transition must happen.
func (d *Device) progress() bool {
	if d.err != nil {
		return false
	}
	en := d.enabled()
	switch len(en) {
	case 0:
		return false
	case 1:
		d.fire(en[0], nil)
	default:
		d.fire(en[d.sched.Choose(len(en), false)], nil)
	}
	d.drainInputs()
	return true
}

// pause runs the device until its state changes or nothing can happen
// (then it yields, so a test goroutine can inject input).
func (d *Device) pause() {
	d.mu.Lock()
	d.logf("pause")
	before := d.st
	moved := false
	for i := 0; i < d.opts.MaxSteps && d.progress(); i++ {
		moved = true
		if d.changed(before) {
			break
		}
	}
	d.mu.Unlock()
	if !moved {
		runtime.Gosched()
	}
}

// irqPatience is how many steps WaitIRQ lets the device take without the
// line rising before it concludes that only the outside world can raise it
// (a device that cycles forever through fair transitions).
const irqPatience = 4096

// waitIRQ runs the device until the interrupt line is high; when nothing
// (more) can happen it sleeps until input arrives or ctx ends.
func (d *Device) waitIRQ(ctx context.Context) error {
	for steps := 0; ; {
		if err := ctx.Err(); err != nil {
			return err
		}
		d.mu.Lock()
		if d.irq() {
			d.mu.Unlock()
			return nil
		}
		if steps < irqPatience && d.progress() {
			d.mu.Unlock()
			steps++
			continue
		}
		steps = 0
		wake := d.wake
		d.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}

// changed reports whether the state differs from before (values only;
// both are all constants).
func (d *Device) changed(before *model.State) bool {
	changed := false
	d.st.Diff(before, func(i int) { changed = changed || d.st.Val(i).Val != before.Val(i).Val })
	return changed
}

func ones(width int) uint64 { return 1<<(8*uint(width)) - 1 }

// visible picks, among regs at one location, the one whose bank condition
// holds now.
func (d *Device) visible(regs []*model.Reg) *model.Reg {
	var found *model.Reg
	for _, r := range regs {
		ok, err := d.m.Visible(r.Bank, d.st)
		if err != nil {
			d.fail(err)
			return nil
		}
		if ok {
			if found != nil {
				d.fail(fmt.Errorf("sim: %s and %s are both visible at offset %#x", found.Name, r.Name, r.Offset))
				return found
			}
			found = r
		}
	}
	return found
}

func (d *Device) read(region int, off uint32, width int) uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.access++
	if d.err != nil {
		return ones(width)
	}
	r := d.visible(d.readRegs[loc{region, off}])
	if r == nil {
		d.violate(Unmapped, dsl.Pos{}, "no readable register is visible here", func() string { return fmt.Sprintf("read%d @%#x", 8*width, off) })
		d.settle()
		return ones(width)
	}
	what := func() string { return fmt.Sprintf("read %s @%#x", r.Name, off) }
	vals, next, viol, err := d.m.ReadReg(d.st, r)
	if err != nil {
		d.fail(err)
		return ones(width)
	}
	v := r.Reset
	for i, f := range r.Fields {
		if !vals[i].IsConst() {
			d.fail(fmt.Errorf("sim: %s reads as non-constant %s", f.Qual(), vals[i]))
			return ones(width)
		}
		v = v&^f.Mask() | vals[i].Val<<uint(f.Lo)&f.Mask()
	}
	if r.Width != 8*width {
		d.violate(Width, dsl.Pos{}, fmt.Sprintf("%s is %d bits wide", r.Name, r.Width), what)
	}
	if d.opts.Log {
		d.logf("%s = %#x", what(), v)
	}
	if viol != nil {
		d.violateRequire(viol, what)
	} else {
		d.commit(next)
	}
	d.settle()
	return v & ones(width)
}

func (d *Device) write(region int, off uint32, width int, v uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.access++
	if d.err != nil {
		return
	}
	r := d.visible(d.writeRegs[loc{region, off}])
	if r == nil {
		d.violate(Unmapped, dsl.Pos{}, "no writable register is visible here", func() string { return fmt.Sprintf("write%d @%#x = %#x", 8*width, off, v) })
		d.settle()
		return
	}
	what := func() string { return fmt.Sprintf("write %s @%#x = %#x", r.Name, off, v) }
	if d.opts.Log {
		d.logf("%s", what())
	}
	if r.Width != 8*width {
		// Dropped: a narrower write would clobber the other bytes' fields.
		d.violate(Width, dsl.Pos{}, fmt.Sprintf("%s is %d bits wide", r.Name, r.Width), what)
		d.settle()
		return
	}
	vals := make([]*term.T, len(r.Fields))
	for i, f := range r.Fields {
		vals[i] = term.C(v>>uint(f.Lo), f.Width)
	}
	next, viol, err := d.m.WriteReg(d.st, r, vals)
	switch {
	case err != nil:
		d.fail(err)
		return
	case viol != nil:
		d.violateRequire(viol, what)
	default:
		d.commit(next)
	}
	d.settle()
}

// stream decodes a stream port: a fifo at its offset, a window anywhere
// inside its size.
func (d *Device) stream(region int, off uint32, read bool) *model.Stream {
	var found *model.Stream
	for _, p := range d.streams {
		if p.Region != region || (read && !p.Read) || (!read && !p.Write) {
			continue
		}
		if off != p.Offset && !(p.Window && off > p.Offset && off < p.Offset+uint32(p.Size)) {
			continue
		}
		ok, err := d.m.Visible(p.Bank, d.st)
		if err != nil {
			d.fail(err)
			return nil
		}
		if ok && found == nil {
			found = p
		}
	}
	return found
}

// streamIO moves buf through a stream port. A fifo port with a size runs
// its handler once per size bytes (one ATA sector per action), and the
// device may step between two chunks as between two accesses: moving two
// sectors in one call without checking the device in between is the
// driver's risk. A window port runs its handler once per call.
func (d *Device) streamIO(region int, off uint32, width int, buf []byte, read bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.access++
	dir := "write"
	if read {
		dir = "read"
	}
	floating := func(b []byte) {
		if read {
			for i := range b {
				b[i] = 0xFF
			}
		}
	}
	if d.err != nil {
		floating(buf)
		return
	}
	p := d.stream(region, off, read)
	if p == nil {
		d.violate(Unmapped, dsl.Pos{}, "no stream port is visible here", func() string { return fmt.Sprintf("%s stream @%#x (%d bytes)", dir, off, len(buf)) })
		floating(buf)
		d.settle()
		return
	}
	what := func() string { return fmt.Sprintf("%s stream %s @%#x (%d bytes)", dir, p.Name, off, len(buf)) }
	if d.opts.Log {
		d.logf("%s", what())
	}
	chunk := len(buf)
	if !p.Window && p.Size > 0 {
		chunk = p.Size
	}
	if width*8 != p.Width || len(buf)%(width) != 0 || chunk == 0 || len(buf)%chunk != 0 {
		d.violate(Width, dsl.Pos{}, fmt.Sprintf("%s moves %d-bit units, %d bytes per action", p.Name, p.Width, chunk), what)
		floating(buf)
		d.settle()
		return
	}
	bufTerm := term.U(bufName, 0)
	for i := 0; i < len(buf); i += chunk {
		part := buf[i : i+chunk]
		if i > 0 {
			d.settle()
		}
		if read {
			if d.opts.Fill != nil {
				d.opts.Fill(p.Name, View{d}, part)
			} else {
				for j := range part {
					part[j] = byte(d.rnd.Uint32())
				}
			}
			d.layOut(p, part)
		}
		d.curBuf = part
		next, viol, err := d.m.StreamIO(d.st, p, read, bufTerm)
		switch {
		case err != nil:
			d.fail(err)
		case viol != nil:
			d.violateRequire(viol, what)
		default:
			d.commit(next)
		}
		d.curBuf = nil
		if err != nil || viol != nil {
			floating(buf[i:])
			break
		}
	}
	d.settle()
}

// layOut puts the values of the stream's active layout into the bytes a
// read delivers: what the spec says the device shows there wins over the
// fill.
func (d *Device) layOut(p *model.Stream, part []byte) {
	l, err := d.m.ActiveLayout(p, d.st)
	if err != nil {
		d.fail(err)
		return
	}
	if l == nil {
		return
	}
	for _, f := range l.Fields {
		if f.Value == nil || f.Offset+f.Bytes > len(part) {
			continue
		}
		v, err := d.m.Eval(f.Value, d.st, nil)
		if err != nil {
			d.fail(err)
			return
		}
		if !v.IsConst() {
			d.fail(fmt.Errorf("sim: layout field %s.%s is non-constant: %s", l.Name, f.Name, v))
			return
		}
		for i := 0; i < f.Bytes; i++ {
			at := f.Offset + i // least significant byte first
			if f.BigEndian {
				at = f.Offset + f.Bytes - 1 - i
			}
			part[at] = byte(v.Val >> (8 * uint(i)))
		}
	}
}

// ---------------------------------------------------------------- buses

type regionBus struct {
	d      *Device
	region int
}

func (b regionBus) Read8(off uint32) uint8   { return uint8(b.d.read(b.region, off, 1)) }
func (b regionBus) Read16(off uint32) uint16 { return uint16(b.d.read(b.region, off, 2)) }
func (b regionBus) Read32(off uint32) uint32 { return uint32(b.d.read(b.region, off, 4)) }
func (b regionBus) Write8(off uint32, v uint8) {
	b.d.write(b.region, off, 1, uint64(v))
}
func (b regionBus) Write16(off uint32, v uint16) {
	b.d.write(b.region, off, 2, uint64(v))
}
func (b regionBus) Write32(off uint32, v uint32) {
	b.d.write(b.region, off, 4, uint64(v))
}
func (b regionBus) ReadStream(off uint32, width int, buf []byte) {
	b.d.streamIO(b.region, off, width, buf, true)
}
func (b regionBus) WriteStream(off uint32, width int, buf []byte) {
	b.d.streamIO(b.region, off, width, buf, false)
}

// Pause implements bus.Poller: time passes, so the device runs until its
// state changes (a fair transition is never starved by a poll loop).
func (b regionBus) Pause(int) { b.d.pause() }

type irqBus struct{ regionBus }

// WaitIRQ implements bus.Interrupts.
func (b irqBus) WaitIRQ(ctx context.Context) error { return b.d.waitIRQ(ctx) }

var (
	_ bus.Poller     = regionBus{}
	_ bus.Interrupts = irqBus{}
)
