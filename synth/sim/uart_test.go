package sim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/synth/model"
)

const uartSpec = "../../devices/uart16550/uart16550.dev"

// 16550 register offsets and bits, from the datasheet, for the hand-scripted
// test driver (independent of the spec's names).
const (
	offData = 0 // RBR / THR / DLL
	offIER  = 1 // IER / DLM
	offFCR  = 2
	offLCR  = 3
	offLSR  = 5
	offSCR  = 7

	lcrDLAB   = 0x80
	lcr8N1    = 0x03
	fcrEnable = 0x01
	lsrDR     = 0x01
	lsrTHRE   = 0x20
	ierERBFI  = 0x01
	ierETBEI  = 0x02
)

var (
	uartOnce  sync.Once
	uartModel *model.Model
	uartErr   error
)

func loadUART(t testing.TB) *model.Model {
	uartOnce.Do(func() { uartModel, uartErr = model.Load(uartSpec) })
	require.NoError(t, uartErr)
	return uartModel
}

// specLine is the line of the spec that contains text.
func specLine(t testing.TB, path, text string) int {
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("%q not in %s", text, path)
	return 0
}

// uartDriver is a tiny hand-written 16550 driver: polls with a bound, and
// pauses between polls when the bus offers it.
type uartDriver struct {
	b        bus.Bus
	noPause  bool
	maxPolls int // the longest poll loop seen
}

var errPollLimit = errors.New("poll did not end")

func (u *uartDriver) configure(fifo bool) {
	u.b.Write8(offLCR, lcrDLAB)
	u.b.Write8(offData, 1) // DLL: 115200 baud
	u.b.Write8(offIER, 0)  // DLM
	u.b.Write8(offLCR, lcr8N1)
	if fifo {
		u.b.Write8(offFCR, fcrEnable)
	}
	u.b.Write8(offIER, 0)
}

func (u *uartDriver) poll(mask uint8) error {
	for i := 1; ; i++ {
		if u.b.Read8(offLSR)&mask != 0 {
			u.maxPolls = max(u.maxPolls, i)
			return nil
		}
		if i > 10000 {
			return errPollLimit
		}
		if p, ok := u.b.(bus.Poller); ok && !u.noPause {
			p.Pause(i)
		}
	}
}

func (u *uartDriver) send(c byte) error {
	if err := u.poll(lsrTHRE); err != nil {
		return err
	}
	u.b.Write8(offData, c)
	return nil
}

func (u *uartDriver) recv() (byte, error) {
	if err := u.poll(lsrDR); err != nil {
		return 0, err
	}
	return u.b.Read8(offData), nil
}

func payload(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*37 + 11)
	}
	return p
}

// transfer configures, sends out and receives in, and checks bytes and
// events.
func transfer(d *Device, u *uartDriver, fifo bool, out, in []byte) error {
	u.configure(fifo)
	for _, c := range out {
		if err := u.send(c); err != nil {
			return err
		}
	}
	for _, c := range in {
		if err := d.Input("receive", uint64(c)); err != nil {
			return err
		}
		got, err := u.recv()
		if err != nil {
			return err
		}
		if got != c {
			return fmt.Errorf("received %#x, want %#x", got, c)
		}
	}
	var tx, rx []byte
	for _, e := range d.Events() {
		switch e.Name {
		case "tx":
			tx = append(tx, byte(e.Args[0]))
		case "rx":
			rx = append(rx, byte(e.Args[0]))
		default:
			return fmt.Errorf("unexpected event %s", e)
		}
	}
	if string(tx) != string(out) {
		return fmt.Errorf("tx events %x, want %x", tx, out)
	}
	if string(rx) != string(in) {
		return fmt.Errorf("rx events %x, want %x", rx, in)
	}
	return nil
}

// runSeed runs the transfer under one random schedule and checks
// everything the device recorded.
func runSeed(m *model.Model, seed uint64, fifo bool, out, in []byte) (polls, steps, accesses int, err error) {
	d, err := NewFromModel(m, Options{Seed: seed})
	if err != nil {
		return 0, 0, 0, err
	}
	u := &uartDriver{b: d.Bus()}
	if err := transfer(d, u, fifo, out, in); err != nil {
		return 0, 0, 0, err
	}
	if err := d.Err(); err != nil {
		return 0, 0, 0, err
	}
	if v := d.Violations(); len(v) > 0 {
		return 0, 0, 0, fmt.Errorf("%d violations, first %s", len(v), v[0])
	}
	// The line is configured as written.
	for name, want := range map[string]uint64{"DLL.DIVL": 1, "DLM.DIVH": 0, "LCR.WLS": 3, "LCR.DLAB": 0, "FCR.FIFOE": map[bool]uint64{false: 0, true: 1}[fifo]} {
		got, err := d.Value(name)
		if err != nil {
			return 0, 0, 0, err
		}
		if got != want {
			return 0, 0, 0, fmt.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	return u.maxPolls, d.Steps(), d.Accesses(), nil
}

func TestUARTRandomSchedules(t *testing.T) {
	m := loadUART(t)
	seeds := uint64(1000)
	if testing.Short() {
		seeds = 100
	}
	out, in := payload(100), payload(8)
	workers := runtime.GOMAXPROCS(0)
	for _, fifo := range []bool{false, true} {
		start := time.Now()
		var mu sync.Mutex
		var wg sync.WaitGroup
		maxPolls, steps, accesses := 0, 0, 0
		var errs []error
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for seed := uint64(w); seed < seeds; seed += uint64(workers) {
					p, s, a, err := runSeed(m, seed, fifo, out, in)
					mu.Lock()
					if err != nil {
						errs = append(errs, fmt.Errorf("seed %d: %w", seed, err))
					}
					maxPolls, steps, accesses = max(maxPolls, p), steps+s, accesses+a
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		require.Empty(t, errs)
		el := time.Since(start)
		t.Logf("fifo=%v: %d schedules of a %d-byte send + %d-byte receive in %v on %d workers; %d accesses, %d device steps; longest poll %d reads",
			fifo, seeds, len(out), len(in), el, workers, accesses, steps, maxPolls)
		// Pause runs the device until it changes: waiting for THRE takes
		// at most the shift-out and the load.
		assert.LessOrEqual(t, maxPolls, 3)
	}
}

// Without Pause, polls end only because the device steps after accesses
// with positive probability: they still end, just later.
func TestUARTSpinWithoutPause(t *testing.T) {
	m := loadUART(t)
	maxPolls := 0
	for seed := uint64(0); seed < 200; seed++ {
		d, err := NewFromModel(m, Options{Seed: seed})
		require.NoError(t, err)
		u := &uartDriver{b: d.Bus(), noPause: true}
		require.NoError(t, transfer(d, u, seed%2 == 0, payload(20), payload(2)), "seed %d", seed)
		require.Empty(t, d.Violations())
		maxPolls = max(maxPolls, u.maxPolls)
	}
	t.Logf("longest spin: %d reads", maxPolls)
	assert.Greater(t, maxPolls, 1, "some schedule must make the driver wait")
}

// Seventeen THR writes into a 16-byte FIFO, with a device that does not
// drain it meanwhile, break the spec's require on THR.
func TestUARTTHROverflowViolation(t *testing.T) {
	m := loadUART(t)
	d, err := NewFromModel(m, Options{Schedule: Lazy{}})
	require.NoError(t, err)
	u := &uartDriver{b: d.Bus()}
	u.configure(true)
	for i := 0; i < 17; i++ {
		u.b.Write8(offData, byte(i))
	}
	v := d.Violations()
	require.Len(t, v, 1)
	assert.Equal(t, Require, v[0].Kind)
	assert.Equal(t, specLine(t, uartSpec, `"THR written while the holding register (or FIFO) is full"`), v[0].Pos.Line)
	assert.Contains(t, v[0].Pos.Filename, "uart16550.dev")
	assert.Equal(t, "THR written while the holding register (or FIFO) is full", v[0].Msg)
	assert.Contains(t, v[0].What, "write THR @0x0 = 0x10")
	assert.Equal(t, 6+17, v[0].Access) // after the 6 configuration writes
	// The offending write was dropped: 16 bytes went out, not 17.
	assert.Len(t, d.Events(), 16)
	assert.NoError(t, d.Err())
}

// Under random schedules the device sometimes drains the holding register
// between two unpolled writes and sometimes not: both outcomes occur.
func TestUARTUnpolledWritesSometimesViolate(t *testing.T) {
	m := loadUART(t)
	violated := 0
	for seed := uint64(0); seed < 200; seed++ {
		d, err := NewFromModel(m, Options{Seed: seed})
		require.NoError(t, err)
		u := &uartDriver{b: d.Bus()}
		u.configure(false)
		u.b.Write8(offData, 'a')
		u.b.Write8(offData, 'b')
		if len(d.Violations()) > 0 {
			violated++
		}
	}
	assert.Greater(t, violated, 0)
	assert.Less(t, violated, 200)
}

func TestUARTReadEmptyRBR(t *testing.T) {
	m := loadUART(t)
	d, err := NewFromModel(m, Options{Seed: 1})
	require.NoError(t, err)
	d.Bus().Read8(offData)
	v := d.Violations()
	require.Len(t, v, 1)
	assert.Equal(t, specLine(t, uartSpec, `"RBR read while no byte is waiting"`), v[0].Pos.Line)
	assert.Empty(t, d.Events(), "the dropped read emits no rx")
}

func TestUARTBankingAndScratch(t *testing.T) {
	m := loadUART(t)
	d, err := NewFromModel(m, Options{Seed: 3})
	require.NoError(t, err)
	b := d.Bus()
	b.Write8(offLCR, lcrDLAB)
	b.Write8(offData, 0x0C) // DLL, not THR
	b.Write8(offIER, 0x00)  // DLM, not IER
	assert.Equal(t, uint8(0x0C), b.Read8(offData), "DLL reads back")
	assert.Equal(t, uint8(lcrDLAB), b.Read8(offLCR))
	b.Write8(offLCR, lcr8N1)
	b.Write8(offSCR, 0x5A)
	assert.Equal(t, uint8(0x5A), b.Read8(offSCR))
	iir := b.Read8(offFCR)
	assert.Equal(t, uint8(0x01), iir&0x01, "IIR: no interrupt pending")
	assert.Equal(t, uint8(0x00), iir&0xC0, "IIR: FIFOs off")
	assert.Empty(t, d.Events(), "nothing went to THR")
	assert.Empty(t, d.Violations())
	v, err := d.Value("DLL.DIVL")
	require.NoError(t, err)
	assert.Equal(t, uint64(0x0C), v)
}

func TestUARTUnmappedAndWidth(t *testing.T) {
	m := loadUART(t)
	d, err := NewFromModel(m, Options{Seed: 3})
	require.NoError(t, err)
	b := d.Bus()
	assert.Equal(t, uint8(0xFF), b.Read8(9), "nothing at 9: the bus floats")
	b.Write8(offLSR, 0) // LSR is read-only: no writable register there
	b.Write16(offSCR, 0x1234)
	v := d.Violations()
	require.Len(t, v, 3)
	assert.Equal(t, Unmapped, v[0].Kind)
	assert.Equal(t, Unmapped, v[1].Kind)
	assert.Equal(t, Width, v[2].Kind)
	assert.Equal(t, uint8(0), b.Read8(offSCR), "the 16-bit write was dropped")
}

func TestUARTInterrupts(t *testing.T) {
	m := loadUART(t)
	d, err := NewFromModel(m, Options{Seed: 5})
	require.NoError(t, err)
	b := d.Bus()
	irq, ok := b.(bus.Interrupts)
	require.True(t, ok, "the 16550 spec has an irq line")
	u := &uartDriver{b: b}
	u.configure(false)
	b.Write8(offIER, ierETBEI)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range []byte("hi!") {
		require.NoError(t, irq.WaitIRQ(ctx))
		b.Write8(offData, c)
	}
	// Receive with the interrupt: the byte arrives from another goroutine
	// while the driver sleeps in WaitIRQ.
	b.Write8(offIER, ierERBFI)
	go func() {
		time.Sleep(10 * time.Millisecond)
		assert.NoError(t, d.Input("receive", 'x'))
	}()
	require.NoError(t, irq.WaitIRQ(ctx))
	assert.Equal(t, uint8('x'), b.Read8(offData))
	assert.False(t, d.IRQ(), "reading RBR clears the receive interrupt")
	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	assert.ErrorIs(t, irq.WaitIRQ(short), context.DeadlineExceeded, "no input, no interrupt")
	assert.Empty(t, d.Violations())
	var names []string
	for _, e := range d.Events() {
		names = append(names, e.String())
	}
	assert.Equal(t, []string{"tx(0x68)", "tx(0x69)", "tx(0x21)", "rx(0x78)"}, names)

	quiet, err := NewFromModel(m, Options{Seed: 5, NoIRQ: true})
	require.NoError(t, err)
	_, ok = quiet.Bus().(bus.Interrupts)
	assert.False(t, ok)
}

// A second byte before RBR is read overruns; the spec's input runs with the
// injected parameter.
func TestUARTOverrun(t *testing.T) {
	m := loadUART(t)
	d, err := NewFromModel(m, Options{Seed: 9})
	require.NoError(t, err)
	b := d.Bus()
	require.NoError(t, d.Input("receive", 1))
	require.NoError(t, d.Input("receive", 2))
	assert.Equal(t, uint8(0x03), b.Read8(offLSR)&0x03, "DR and OE")
	assert.Equal(t, uint8(0x00), b.Read8(offLSR)&0x02, "reading LSR cleared OE")
	assert.Equal(t, uint8(2), b.Read8(offData))
	assert.Error(t, d.Input("receive"), "arity")
	assert.Error(t, d.Input("nosuch", 1))
}

// Exhaustive: every schedule of up to 6 device choices for a small
// configure/send/receive scenario.
func TestUARTExplore(t *testing.T) {
	m := loadUART(t)
	for _, fifo := range []bool{false, true} {
		stats, err := Explore(m, Options{}, 6, func(d *Device) error {
			return transfer(d, &uartDriver{b: d.Bus()}, fifo, []byte("abc"), []byte("z"))
		})
		require.NoError(t, err)
		t.Logf("fifo=%v: %d schedules, %d reached the bound", fifo, stats.Schedules, stats.Truncated)
		assert.Greater(t, stats.Schedules, 20)
	}
}

// Explore finds the schedule under which two unpolled writes overflow the
// holding register, and replaying it reproduces the violation.
func TestUARTExploreFindsViolation(t *testing.T) {
	m := loadUART(t)
	scenario := func(d *Device) error {
		u := &uartDriver{b: d.Bus()}
		u.configure(false)
		if err := u.send('a'); err != nil {
			return err
		}
		u.b.Write8(offData, 'b') // no poll
		return nil
	}
	_, err := Explore(m, Options{}, 6, scenario)
	var se *ScheduleError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Error(), "THR written while")
	d, err := NewFromModel(m, Options{Schedule: &Replay{Choices: se.Choices}})
	require.NoError(t, err)
	require.NoError(t, scenario(d))
	require.Len(t, d.Violations(), 1)
	assert.Equal(t, Require, d.Violations()[0].Kind)
}

func TestLogHistory(t *testing.T) {
	m := loadUART(t)
	d, err := NewFromModel(m, Options{Schedule: Lazy{}, Log: true})
	require.NoError(t, err)
	d.Bus().Write8(offData, 'q')
	d.Bus().(bus.Poller).Pause(1)
	h := d.History()
	require.GreaterOrEqual(t, len(h), 4)
	assert.Equal(t, "write THR @0x0 = 0x71", h[0])
	assert.Equal(t, "  emit tx(0x71)", h[1])
	assert.Equal(t, "pause", h[2])
	assert.Equal(t, "  load", h[3])
}

func BenchmarkUARTTransfer100(b *testing.B) {
	m := loadUART(b)
	out := payload(100)
	for i := 0; b.Loop(); i++ {
		d, err := NewFromModel(m, Options{Seed: uint64(i)})
		if err != nil {
			b.Fatal(err)
		}
		if err := transfer(d, &uartDriver{b: d.Bus()}, true, out, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// Context bounding: every schedule of a whole 8-byte send and a receive
// with at most two unusual device moves anywhere.
func TestUARTExploreDeviations(t *testing.T) {
	m := loadUART(t)
	for _, k := range []int{1, 2} {
		stats, err := ExploreBounded(m, Options{}, Bound{Deviations: k}, func(d *Device) error {
			return transfer(d, &uartDriver{b: d.Bus()}, true, payload(8), []byte("z"))
		})
		require.NoError(t, err)
		assert.True(t, stats.Complete)
		assert.Zero(t, stats.Truncated)
		t.Logf("deviations<=%d: %d schedules", k, stats.Schedules)
		assert.Greater(t, stats.Schedules, 8*k)
	}
	// MaxSchedules cuts the search short.
	stats, err := ExploreBounded(m, Options{}, Bound{Deviations: 3, MaxSchedules: 10}, func(d *Device) error {
		return transfer(d, &uartDriver{b: d.Bus()}, true, payload(8), nil)
	})
	require.NoError(t, err)
	assert.False(t, stats.Complete)
	assert.Equal(t, 10, stats.Schedules)
	_, err = ExploreBounded(m, Options{}, Bound{}, func(*Device) error { return nil })
	assert.Error(t, err)
}
