// Package pl011 holds the independent check of the ARM PL011 UART: a
// reference model written from the PL011 Technical Reference Manual (this
// file) and a hand-written baseline driver (handwritten.go).
//
// The model is NOT derived from pl011.dev; it exists to catch mistakes in
// that spec and in drivers. From the TRM it takes the register map and bit
// assignments, the 16-entry (r1p5: 32-entry) FIFOs that shrink to one
// character with LCR_H.FEN clear, the fractional baud divisor and its latch
// (IBRD and FBRD reach the baud generator only with the next LCR_H write),
// the BUSY flag (set while the transmit FIFO holds data or the shift
// register is sending), the rule that a disabled UART finishes the
// character it is sending and then stops, and the rule that LCR_H, IBRD,
// FBRD and CR must not be changed while the UART is enabled or sending.
//
// Time: every bus access is one tick; a character occupies the shift
// register for Options.CharTicks ticks. Advance and Drain let time pass
// without accesses.
package pl011

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Register offsets (TRM register summary). The model keeps its own
// constants, separate from the baseline driver's.
const (
	offDR      = 0x000
	offRSR     = 0x004 // read: receive status; write: error clear (ECR)
	offFR      = 0x018
	offILPR    = 0x020
	offIBRD    = 0x024
	offFBRD    = 0x028
	offLCRH    = 0x02C
	offCR      = 0x030
	offIFLS    = 0x034
	offIMSC    = 0x038
	offRIS     = 0x03C
	offMIS     = 0x040
	offICR     = 0x044
	offDMACR   = 0x048
	offPeriph0 = 0xFE0 // PeriphID0-3, then PCellID0-3 at 0xFF0
	regSpace   = 0x1000
)

// Bits.
const (
	drFE = 1 << 8
	drPE = 1 << 9
	drBE = 1 << 10
	drOE = 1 << 11

	rsrFE = 1 << 0
	rsrPE = 1 << 1
	rsrBE = 1 << 2
	rsrOE = 1 << 3

	frCTS  = 1 << 0
	frDSR  = 1 << 1
	frDCD  = 1 << 2
	frBUSY = 1 << 3
	frRXFE = 1 << 4
	frTXFF = 1 << 5
	frRXFF = 1 << 6
	frTXFE = 1 << 7
	frRI   = 1 << 8

	lcrBRK  = 1 << 0
	lcrPEN  = 1 << 1
	lcrEPS  = 1 << 2
	lcrSTP2 = 1 << 3
	lcrFEN  = 1 << 4
	lcrWLEN = 3 << 5
	lcrSPS  = 1 << 7

	crUARTEN = 1 << 0
	crSIREN  = 1 << 1
	crSIRLP  = 1 << 2
	crLBE    = 1 << 7
	crTXE    = 1 << 8
	crRXE    = 1 << 9
	crMask   = 0xFF87 // bits 6:3 are reserved
	crReset  = crTXE | crRXE

	intRX   = 1 << 4
	intTX   = 1 << 5
	intRT   = 1 << 6
	intFE   = 1 << 7
	intPE   = 1 << 8
	intBE   = 1 << 9
	intOE   = 1 << 10
	intMask = 0x7FF

	iflsReset = 0x12 // both FIFOs at half full
)

// peripheral and PrimeCell identification (PeriphID0-3, PCellID0-3): part
// 0x011, designer Arm (0x41), revision 3 (r1p5).
var idRegs = [8]uint32{0x11, 0x10, 0x34, 0x00, 0x0D, 0xF0, 0x05, 0xB1}

// Parity is the parity scheme LCR_H selects.
type Parity uint8

const (
	ParityNone  Parity = iota // PEN = 0
	ParityOdd                 // PEN
	ParityEven                // PEN, EPS
	ParityMark                // PEN, SPS: the parity bit is always 1
	ParitySpace               // PEN, SPS, EPS: always 0
)

func (p Parity) String() string { return [...]string{"N", "O", "E", "M", "S"}[p] }

// LineControl is the framing decoded from LCR_H.
type LineControl struct {
	WordLength int // 5..8
	Parity     Parity
	TwoStop    bool
	Break      bool
}

// String gives the usual shorthand, e.g. "8N1", "7E2".
func (l LineControl) String() string {
	stop := 1
	if l.TwoStop {
		stop = 2
	}
	s := fmt.Sprintf("%d%v%d", l.WordLength, l.Parity, stop)
	if l.Break {
		s += "+break"
	}
	return s
}

func decodeLCRH(v uint32) LineControl {
	l := LineControl{WordLength: 5 + int(v&lcrWLEN>>5), TwoStop: v&lcrSTP2 != 0, Break: v&lcrBRK != 0}
	switch {
	case v&lcrPEN == 0:
		l.Parity = ParityNone
	case v&lcrSPS != 0 && v&lcrEPS != 0:
		l.Parity = ParitySpace
	case v&lcrSPS != 0:
		l.Parity = ParityMark
	case v&lcrEPS != 0:
		l.Parity = ParityEven
	default:
		l.Parity = ParityOdd
	}
	return l
}

// Divisor is the baud divisor: Int + Frac/64 (IBRD, FBRD).
type Divisor struct {
	Int  uint16
	Frac uint8
}

// Valid reports whether the baud generator can run at this divisor: the
// TRM's minimum is 1 (IBRD 1, FBRD 0), and at IBRD 0xFFFF FBRD must be 0.
func (d Divisor) Valid() bool { return d.Int != 0 && (d.Int != 0xFFFF || d.Frac == 0) }

// Frame is one character that left the shift register, with the settings
// it was sent with.
type Frame struct {
	Data    byte // masked to the word length
	Divisor Divisor
	Line    LineControl
}

// ViolationKind classifies a driver mistake the chip does not report.
type ViolationKind uint8

const (
	// TXOverflow: DR written with the transmit FIFO full; the byte is lost.
	TXOverflow ViolationKind = iota
	// RXEmpty: DR read with the receive FIFO empty; the value is stale.
	RXEmpty
	// ReprogramEnabled: LCR_H, IBRD or FBRD written, or CR's TXE/RXE/LBE/
	// SIREN changed, while the UART was enabled.
	ReprogramEnabled
	// ReprogramBusy: LCR_H, IBRD or FBRD written while a character was
	// waiting or being sent.
	ReprogramBusy
	// InvalidDivisor: a character started with a divisor the generator
	// cannot run at (IBRD 0, or 0xFFFF with FBRD not 0).
	InvalidDivisor
	// BadWidth: an 8- or 16-bit access; the registers are 32 bits.
	BadWidth
	// BadOffset: an access to a reserved or unaligned offset, or a write to
	// a read-only register.
	BadOffset
)

var violationNames = [...]string{
	"TX FIFO overflow", "RX FIFO empty", "reprogrammed while enabled", "reprogrammed while busy",
	"invalid divisor", "bad access width", "bad offset",
}

func (k ViolationKind) String() string {
	if int(k) < len(violationNames) {
		return violationNames[k]
	}
	return fmt.Sprintf("ViolationKind(%d)", k)
}

// Violation is one recorded driver mistake.
type Violation struct {
	Tick uint64
	Kind ViolationKind
	Msg  string
}

func (v Violation) String() string { return fmt.Sprintf("t=%d %v: %s", v.Tick, v.Kind, v.Msg) }

// Options configure a model. The zero value is a usable default.
type Options struct {
	// ClockHz is UARTCLK. Default 24 MHz.
	ClockHz uint32
	// FIFODepth is 16 (r1p3) or 32 (r1p5). Default 16.
	FIFODepth int
	// CharTicks is the time a character takes on the line, in ticks.
	// Default 10; minimum 1.
	CharTicks int
}

type rxChar struct {
	data byte
	err  uint32 // drFE|drPE|drBE|drOE
}

// Model is a PL011 reference model. It implements bus.Bus (32-bit
// accesses at the TRM's byte offsets) and bus.Interrupts (UARTINTR). It
// is safe for concurrent use.
type Model struct {
	mu  sync.Mutex
	opt Options

	// Programmer-visible registers as last written.
	ibrd, fbrd, lcrh, cr, ifls, imsc, ilpr, dmacr uint32
	// The baud generator's divisor, latched by the LCR_H write.
	gen Divisor

	txq      []byte
	tsrBusy  bool
	tsrLeft  int
	tsrFrame Frame

	rxq       []rxChar
	rsr       uint32 // FE/PE/BE/OE of the last character read, and OE when it happens
	overrunOn bool   // the next character stored carries OE
	ris       uint32
	rxLast    byte

	now        uint64
	accesses   uint64
	tx         []Frame
	violations []Violation
	overruns   int
	wake       chan struct{}
}

// NewModel returns a model in its reset state: UART disabled, TXE and RXE
// set, FIFOs off, divisor 0.
func NewModel(opt Options) *Model {
	if opt.ClockHz == 0 {
		opt.ClockHz = 24_000_000
	}
	if opt.FIFODepth == 0 {
		opt.FIFODepth = 16
	}
	if opt.CharTicks < 1 {
		opt.CharTicks = 10
	}
	return &Model{opt: opt, cr: crReset, ifls: iflsReset}
}

func (m *Model) violate(k ViolationKind, format string, args ...any) {
	m.violations = append(m.violations, Violation{Tick: m.now, Kind: k, Msg: fmt.Sprintf(format, args...)})
}

func (m *Model) enabled() bool   { return m.cr&crUARTEN != 0 }
func (m *Model) txEnabled() bool { return m.enabled() && m.cr&crTXE != 0 }
func (m *Model) rxEnabled() bool { return m.enabled() && m.cr&crRXE != 0 }
func (m *Model) busy() bool      { return m.tsrBusy || len(m.txq) > 0 }

func (m *Model) depth() int {
	if m.lcrh&lcrFEN != 0 {
		return m.opt.FIFODepth
	}
	return 1
}

// ---- time ----

func (m *Model) tick() {
	m.now++
	if m.tsrBusy {
		m.tsrLeft--
		if m.tsrLeft <= 0 {
			m.tsrBusy = false
			f := m.tsrFrame
			if m.cr&crLBE != 0 {
				m.receive(rxChar{data: f.Data})
			} else {
				m.tx = append(m.tx, f)
			}
		}
	}
	// A disabled UART finishes the character it is sending, then stops:
	// the FIFO keeps the rest.
	if !m.tsrBusy && len(m.txq) > 0 && m.txEnabled() {
		b := m.txq[0]
		m.txq = m.txq[:copy(m.txq, m.txq[1:])]
		if !m.gen.Valid() {
			m.violate(InvalidDivisor, "character %#02x sent with divisor %d+%d/64", b, m.gen.Int, m.gen.Frac)
		}
		l := decodeLCRH(m.lcrh)
		m.tsrFrame = Frame{Data: b & byte(1<<l.WordLength-1), Divisor: m.gen, Line: l}
		m.tsrBusy = true
		m.tsrLeft = m.opt.CharTicks
	}
	m.updateRIS()
}

// triggerLevel is the FIFO fill an IFLS field selects (1/8 .. 7/8).
func (m *Model) triggerLevel(sel uint32) int {
	eighths := [8]int{1, 2, 4, 6, 7, 7, 7, 7}[sel&7]
	return m.opt.FIFODepth * eighths / 8
}

// updateRIS recomputes the level-sensitive raw interrupts: receive at or
// above its trigger level (any character with FIFOs off), transmit at or
// below its level (empty holding register with FIFOs off). The receive
// timeout is not modelled.
func (m *Model) updateRIS() {
	m.ris &^= intRX | intTX
	rxLevel, txLevel := 1, 0
	if m.lcrh&lcrFEN != 0 {
		rxLevel = m.triggerLevel(m.ifls >> 3)
		txLevel = m.triggerLevel(m.ifls)
	}
	if len(m.rxq) >= rxLevel && len(m.rxq) > 0 {
		m.ris |= intRX
	}
	if len(m.txq) <= txLevel {
		m.ris |= intTX
	}
}

func (m *Model) receive(c rxChar) {
	if !m.rxEnabled() {
		return
	}
	c.data &= byte(1<<decodeLCRH(m.lcrh).WordLength - 1)
	if len(m.rxq) >= m.depth() {
		// The FIFO keeps its contents; the character in the shift register
		// is lost, and the next one stored is marked.
		m.overruns++
		m.rsr |= rsrOE
		m.ris |= intOE
		m.overrunOn = true
		return
	}
	if m.overrunOn {
		c.err |= drOE
		m.overrunOn = false
	}
	m.rxq = append(m.rxq, c)
	if c.err&drFE != 0 {
		m.ris |= intFE
	}
	if c.err&drPE != 0 {
		m.ris |= intPE
	}
	if c.err&drBE != 0 {
		m.ris |= intBE
	}
	m.updateRIS()
}

// ---- interrupts ----

// IRQ reports UARTINTR: any masked interrupt.
func (m *Model) IRQ() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ris&m.imsc != 0
}

// WaitIRQ implements bus.Interrupts: time passes until UARTINTR rises or
// ctx ends; with nothing able to change by itself it sleeps until an input
// arrives.
func (m *Model) WaitIRQ(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		m.mu.Lock()
		if m.ris&m.imsc != 0 {
			m.mu.Unlock()
			return nil
		}
		if m.tsrBusy || (len(m.txq) > 0 && m.txEnabled()) {
			m.tick()
			m.mu.Unlock()
			continue
		}
		if m.wake == nil {
			m.wake = make(chan struct{})
		}
		w := m.wake
		m.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w:
		}
	}
}

func (m *Model) kick() {
	if m.wake != nil {
		close(m.wake)
		m.wake = nil
	}
}

// ---- bus.Bus ----

// Read32 implements bus.Bus.
func (m *Model) Read32(off uint32) uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.accesses++
	m.tick()
	m.kick()
	return m.read(off)
}

// Write32 implements bus.Bus.
func (m *Model) Write32(off uint32, v uint32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.accesses++
	m.tick()
	m.kick()
	m.write(off, v)
}

func (m *Model) badWidth(off uint32, width int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.accesses++
	m.tick()
	m.violate(BadWidth, "%d-bit access at offset %#x", width, off)
}

// Read8 implements bus.Bus; the PL011's registers are 32 bits, so a
// narrower access is recorded as a violation.
func (m *Model) Read8(off uint32) uint8 { m.badWidth(off, 8); return 0 }

// Read16 implements bus.Bus (violation, see Read8).
func (m *Model) Read16(off uint32) uint16 { m.badWidth(off, 16); return 0 }

// Write8 implements bus.Bus (violation, no effect).
func (m *Model) Write8(off uint32, v uint8) { m.badWidth(off, 8) }

// Write16 implements bus.Bus (violation, no effect).
func (m *Model) Write16(off uint32, v uint16) { m.badWidth(off, 16) }

// ReadStream implements bus.Bus as repeated 32-bit reads of DR.
func (m *Model) ReadStream(off uint32, width int, buf []byte) {
	if width != 4 {
		m.badWidth(off, 8*width)
		return
	}
	for i := range buf {
		buf[i] = byte(m.Read32(off))
	}
}

// WriteStream implements bus.Bus as repeated 32-bit writes of DR.
func (m *Model) WriteStream(off uint32, width int, buf []byte) {
	if width != 4 {
		m.badWidth(off, 8*width)
		return
	}
	for _, b := range buf {
		m.Write32(off, uint32(b))
	}
}

func (m *Model) fr() uint32 {
	// No modem peer: CTS, DSR, DCD and RI read as deasserted.
	var v uint32
	if m.busy() {
		v |= frBUSY
	}
	if len(m.rxq) == 0 {
		v |= frRXFE
	}
	if len(m.rxq) >= m.depth() {
		v |= frRXFF
	}
	if len(m.txq) >= m.depth() {
		v |= frTXFF
	}
	if len(m.txq) == 0 {
		v |= frTXFE
	}
	return v
}

func (m *Model) read(off uint32) uint32 {
	switch off {
	case offDR:
		if len(m.rxq) == 0 {
			m.violate(RXEmpty, "DR read with the receive FIFO empty")
			return uint32(m.rxLast)
		}
		c := m.rxq[0]
		m.rxq = m.rxq[:copy(m.rxq, m.rxq[1:])]
		m.rxLast = c.data
		// RSR shows the errors of the character just read (and OE).
		m.rsr = m.rsr&rsrOE | c.err>>8&(rsrFE|rsrPE|rsrBE)
		m.updateRIS()
		return uint32(c.data) | c.err
	case offRSR:
		return m.rsr
	case offFR:
		return m.fr()
	case offILPR:
		return m.ilpr
	case offIBRD:
		return m.ibrd
	case offFBRD:
		return m.fbrd
	case offLCRH:
		return m.lcrh
	case offCR:
		return m.cr
	case offIFLS:
		return m.ifls
	case offIMSC:
		return m.imsc
	case offRIS:
		return m.ris
	case offMIS:
		return m.ris & m.imsc
	case offDMACR:
		return m.dmacr
	}
	if off >= offPeriph0 && off < regSpace && off%4 == 0 {
		return idRegs[(off-offPeriph0)/4]
	}
	m.violate(BadOffset, "read at offset %#x", off)
	return 0
}

// reprogram checks the TRM's rule for LCR_H, IBRD and FBRD.
func (m *Model) reprogram(name string) {
	if m.enabled() {
		m.violate(ReprogramEnabled, "%s written while the UART is enabled", name)
	}
	if m.busy() {
		m.violate(ReprogramBusy, "%s written while sending (%d characters waiting, shift register busy: %v)", name, len(m.txq), m.tsrBusy)
	}
}

func (m *Model) write(off uint32, v uint32) {
	switch off {
	case offDR:
		if len(m.txq) >= m.depth() {
			m.violate(TXOverflow, "DR written with the transmit FIFO full: %#02x lost", byte(v))
			return
		}
		m.txq = append(m.txq, byte(v))
		m.updateRIS()
	case offRSR: // ECR: any write clears the error flags
		m.rsr = 0
	case offILPR:
		m.ilpr = v & 0xFF
	case offIBRD:
		m.reprogram("IBRD")
		m.ibrd = v & 0xFFFF
	case offFBRD:
		m.reprogram("FBRD")
		m.fbrd = v & 0x3F
	case offLCRH:
		m.reprogram("LCR_H")
		if m.lcrh&lcrFEN != 0 && v&lcrFEN == 0 {
			// Turning the FIFOs off flushes the transmit FIFO down to
			// its one-character holding register.
			if len(m.txq) > 1 {
				m.txq = m.txq[:1]
			}
			if len(m.rxq) > 1 {
				m.rxq = m.rxq[:1]
			}
		}
		m.lcrh = v & 0xFF
		// The 30-bit line control register is updated as a whole.
		m.gen = Divisor{Int: uint16(m.ibrd), Frac: uint8(m.fbrd)}
		m.updateRIS()
	case offCR:
		v &= crMask
		const others = crTXE | crRXE | crLBE | crSIREN | crSIRLP
		if m.enabled() && v&crUARTEN != 0 && (v^m.cr)&others != 0 {
			m.violate(ReprogramEnabled, "CR %#04x -> %#04x while the UART is enabled", m.cr, v)
		}
		m.cr = v
	case offIFLS:
		m.ifls = v & 0x3F
		m.updateRIS()
	case offIMSC:
		m.imsc = v & intMask
	case offICR:
		m.ris &^= v & intMask
		m.updateRIS()
	case offDMACR:
		m.dmacr = v & 0x7
	default:
		m.violate(BadOffset, "write %#x to offset %#x", v, off)
	}
}

// ---- test API ----

// Inject delivers a character that has just been received on the line.
func (m *Model) Inject(b byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cr&crLBE == 0 {
		m.receive(rxChar{data: b})
	}
	m.kick()
}

// InjectWithErrors delivers a damaged character: any of framing, parity
// and break.
func (m *Model) InjectWithErrors(b byte, framing, parity, brk bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := rxChar{data: b}
	if framing {
		c.err |= drFE
	}
	if parity {
		c.err |= drPE
	}
	if brk {
		c.data, c.err = 0, c.err|drBE
	}
	m.receive(c)
	m.kick()
}

// Advance lets n ticks pass without bus accesses.
func (m *Model) Advance(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for range n {
		m.tick()
	}
}

// Drain lets time pass until the transmitter is idle or can make no more
// progress (disabled with characters left), and returns the ticks taken.
func (m *Model) Drain() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for m.tsrBusy || (len(m.txq) > 0 && m.txEnabled()) {
		m.tick()
		n++
	}
	return n
}

// Transmitted returns the data of every character sent on the line.
func (m *Model) Transmitted() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]byte, len(m.tx))
	for i, f := range m.tx {
		out[i] = f.Data
	}
	return out
}

// Frames returns every character sent, with the divisor and framing it
// was sent with.
func (m *Model) Frames() []Frame {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.tx)
}

// Generator returns the divisor the baud generator runs at (latched by the
// last LCR_H write), not what IBRD and FBRD hold.
func (m *Model) Generator() Divisor {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gen
}

// Baud returns the line rate the latched divisor gives (0 if invalid).
func (m *Model) Baud() float64 {
	d := m.Generator()
	if !d.Valid() {
		return 0
	}
	return float64(m.opt.ClockHz) / (16 * (float64(d.Int) + float64(d.Frac)/64))
}

// LineControl returns the framing LCR_H selects.
func (m *Model) LineControl() LineControl {
	m.mu.Lock()
	defer m.mu.Unlock()
	return decodeLCRH(m.lcrh)
}

// Enabled reports CR.UARTEN, TXE and RXE all set.
func (m *Model) Enabled() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.txEnabled() && m.rxEnabled()
}

// FIFOEnabled reports LCR_H.FEN.
func (m *Model) FIFOEnabled() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lcrh&lcrFEN != 0
}

// InterruptMask returns IMSC.
func (m *Model) InterruptMask() uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.imsc
}

// Violations returns the recorded driver mistakes, in order.
func (m *Model) Violations() []Violation {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.violations)
}

// Overruns is the number of received characters lost to a full FIFO.
func (m *Model) Overruns() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.overruns
}

// Accesses is the number of bus accesses so far.
func (m *Model) Accesses() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.accesses
}
