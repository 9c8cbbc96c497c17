package uart16550_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/uart16550"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/bus/trace"
)

// Register offsets and bits as the tests know them from the datasheet.
const (
	rRBR, rTHR, rDLL = 0, 0, 0
	rIER, rDLM       = 1, 1
	rIIR, rFCR       = 2, 2
	rLCR             = 3
	rMCR             = 4
	rLSR             = 5
	rMSR             = 6
	rSCR             = 7

	dlab = 0x80
)

// Compile-time: the model is a bus with an interrupt line.
var (
	_ bus.Bus        = (*uart16550.Model)(nil)
	_ bus.Interrupts = (*uart16550.Model)(nil)
)

func kinds(vs []uart16550.Violation) []uart16550.ViolationKind {
	var out []uart16550.ViolationKind
	for _, v := range vs {
		out = append(out, v.Kind)
	}
	return out
}

func TestResetState(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{Seed: 1})
	assert.Equal(t, uint8(0x00), m.Read8(rIER))
	assert.Equal(t, uint8(0x01), m.Read8(rIIR), "no interrupt pending, FIFOs off")
	assert.Equal(t, uint8(0x00), m.Read8(rLCR))
	assert.Equal(t, uint8(0x00), m.Read8(rMCR))
	assert.Equal(t, uint8(0x60), m.Read8(rLSR), "THRE and TEMT only")
	assert.Equal(t, uint8(0x00), m.Read8(rMSR)&0x0F, "no deltas")
	assert.Equal(t, uint8(0xB0), m.Read8(rMSR), "default peer asserts CTS, DSR, DCD")
	assert.False(t, m.IRQ())
	assert.Empty(t, m.Violations())
	assert.Equal(t, uint64(7), m.Accesses())
}

func TestPowerOnDivisorAndScratchDependOnSeedOnly(t *testing.T) {
	a := uart16550.NewModel(uart16550.Options{Seed: 7})
	b := uart16550.NewModel(uart16550.Options{Seed: 7})
	assert.Equal(t, a.Divisor(), b.Divisor())
	assert.Equal(t, a.Read8(rSCR), b.Read8(rSCR))
	differ := false
	for s := range uint64(8) {
		if uart16550.NewModel(uart16550.Options{Seed: s}).Divisor() != a.Divisor() {
			differ = true
		}
	}
	assert.True(t, differ, "the datasheet leaves DLL/DLM undefined at reset; seeds must vary it")
}

func TestDLABBanking(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{})
	m.Write8(rLCR, dlab|0x03)
	m.Write8(rDLL, 0x34)
	m.Write8(rDLM, 0x12)
	assert.Equal(t, uint16(0x1234), m.Divisor())
	assert.Equal(t, uint8(0x34), m.Read8(rDLL))
	assert.Equal(t, uint8(0x12), m.Read8(rDLM))
	assert.Equal(t, uint8(0), m.InterruptEnable(), "DLM write must not reach IER")

	m.Write8(rLCR, 0x03)
	m.Write8(rIER, 0xFF)
	assert.Equal(t, uint8(0x0F), m.Read8(rIER), "IER bits 4-7 read 0")
	assert.Equal(t, uint16(0x1234), m.Divisor(), "IER write must not reach DLM")
	m.Write8(rIER, 0)
	m.Write8(rTHR, 'A') // goes to THR, not DLL
	assert.Equal(t, uint16(0x1234), m.Divisor())
	m.Drain()
	assert.Equal(t, []byte{'A'}, m.Transmitted())
	assert.Empty(t, m.Violations())

	// The divisor is still readable after going back to DLAB=1.
	m.Write8(rLCR, dlab|0x03)
	assert.Equal(t, uint8(0x34), m.Read8(rDLL))
	assert.Equal(t, uint8(0x12), m.Read8(rDLM))
	assert.Equal(t, 307200.0/(16*0x1234)*6, m.Baud())
}

func TestLineControlDecoding(t *testing.T) {
	cases := []struct {
		lcr  uint8
		want string
	}{
		{0x03, "8N1"},
		{0x1E, "7E2"},   // WLS=2, STB, PEN, EPS
		{0x0A, "7O1"},   // WLS=2, PEN
		{0x2B, "8M1"},   // PEN, stick, EPS=0
		{0x3B, "8S1"},   // PEN, stick, EPS=1
		{0x04, "5N1.5"}, // STB with 5-bit words
		{0x05, "6N2"},
		{0x43, "8N1+break"},
	}
	for _, c := range cases {
		m := uart16550.NewModel(uart16550.Options{})
		m.Write8(rLCR, c.lcr)
		assert.Equal(t, c.want, m.LineControl().String(), "LCR %#02x", c.lcr)
		assert.Equal(t, c.lcr, m.Read8(rLCR), "LCR reads back")
	}
}

func TestMCRAndScratch(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{})
	m.Write8(rMCR, 0xFF)
	assert.Equal(t, uint8(0x1F), m.Read8(rMCR), "MCR bits 5-7 read 0")
	m.Write8(rSCR, 0xA5)
	assert.Equal(t, uint8(0xA5), m.Read8(rSCR))
}

// THRE goes back to 1 as soon as THR moves into the shift register; TEMT
// stays 0 for exactly one character time.
func TestTHREAndTEMTTiming(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{CharTicks: 10})
	m.Write8(rLCR, 0x03)
	m.Write8(rTHR, 'x')
	clear := 0
	for {
		v := m.Read8(rLSR)
		require.NotZero(t, v&0x20, "THRE: the holding register emptied into the idle shifter")
		if v&0x40 != 0 {
			break
		}
		clear++
		require.Less(t, clear, 100)
	}
	assert.Equal(t, 10, clear, "TEMT is clear for one character time")
	assert.Equal(t, []byte{'x'}, m.Transmitted())

	// A second byte written while the first shifts out leaves THRE clear.
	m.Write8(rTHR, 1)
	m.Write8(rTHR, 2)
	assert.Zero(t, m.Read8(rLSR)&0x60, "THR holds byte 2 while byte 1 shifts")
	n := 0
	for m.Read8(rLSR)&0x20 == 0 {
		n++
	}
	assert.Equal(t, 8, n, "THR empties when byte 1 finishes (10 ticks after its load)")
	m.Drain()
	assert.Equal(t, []byte{'x', 1, 2}, m.Transmitted())
	assert.Empty(t, m.Violations())
}

func TestHoldingRegisterOverrunWithoutFIFO(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{CharTicks: 1000})
	m.Write8(rTHR, 1) // moves to the shift register on the next tick
	m.Write8(rTHR, 2) // holding register
	m.Write8(rTHR, 3) // overwrites 2
	require.Equal(t, []uart16550.ViolationKind{uart16550.THROverrun}, kinds(m.Violations()))
	m.Drain()
	assert.Equal(t, []byte{1, 3}, m.Transmitted(), "byte 2 was overwritten in THR")
}

func TestTXFIFODepth(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{CharTicks: 1000})
	m.Write8(rFCR, 0x07)
	assert.Equal(t, uint8(0xC1), m.Read8(rIIR), "FIFO bits 7:6 set")
	assert.True(t, m.FIFOEnabled())
	for i := range 17 { // 16 in the FIFO + 1 already in the shift register
		m.Write8(rTHR, byte(i))
	}
	assert.Empty(t, m.Violations())
	m.Write8(rTHR, 99)
	assert.Equal(t, []uart16550.ViolationKind{uart16550.THROverrun}, kinds(m.Violations()))
	m.Drain()
	want := make([]byte, 17)
	for i := range want {
		want[i] = byte(i)
	}
	assert.Equal(t, want, m.Transmitted(), "FIFO mode: the extra byte is lost, the FIFO kept")
}

func TestRXFIFODepthAndOverrun(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{})
	m.Write8(rFCR, 0x01)
	for i := range 16 {
		m.Inject(byte(i))
	}
	assert.Equal(t, uint8(0x61), m.Read8(rLSR), "DR, no overrun yet")
	m.Inject(100)
	assert.Equal(t, uint8(0x63), m.Read8(rLSR), "OE when the 17th arrives")
	assert.Equal(t, uint8(0x61), m.Read8(rLSR), "reading LSR clears OE")
	for i := range 16 {
		assert.Equal(t, byte(i), m.Read8(rRBR))
	}
	assert.Equal(t, uint8(0x60), m.Read8(rLSR), "FIFO empty, the 17th was never stored")
	assert.Equal(t, 1, m.Overruns())
	assert.Empty(t, m.Violations())
}

func TestOverrunWithoutFIFOOverwritesRBR(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{})
	m.Write8(rLCR, 0x03)
	m.Inject('a')
	m.Inject('b')
	assert.Equal(t, uint8(0x63), m.Read8(rLSR))
	assert.Equal(t, byte('b'), m.Read8(rRBR), "16450 mode: the new character replaces the unread one")
	assert.Equal(t, uint8(0x60), m.Read8(rLSR))
	assert.Equal(t, 1, m.Overruns())
}

func TestReadingEmptyRBRIsAViolation(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{})
	m.Write8(rLCR, 0x03)
	m.Inject('q')
	assert.Equal(t, byte('q'), m.Read8(rRBR))
	assert.Equal(t, byte('q'), m.Read8(rRBR), "stale value")
	assert.Equal(t, []uart16550.ViolationKind{uart16550.RBREmpty}, kinds(m.Violations()))
}

func TestWordLengthMasksData(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{})
	m.Write8(rLCR, dlab|0x1E)
	m.Write8(rDLL, 12)
	m.Write8(rDLM, 0)
	m.Write8(rLCR, 0x1E) // 7E2
	m.Write8(rTHR, 0xFF)
	m.Drain()
	f := m.TransmittedFrames()
	require.Len(t, f, 1)
	assert.Equal(t, uart16550.Frame{Data: 0x7F, Divisor: 12, Line: uart16550.LineControl{WordLength: 7, Parity: uart16550.ParityEven, Stop: uart16550.StopTwo}}, f[0])
	m.Inject(0xC1)
	assert.Equal(t, byte(0x41), m.Read8(rRBR), "received data is right-justified, unused bits 0")
}

func TestLoopback(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{CharTicks: 5})
	m.Write8(rLCR, 0x03)
	m.Write8(rFCR, 0x07)
	m.Write8(rMCR, 0x10) // LOOP, all outputs off
	assert.Equal(t, uint8(0x0B), m.Read8(rMSR), "the peer's CTS, DSR, DCD give way to the MCR outputs")
	m.Write8(rMCR, 0x10|0x01|0x02) // LOOP, DTR, RTS
	assert.Equal(t, uint8(0x30|0x03), m.Read8(rMSR), "RTS->CTS, DTR->DSR, with their deltas")
	assert.Equal(t, uint8(0x30), m.Read8(rMSR), "deltas clear on read")
	m.Write8(rMCR, 0x10|0x04|0x08) // OUT1, OUT2 only
	assert.Equal(t, uint8(0xC0|0x03|0x08), m.Read8(rMSR), "RI, DCD on; CTS, DSR deltas; DCD delta")
	m.Write8(rMCR, 0x10)
	assert.Equal(t, uint8(0x04|0x08), m.Read8(rMSR), "RI trailing edge sets TERI")

	for _, b := range []byte("loop") {
		m.Write8(rTHR, b)
	}
	m.Inject('X') // input pin disconnected in loopback
	m.Drain()
	assert.Empty(t, m.Transmitted(), "loopback output never reaches the line")
	assert.Equal(t, 1, m.LostInLoopback())
	var got []byte
	for m.Read8(rLSR)&0x01 != 0 {
		got = append(got, m.Read8(rRBR))
	}
	assert.Equal(t, []byte("loop"), got)
	assert.Len(t, m.LoopedBack(), 4)
	assert.Empty(t, m.Violations())
}

// Every interrupt source pending at once: IIR reports them in datasheet
// priority order, each cleared by its own action.
func TestIIRPriorities(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{})
	m.Write8(rLCR, 0x03)
	m.Write8(rFCR, 0x01) // FIFO, trigger 1
	m.Write8(rIER, 0x0F)
	m.InjectWithError('p', uart16550.ErrParity)
	m.SetModemLines(false, true, false, true) // CTS drops
	assert.True(t, m.IRQ())
	assert.Equal(t, uint8(0xC6), m.Read8(rIIR), "receiver line status first")
	assert.Equal(t, uint8(0xC6), m.Read8(rIIR), "reading IIR does not clear it")
	lsr := m.Read8(rLSR)
	assert.Equal(t, uint8(0x80|0x20|0x40|0x04|0x01), lsr, "RXFE, THRE, TEMT, PE, DR")
	assert.Equal(t, uint8(0xC4), m.Read8(rIIR), "received data next")
	assert.Equal(t, byte('p'), m.Read8(rRBR))
	assert.Equal(t, uint8(0xC2), m.Read8(rIIR), "THR empty next; the read clears it")
	assert.Equal(t, uint8(0xC0), m.Read8(rIIR), "modem status last")
	assert.Equal(t, uint8(0x01), m.Read8(rMSR)&0x0F, "DCTS")
	assert.Equal(t, uint8(0xC1), m.Read8(rIIR))
	assert.False(t, m.IRQ())
}

func TestTHREInterrupt(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{CharTicks: 4})
	m.Write8(rIER, 0x02)
	assert.Equal(t, uint8(0x02), m.Read8(rIIR), "enabling ETBEI with THR empty raises it")
	assert.Equal(t, uint8(0x01), m.Read8(rIIR), "IIR read cleared it")
	m.Write8(rTHR, 1)
	m.Write8(rTHR, 2) // THR full behind byte 1
	assert.False(t, m.IRQ(), "THR write clears it")
	require.NoError(t, m.WaitIRQ(context.Background()), "THR empties by itself")
	assert.Equal(t, uint8(0x02), m.Read8(rIIR))
	m.Write8(rIER, 0)
	m.Write8(rIER, 0x02)
	assert.Equal(t, uint8(0x02), m.Read8(rIIR), "re-enabling with THR empty raises it again")
}

func TestReceiveTriggerLevelAndCharacterTimeout(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{CharTicks: 10})
	m.Write8(rFCR, 0x41) // trigger level 4
	m.Write8(rIER, 0x01)
	for i := range 3 {
		m.Inject(byte(i))
	}
	assert.Equal(t, uint8(0xC1), m.Read8(rIIR), "below trigger level")
	m.Inject(3)
	assert.Equal(t, uint8(0xC4), m.Read8(rIIR), "trigger level reached")
	assert.Equal(t, byte(0), m.Read8(rRBR))
	assert.Equal(t, uint8(0xC1), m.Read8(rIIR), "below again, and the timer restarted")
	// The RBR read restarted the timer; this IIR read, the advance and the
	// next IIR read make 4 character times.
	m.Advance(4*10 - 2)
	assert.Equal(t, uint8(0xCC), m.Read8(rIIR), "four character times without FIFO activity")
	assert.Equal(t, byte(1), m.Read8(rRBR))
	assert.Equal(t, uint8(0xC1), m.Read8(rIIR), "reading RBR resets the timeout")

	// WaitIRQ lets the timeout expire without bus accesses.
	before := m.Accesses()
	require.NoError(t, m.WaitIRQ(context.Background()))
	assert.Equal(t, before, m.Accesses())
	assert.Equal(t, uint8(0xCC), m.Read8(rIIR))
}

func TestFIFOResetBits(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{CharTicks: 1000})
	m.Write8(rFCR, 0x01)
	m.Inject(1)
	m.Inject(2)
	m.Write8(rFCR, 0x03) // RCVR reset
	assert.Zero(t, m.Read8(rLSR)&0x01, "RX FIFO cleared")
	m.Write8(rTHR, 1)
	m.Write8(rTHR, 2)
	m.Write8(rTHR, 3)
	m.Write8(rFCR, 0x05) // XMIT reset: 2 and 3 discarded, 1 keeps shifting
	assert.Equal(t, uint8(0x20), m.Read8(rLSR)&0x60, "THRE but not TEMT")
	assert.Equal(t, []uart16550.ViolationKind{uart16550.TXDiscarded}, kinds(m.Violations()))
	m.Drain()
	assert.Equal(t, []byte{1}, m.Transmitted())
	assert.Equal(t, uint8(0xC1), m.Read8(rIIR), "reset bits self-clear, FIFOs stay enabled")

	// Without FCR.0 the other bits are not programmed.
	m2 := uart16550.NewModel(uart16550.Options{})
	m2.Write8(rFCR, 0xC0)
	assert.Equal(t, uint8(0x01), m2.Read8(rIIR))
	// Leaving FIFO mode empties the FIFOs.
	m.Inject(7)
	m.Write8(rFCR, 0x00)
	assert.Equal(t, uint8(0x01), m.Read8(rIIR))
	assert.Zero(t, m.Read8(rLSR)&0x01)
}

func TestErrorsSurfaceWithTheirCharacter(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{})
	m.Write8(rLCR, 0x03)
	m.Write8(rFCR, 0x01)
	m.Inject('g')
	m.InjectWithError('f', uart16550.ErrFraming)
	assert.Equal(t, uint8(0x80|0x60|0x01), m.Read8(rLSR), "RXFE set, FE not yet: the bad one is not at the top")
	assert.Equal(t, byte('g'), m.Read8(rRBR))
	assert.Equal(t, uint8(0x80|0x60|0x08|0x01), m.Read8(rLSR), "FE with its character at the top")
	assert.Equal(t, byte('f'), m.Read8(rRBR))
	assert.Equal(t, uint8(0x80|0x60), m.Read8(rLSR), "RXFE is still latched ...")
	assert.Equal(t, uint8(0x60), m.Read8(rLSR), "... and the LSR read cleared it: no damaged character remains")

	m.InjectBreak()
	assert.Equal(t, uint8(0x80|0x60|0x10|0x08|0x01), m.Read8(rLSR))
	assert.Equal(t, byte(0), m.Read8(rRBR), "a break loads one zero character")
}

func TestDivisorAndFramingChangesInFlight(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{CharTicks: 50})
	m.Write8(rLCR, dlab|0x03)
	m.Write8(rDLL, 1)
	m.Write8(rDLM, 0)
	m.Write8(rLCR, 0x03)
	m.Write8(rTHR, 'a')
	m.Write8(rLCR, dlab|0x03) // DLAB alone is harmless
	m.Write8(rDLL, 1)         // same value: harmless
	assert.Empty(t, m.Violations())
	m.Write8(rDLL, 2)
	m.Write8(rLCR, 0x1A)
	assert.Equal(t, []uart16550.ViolationKind{uart16550.DivisorInFlight, uart16550.FramingInFlight}, kinds(m.Violations()))
	m.Drain()
	f := m.TransmittedFrames()
	require.Len(t, f, 1)
	assert.Equal(t, uint16(1), f[0].Divisor, "settings are those in force when the character started")

	m.Write8(rDLL, 3) // idle now: fine
	assert.Len(t, m.Violations(), 2)
}

func TestZeroDivisorAndBadAccesses(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{})
	m.Write8(rLCR, dlab)
	m.Write8(rDLL, 0)
	m.Write8(rDLM, 0)
	m.Write8(rLCR, 0x03)
	m.Write8(rTHR, 'z')
	m.Drain()
	assert.Equal(t, uint16(0xFFFF), m.Read16(rRBR))
	m.Write32(rTHR, 1)
	assert.Equal(t, uint8(0xFF), m.Read8(8))
	m.Write8(rLSR, 0)
	m.WriteStream(rTHR, 2, []byte{1, 2})
	assert.Equal(t, []uart16550.ViolationKind{
		uart16550.ZeroDivisor, uart16550.BadWidth, uart16550.BadWidth,
		uart16550.BadOffset, uart16550.ReadOnlyWrite, uart16550.BadWidth,
	}, kinds(m.Violations()))
	assert.Equal(t, 0.0, m.Baud())
}

func TestByteStreamsAreRepeatedRegisterAccesses(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{CharTicks: 1})
	m.Write8(rLCR, 0x03)
	m.Write8(rFCR, 0x07)
	before := m.Accesses()
	m.WriteStream(rTHR, 1, []byte("hello"))
	assert.Equal(t, before+5, m.Accesses())
	m.Drain()
	assert.Equal(t, []byte("hello"), m.Transmitted())
	m.Inject('h')
	m.Inject('i')
	buf := make([]byte, 2)
	m.ReadStream(rRBR, 1, buf)
	assert.Equal(t, []byte("hi"), buf)
	_, writes := m.AccessCounts()
	assert.Equal(t, uint64(5), writes[rTHR])
}

func TestFeedArrivesAtLineRate(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{CharTicks: 10})
	m.Write8(rLCR, 0x03)
	m.Write8(rFCR, 0x01)
	m.Feed('a', 'b', 'c')
	m.Advance(8)
	assert.Zero(t, m.Read8(rLSR)&0x01, "9 ticks: the first character takes a full character time")
	assert.Equal(t, uint8(0x01), m.Read8(rLSR)&0x01, "10 ticks: here it is")
	m.Advance(8)
	assert.Equal(t, byte('a'), m.Read8(rRBR))
	m.Advance(30)
	assert.Equal(t, byte('b'), m.Read8(rRBR))
	assert.Equal(t, byte('c'), m.Read8(rRBR))
	assert.Empty(t, m.Violations())
}

func TestJitterIsSeeded(t *testing.T) {
	run := func(seed uint64) []int {
		m := uart16550.NewModel(uart16550.Options{Seed: seed, CharTicks: 5, Jitter: 5})
		var times []int
		for range 20 {
			m.Write8(rTHR, 0)
			times = append(times, m.Drain())
		}
		return times
	}
	a := run(3)
	assert.Equal(t, a, run(3))
	assert.NotEqual(t, a, run(4))
	for _, n := range a {
		assert.GreaterOrEqual(t, n, 5)
		assert.LessOrEqual(t, n, 11) // 5+5 ticks plus the load tick
	}
}

func TestNo16550FIFOsIn16450Mode(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{NoFIFO: true, CharTicks: 1000})
	m.Write8(rFCR, 0x07)
	assert.Equal(t, uint8(0x01), m.Read8(rIIR), "a 16450 ignores FCR")
	m.Write8(rTHR, 1)
	m.Write8(rTHR, 2)
	m.Write8(rTHR, 3)
	assert.Equal(t, []uart16550.ViolationKind{uart16550.THROverrun}, kinds(m.Violations()))
}

func TestWaitIRQHonoursContext(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{})
	m.Write8(rIER, 0x01)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := m.WaitIRQ(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)

	// An input from another goroutine wakes a sleeping waiter.
	done := make(chan error, 1)
	go func() { done <- m.WaitIRQ(context.Background()) }()
	time.Sleep(5 * time.Millisecond)
	m.Inject('w')
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("WaitIRQ did not wake on input")
	}
}

func TestTraceNamerFollowsDLAB(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{})
	b, tr := trace.New(m)
	b.Write8(rLCR, dlab|3)
	b.Write8(rDLL, 1)
	b.Write8(rDLM, 0)
	b.Write8(rLCR, 3)
	b.Write8(rFCR, 7)
	b.Read8(rIIR)
	b.Write8(rTHR, 'A')
	b.Read8(rLSR)
	out := tr.Format(uart16550.TraceNamer())
	assert.Equal(t, ""+
		"   0 W  LCR        <- 0x83\n"+
		"   1 W  DLL        <- 0x01\n"+
		"   2 W  DLM        <- 0x00\n"+
		"   3 W  LCR        <- 0x03\n"+
		"   4 W  FCR        <- 0x07\n"+
		"   5 R  IIR        -> 0xc1\n"+
		"   6 W  THR        <- 0x41\n"+
		"   7 R  LSR        -> 0x20\n", out)
}
