// Package uart16550 holds the independent check of the 16550 UART: a
// reference model written from the PC16550D datasheet (this file) and a
// hand-written baseline driver (handwritten.go).
//
// The model is deliberately NOT derived from uart16550.dev: it exists to catch
// mistakes in that spec. Everything here comes from the datasheet's register
// descriptions (register map and DLAB banking, IER/IIR/FCR/LCR/MCR/LSR/MSR bit
// assignments, interrupt priorities, FIFO operation, loopback wiring).
//
// Time. A real UART shifts a character out in ~10 bit times; a driver that
// polls LSR sees THRE/TEMT stay clear for a while. The model has no clock of
// its own: every bus access is one tick, and a character occupies the
// transmit shift register for Options.CharTicks (+ a seeded jitter) ticks.
// So a poll loop really loops, deterministically for a given seed. Advance
// lets a test let time pass without bus accesses; WaitIRQ lets time pass
// while the driver sleeps on the interrupt line.
package uart16550

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/drvsynth/drvsynth/os-interface/bus/trace"
)

// Register offsets (datasheet register map). Offsets 0 and 1 are banked by
// LCR.DLAB; offset 2 is IIR when read and FCR when written. The model keeps
// its own constants, separate from the hand-written driver's, so a typo in
// one cannot hide behind the same typo in the other.
const (
	offRBR = 0 // DLAB=0 read: receiver buffer
	offTHR = 0 // DLAB=0 write: transmitter holding
	offDLL = 0 // DLAB=1: divisor latch, low byte
	offIER = 1 // DLAB=0: interrupt enable
	offDLM = 1 // DLAB=1: divisor latch, high byte
	offIIR = 2 // read: interrupt identification
	offFCR = 2 // write: FIFO control
	offLCR = 3
	offMCR = 4
	offLSR = 5
	offMSR = 6
	offSCR = 7
	nRegs  = 8
)

// Register bits.
const (
	ierERBFI = 0x01 // received data available interrupt
	ierETBEI = 0x02 // THR empty interrupt
	ierELSI  = 0x04 // receiver line status interrupt
	ierEDSSI = 0x08 // modem status interrupt
	ierMask  = 0x0F // bits 4-7 are always 0

	iirNoPending = 0x01
	iirRLS       = 0x06 // priority 1: OE/PE/FE/BI
	iirRDA       = 0x04 // priority 2: received data available / trigger level
	iirCTI       = 0x0C // priority 2: character timeout (FIFO mode only)
	iirTHRE      = 0x02 // priority 3
	iirMS        = 0x00 // priority 4
	iirFIFOs     = 0xC0 // both set when FCR.0 = 1

	fcrFIFOE  = 0x01
	fcrRXRST  = 0x02 // self-clearing
	fcrTXRST  = 0x04 // self-clearing
	fcrDMA    = 0x08
	fcrTrig   = 0xC0
	fcrStored = fcrFIFOE | fcrDMA | fcrTrig

	lcrWLS   = 0x03
	lcrSTB   = 0x04
	lcrPEN   = 0x08
	lcrEPS   = 0x10
	lcrStick = 0x20
	lcrBC    = 0x40
	lcrDLAB  = 0x80
	// The bits that change what goes on the wire (framing); DLAB and BC are
	// not framing.
	lcrFraming = lcrWLS | lcrSTB | lcrPEN | lcrEPS | lcrStick

	mcrDTR  = 0x01
	mcrRTS  = 0x02
	mcrOUT1 = 0x04
	mcrOUT2 = 0x08
	mcrLOOP = 0x10
	mcrMask = 0x1F // bits 5-7 are always 0

	lsrDR   = 0x01
	lsrOE   = 0x02
	lsrPE   = 0x04
	lsrFE   = 0x08
	lsrBI   = 0x10
	lsrTHRE = 0x20
	lsrTEMT = 0x40
	lsrRXFE = 0x80 // error in RCVR FIFO (FIFO mode only)
	lsrErrs = lsrOE | lsrPE | lsrFE | lsrBI

	msrDCTS = 0x01
	msrDDSR = 0x02
	msrTERI = 0x04
	msrDDCD = 0x08
	msrCTS  = 0x10
	msrDSR  = 0x20
	msrRI   = 0x40
	msrDCD  = 0x80

	fifoDepth = 16
)

// rxTrigger is the receive FIFO trigger level selected by FCR bits 7:6.
var rxTrigger = [4]int{1, 4, 8, 14}

// Parity is the parity scheme LCR selects.
type Parity uint8

const (
	ParityNone  Parity = iota // PEN = 0
	ParityOdd                 // PEN, EPS = 0
	ParityEven                // PEN, EPS = 1
	ParityMark                // PEN, stick, EPS = 0: parity bit always 1
	ParitySpace               // PEN, stick, EPS = 1: parity bit always 0
)

func (p Parity) String() string { return [...]string{"N", "O", "E", "M", "S"}[p] }

// StopBits is the number of stop bits LCR selects.
type StopBits uint8

const (
	StopOne        StopBits = iota // STB = 0
	StopOneAndHalf                 // STB = 1 with 5-bit words
	StopTwo                        // STB = 1 with 6-, 7- or 8-bit words
)

func (s StopBits) String() string { return [...]string{"1", "1.5", "2"}[s] }

// LineControl is the framing decoded from LCR.
type LineControl struct {
	WordLength int // 5..8 data bits
	Parity     Parity
	Stop       StopBits
	Break      bool // LCR.BC: the output is forced to spacing
}

// String gives the usual shorthand, e.g. "8N1", "7E2", "5N1.5".
func (l LineControl) String() string {
	s := fmt.Sprintf("%d%v%v", l.WordLength, l.Parity, l.Stop)
	if l.Break {
		s += "+break"
	}
	return s
}

func decodeLCR(lcr uint8) LineControl {
	l := LineControl{WordLength: 5 + int(lcr&lcrWLS), Break: lcr&lcrBC != 0}
	switch {
	case lcr&lcrPEN == 0:
		l.Parity = ParityNone
	case lcr&lcrStick != 0 && lcr&lcrEPS != 0:
		l.Parity = ParitySpace
	case lcr&lcrStick != 0:
		l.Parity = ParityMark
	case lcr&lcrEPS != 0:
		l.Parity = ParityEven
	default:
		l.Parity = ParityOdd
	}
	switch {
	case lcr&lcrSTB == 0:
		l.Stop = StopOne
	case l.WordLength == 5:
		l.Stop = StopOneAndHalf
	default:
		l.Stop = StopTwo
	}
	return l
}

// Frame is one character that left the transmit shift register onto the
// line, with the settings in force when it started shifting out.
type Frame struct {
	// Data is what the line carried: the written byte masked to the word
	// length (a 7-bit line never sends bit 7).
	Data    byte
	Divisor uint16
	Line    LineControl
}

// LineError marks a received character as damaged on the line.
type LineError uint8

const (
	ErrParity  LineError = 1 << iota // parity bit wrong
	ErrFraming                       // stop bit missing
)

// ViolationKind classifies a driver mistake the chip would not report.
type ViolationKind uint8

const (
	// THROverrun: THR (or the full TX FIFO) written before there was room;
	// a byte is lost.
	THROverrun ViolationKind = iota
	// RBREmpty: RBR read with no character received; the value is stale.
	RBREmpty
	// DivisorInFlight: the divisor latch changed while characters were
	// waiting or shifting out; they go out at a mix of rates.
	DivisorInFlight
	// FramingInFlight: word length, parity or stop bits changed while
	// characters were waiting or shifting out.
	FramingInFlight
	// ZeroDivisor: a character started shifting out with divisor 0 (the
	// baud generator is not running at any defined rate).
	ZeroDivisor
	// TXDiscarded: a FIFO reset or a FIFO enable/disable threw away
	// characters the driver had handed to the transmitter.
	TXDiscarded
	// ReadOnlyWrite: a write to LSR or MSR (factory test registers).
	ReadOnlyWrite
	// BadWidth: a 16- or 32-bit access to this 8-bit device.
	BadWidth
	// BadOffset: an access beyond the eight registers.
	BadOffset
)

var violationNames = [...]string{
	"THR overrun", "RBR empty", "divisor changed in flight", "framing changed in flight",
	"zero divisor", "TX discarded", "write to read-only register", "bad access width", "bad offset",
}

func (k ViolationKind) String() string {
	if int(k) < len(violationNames) {
		return violationNames[k]
	}
	return fmt.Sprintf("ViolationKind(%d)", k)
}

// Violation is one recorded driver mistake.
type Violation struct {
	Tick uint64 // model time when it happened
	Kind ViolationKind
	Msg  string
}

func (v Violation) String() string { return fmt.Sprintf("t=%d %v: %s", v.Tick, v.Kind, v.Msg) }

// Options configure a model. The zero value is a usable default.
type Options struct {
	// Seed drives every random choice: the power-on contents of DLL, DLM and
	// SCR (the datasheet leaves them undefined) and the per-character
	// jitter. Same seed, same behaviour.
	Seed uint64
	// CharTicks is how many ticks (bus accesses) a character takes to shift
	// out, and to arrive when fed with Feed. Default 10; minimum 1.
	CharTicks int
	// Jitter adds 0..Jitter extra ticks to each character, drawn from Seed.
	Jitter int
	// NoFIFO makes the chip a 16450: FCR writes are ignored, IIR bits 7:6
	// read 0, THR and RBR hold one character each.
	NoFIFO bool
	// ClockHz is the input clock of the baud generator, for Baud.
	// Default 1.8432 MHz (the PC standard).
	ClockHz uint32
	// ModemLines are the CTS/DSR/RI/DCD inputs at power-on in MSR bit
	// positions (msr bits 4-7). Nil means a connected, idle peer: CTS, DSR
	// and DCD asserted, RI not.
	ModemLines *uint8
}

type rxChar struct {
	data byte
	err  uint8 // lsrPE|lsrFE|lsrBI
}

// Model is a PC16550D reference model. It implements bus.Bus (offset =
// register offset, 8-bit accesses) and bus.Interrupts. It is safe for
// concurrent use: a test may Inject from one goroutine while a driver polls
// from another.
type Model struct {
	mu  sync.Mutex
	opt Options
	rng *rand.Rand

	// Programmer-visible registers.
	ier, lcr, mcr, scr, dll, dlm, fcr uint8

	// Transmitter: THR or TX FIFO, then the shift register.
	txq      []byte
	tsrBusy  bool
	tsrLeft  int
	tsrFrame Frame
	tsrLoop  bool // the character in the shift register is looped back
	thri     bool // THRE interrupt latched (cleared by THR write or IIR read)

	// Receiver: RBR or RX FIFO.
	rxq     []rxChar
	lsrErr  uint8 // latched OE/PE/FE/BI, cleared by reading LSR
	rxfe    bool  // LSR bit 7
	rbrLast byte  // what a read of an empty RBR returns
	rxIdle  int   // ticks since the RX FIFO last changed (character timeout)

	// The remote end of the line: bytes on their way at line rate.
	feed     []rxChar
	feedLeft int

	// Modem lines.
	extModem uint8 // CTS/DSR/RI/DCD inputs from outside, MSR bits 4-7
	msrDelta uint8 // DCTS/DDSR/TERI/DDCD
	msrLast  uint8 // the effective bits 4-7 last time we looked

	// Bookkeeping for tests.
	now        uint64
	accesses   uint64
	reads      [nRegs]uint64
	writes     [nRegs]uint64
	idleTicks  uint64
	tx         []Frame
	looped     []Frame
	violations []Violation
	overruns   int
	lostInLoop int
	wake       chan struct{}
}

// NewModel returns a model in its power-on (master reset) state.
func NewModel(opt Options) *Model {
	if opt.CharTicks < 1 {
		opt.CharTicks = 10
	}
	if opt.Jitter < 0 {
		opt.Jitter = 0
	}
	if opt.ClockHz == 0 {
		opt.ClockHz = 1843200
	}
	m := &Model{opt: opt, rng: rand.New(rand.NewPCG(opt.Seed, 0x16550))}
	m.extModem = msrCTS | msrDSR | msrDCD
	if opt.ModemLines != nil {
		m.extModem = *opt.ModemLines & 0xF0
	}
	// Master reset clears IER, FCR, LCR, MCR and the status; DLL, DLM and
	// SCR keep whatever they power up with.
	m.dll = uint8(m.rng.Uint32())
	m.dlm = uint8(m.rng.Uint32())
	m.scr = uint8(m.rng.Uint32())
	m.msrLast = m.modemIn()
	return m
}

// ---- time ----

func (m *Model) charTicks() int {
	n := m.opt.CharTicks
	if m.opt.Jitter > 0 {
		n += m.rng.IntN(m.opt.Jitter + 1)
	}
	return n
}

func (m *Model) fifoMode() bool { return m.fcr&fcrFIFOE != 0 }

// capacity is the depth of THR/RBR: 16 with FIFOs, 1 in 16450 mode.
func (m *Model) capacity() int {
	if m.fifoMode() {
		return fifoDepth
	}
	return 1
}

// tick advances the model by one unit of time.
func (m *Model) tick() {
	m.now++
	if m.tsrBusy {
		m.tsrLeft--
		if m.tsrLeft <= 0 {
			m.tsrBusy = false
			if m.tsrLoop {
				m.looped = append(m.looped, m.tsrFrame)
				m.receive(rxChar{data: m.tsrFrame.Data})
			} else {
				m.tx = append(m.tx, m.tsrFrame)
			}
		}
	}
	if !m.tsrBusy && len(m.txq) > 0 {
		m.loadTSR()
	}
	if len(m.feed) > 0 {
		m.feedLeft--
		if m.feedLeft <= 0 {
			c := m.feed[0]
			m.feed = m.feed[1:]
			m.arrive(c)
			m.feedLeft = m.charTicks()
		}
	}
	if len(m.rxq) > 0 {
		m.rxIdle++
	}
}

// loadTSR moves the next character from THR/FIFO into the shift register.
func (m *Model) loadTSR() {
	b := m.txq[0]
	m.txq = m.txq[:copy(m.txq, m.txq[1:])]
	l := decodeLCR(m.lcr)
	div := m.divisor()
	if div == 0 {
		m.violate(ZeroDivisor, fmt.Sprintf("character %#02x sent with divisor 0", b))
	}
	m.tsrFrame = Frame{Data: b & byte(1<<l.WordLength-1), Divisor: div, Line: l}
	m.tsrLoop = m.mcr&mcrLOOP != 0
	m.tsrBusy = true
	m.tsrLeft = m.charTicks()
	if len(m.txq) == 0 {
		m.thri = true // the holding register / FIFO just became empty
	}
}

// arrive is a character from the remote end reaching the receiver input.
// In loopback the input pin is disconnected from the receiver.
func (m *Model) arrive(c rxChar) {
	if m.mcr&mcrLOOP != 0 {
		m.lostInLoop++
		return
	}
	m.receive(c)
}

// receive is a complete character in the receiver shift register.
func (m *Model) receive(c rxChar) {
	c.data &= byte(1<<decodeLCR(m.lcr).WordLength - 1)
	if c.err&lsrBI != 0 {
		c.data = 0 // a break loads one all-zero character
	}
	m.rxIdle = 0
	if len(m.rxq) >= m.capacity() {
		m.lsrErr |= lsrOE
		m.overruns++
		if m.fifoMode() {
			// FIFO mode: the FIFO is kept, the new character is lost.
			return
		}
		// 16450 mode: the new character overwrites RBR.
		m.rxq[0] = c
		m.lsrErr |= c.err
		return
	}
	m.rxq = append(m.rxq, c)
	if c.err != 0 && m.fifoMode() {
		m.rxfe = true
	}
	if len(m.rxq) == 1 {
		m.lsrErr |= c.err // errors show when the character reaches the top
	}
}

// active reports whether the model would change state with time alone.
func (m *Model) active() bool {
	return m.tsrBusy || len(m.txq) > 0 || len(m.feed) > 0 ||
		(m.fifoMode() && len(m.rxq) > 0 && m.rxIdle < m.timeoutTicks())
}

func (m *Model) timeoutTicks() int { return 4 * m.opt.CharTicks }

func (m *Model) violate(k ViolationKind, msg string) {
	m.violations = append(m.violations, Violation{Tick: m.now, Kind: k, Msg: msg})
}

func (m *Model) divisor() uint16 { return uint16(m.dlm)<<8 | uint16(m.dll) }

func (m *Model) inFlight() bool { return m.tsrBusy || len(m.txq) > 0 }

// ---- modem lines ----

// modemIn is the effective CTS/DSR/RI/DCD (MSR bits 4-7): the pins, or in
// loopback the MCR outputs wired back (RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD).
func (m *Model) modemIn() uint8 {
	if m.mcr&mcrLOOP == 0 {
		return m.extModem
	}
	var v uint8
	if m.mcr&mcrRTS != 0 {
		v |= msrCTS
	}
	if m.mcr&mcrDTR != 0 {
		v |= msrDSR
	}
	if m.mcr&mcrOUT1 != 0 {
		v |= msrRI
	}
	if m.mcr&mcrOUT2 != 0 {
		v |= msrDCD
	}
	return v
}

// updateModem latches the delta bits after an input may have changed.
func (m *Model) updateModem() {
	now := m.modemIn()
	ch := now ^ m.msrLast
	if ch&msrCTS != 0 {
		m.msrDelta |= msrDCTS
	}
	if ch&msrDSR != 0 {
		m.msrDelta |= msrDDSR
	}
	if ch&msrRI != 0 && now&msrRI == 0 {
		m.msrDelta |= msrTERI // trailing edge of ring indicator
	}
	if ch&msrDCD != 0 {
		m.msrDelta |= msrDDCD
	}
	m.msrLast = now
}

// ---- interrupts ----

// pending returns the IIR interrupt ID of the highest-priority enabled
// pending interrupt, or iirNoPending.
func (m *Model) pending() uint8 {
	if m.ier&ierELSI != 0 && m.lsrErr != 0 {
		return iirRLS
	}
	if m.ier&ierERBFI != 0 && len(m.rxq) > 0 {
		if !m.fifoMode() || len(m.rxq) >= rxTrigger[m.fcr>>6] {
			return iirRDA
		}
		if m.rxIdle >= m.timeoutTicks() {
			return iirCTI
		}
	}
	if m.ier&ierETBEI != 0 && m.thri {
		return iirTHRE
	}
	if m.ier&ierEDSSI != 0 && m.msrDelta != 0 {
		return iirMS
	}
	return iirNoPending
}

// IRQ reports the state of the chip's INTR output.
func (m *Model) IRQ() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pending() != iirNoPending
}

// WaitIRQ implements bus.Interrupts: time passes (without bus accesses) until
// INTR is raised or ctx ends. When nothing inside the chip can change by
// itself it sleeps until an input from outside (Inject, Feed, modem lines,
// another goroutine's bus access) arrives.
func (m *Model) WaitIRQ(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		m.mu.Lock()
		if m.pending() != iirNoPending {
			m.mu.Unlock()
			return nil
		}
		if m.active() {
			m.tick()
			m.idleTicks++
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

// kick wakes a WaitIRQ sleeper; called with mu held after any outside event.
func (m *Model) kick() {
	if m.wake != nil {
		close(m.wake)
		m.wake = nil
	}
}

// ---- bus.Bus ----

// access is the common prologue of every bus access: count it, let one tick
// of time pass, check the offset.
func (m *Model) access(off uint32, write bool) bool {
	m.accesses++
	m.tick()
	m.kick()
	if off >= nRegs {
		m.violate(BadOffset, fmt.Sprintf("access at offset %#x", off))
		return false
	}
	if write {
		m.writes[off]++
	} else {
		m.reads[off]++
	}
	return true
}

// Read8 implements bus.Bus.
func (m *Model) Read8(off uint32) uint8 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.access(off, false) {
		return 0xFF // nothing drives the data bus
	}
	return m.read(off)
}

// Write8 implements bus.Bus.
func (m *Model) Write8(off uint32, v uint8) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.access(off, true) {
		return
	}
	m.write(off, v)
}

func (m *Model) badWidth(off uint32, width int, write bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.accesses++
	m.tick()
	dir := "read"
	if write {
		dir = "write"
	}
	m.violate(BadWidth, fmt.Sprintf("%d-bit %s at offset %#x", width, dir, off))
}

// Read16 implements bus.Bus; the 16550 has 8-bit registers only, so this is
// recorded as a violation and reads as a floating bus.
func (m *Model) Read16(off uint32) uint16 { m.badWidth(off, 16, false); return 0xFFFF }

// Read32 implements bus.Bus (violation, see Read16).
func (m *Model) Read32(off uint32) uint32 { m.badWidth(off, 32, false); return 0xFFFFFFFF }

// Write16 implements bus.Bus (violation, no effect).
func (m *Model) Write16(off uint32, v uint16) { m.badWidth(off, 16, true) }

// Write32 implements bus.Bus (violation, no effect).
func (m *Model) Write32(off uint32, v uint32) { m.badWidth(off, 32, true) }

// ReadStream implements bus.Bus as repeated 8-bit reads of one register
// (what `rep insb` does on a port); other widths are violations.
func (m *Model) ReadStream(off uint32, width int, buf []byte) {
	if width != 1 {
		m.badWidth(off, 8*width, false)
		return
	}
	for i := range buf {
		buf[i] = m.Read8(off)
	}
}

// WriteStream implements bus.Bus as repeated 8-bit writes (`rep outsb`).
func (m *Model) WriteStream(off uint32, width int, buf []byte) {
	if width != 1 {
		m.badWidth(off, 8*width, true)
		return
	}
	for _, b := range buf {
		m.Write8(off, b)
	}
}

func (m *Model) dlab() bool { return m.lcr&lcrDLAB != 0 }

func (m *Model) read(off uint32) uint8 {
	switch off {
	case offRBR: // == offDLL
		if m.dlab() {
			return m.dll
		}
		return m.readRBR()
	case offIER: // == offDLM
		if m.dlab() {
			return m.dlm
		}
		return m.ier
	case offIIR:
		return m.readIIR()
	case offLCR:
		return m.lcr
	case offMCR:
		return m.mcr
	case offLSR:
		return m.readLSR()
	case offMSR:
		v := m.msrDelta | m.modemIn()
		m.msrDelta = 0
		return v
	default: // offSCR
		return m.scr
	}
}

func (m *Model) readRBR() uint8 {
	if len(m.rxq) == 0 {
		m.violate(RBREmpty, "RBR read with no character received")
		return m.rbrLast
	}
	c := m.rxq[0]
	m.rxq = m.rxq[:copy(m.rxq, m.rxq[1:])]
	m.rbrLast = c.data
	m.rxIdle = 0
	if len(m.rxq) > 0 {
		m.lsrErr |= m.rxq[0].err // the next character's errors surface
	}
	return c.data
}

func (m *Model) readIIR() uint8 {
	id := m.pending()
	if id == iirTHRE {
		m.thri = false // reading IIR clears a THRE interrupt it reports
	}
	if m.fifoMode() {
		id |= iirFIFOs
	}
	return id
}

func (m *Model) lsr() uint8 {
	v := m.lsrErr
	if len(m.rxq) > 0 {
		v |= lsrDR
	}
	if len(m.txq) == 0 {
		v |= lsrTHRE
		if !m.tsrBusy {
			v |= lsrTEMT
		}
	}
	if m.rxfe {
		v |= lsrRXFE
	}
	return v
}

func (m *Model) readLSR() uint8 {
	v := m.lsr()
	m.lsrErr = 0
	// RXFE stays set while a damaged character is still in the FIFO.
	m.rxfe = false
	for _, c := range m.rxq {
		if c.err != 0 && m.fifoMode() {
			m.rxfe = true
		}
	}
	return v
}

func (m *Model) write(off uint32, v uint8) {
	switch off {
	case offTHR: // == offDLL
		if m.dlab() {
			m.setDivisor(v, m.dlm)
			return
		}
		m.writeTHR(v)
	case offIER: // == offDLM
		if m.dlab() {
			m.setDivisor(m.dll, v)
			return
		}
		old := m.ier
		m.ier = v & ierMask
		if old&ierETBEI == 0 && m.ier&ierETBEI != 0 {
			// Enabling the THRE interrupt while THR is empty raises it.
			m.thri = len(m.txq) == 0
		}
	case offFCR:
		m.writeFCR(v)
	case offLCR:
		if (m.lcr^v)&lcrFraming != 0 && m.inFlight() {
			m.violate(FramingInFlight, fmt.Sprintf("LCR %v -> %v with characters in flight", decodeLCR(m.lcr), decodeLCR(v)))
		}
		m.lcr = v
	case offMCR:
		m.mcr = v & mcrMask
		m.updateModem()
	case offLSR, offMSR:
		m.violate(ReadOnlyWrite, fmt.Sprintf("write %#02x to offset %d", v, off))
	default: // offSCR
		m.scr = v
	}
}

func (m *Model) setDivisor(lo, hi uint8) {
	if (lo != m.dll || hi != m.dlm) && m.inFlight() {
		m.violate(DivisorInFlight, fmt.Sprintf("divisor %d -> %d with characters in flight", m.divisor(), uint16(hi)<<8|uint16(lo)))
	}
	m.dll, m.dlm = lo, hi
}

func (m *Model) writeTHR(v uint8) {
	m.thri = false
	if len(m.txq) < m.capacity() {
		m.txq = append(m.txq, v)
		return
	}
	if m.fifoMode() {
		m.violate(THROverrun, fmt.Sprintf("THR written with the TX FIFO full: %#02x lost", v))
		return
	}
	m.violate(THROverrun, fmt.Sprintf("THR written while full: %#02x overwrote %#02x", v, m.txq[0]))
	m.txq[0] = v
}

func (m *Model) writeFCR(v uint8) {
	if m.opt.NoFIFO {
		return // a 16450 has no FCR
	}
	was := m.fifoMode()
	now := v&fcrFIFOE != 0
	if was != now {
		// Switching between 16450 and FIFO mode empties both FIFOs.
		v |= fcrRXRST | fcrTXRST
	}
	if !now && !was {
		return // FCR.0 must be 1 for the other bits to be programmed
	}
	if now {
		m.fcr = v & fcrStored
	} else {
		m.fcr = 0
	}
	if v&fcrRXRST != 0 {
		m.rxq = m.rxq[:0]
		m.rxfe = false
		m.rxIdle = 0
	}
	if v&fcrTXRST != 0 && len(m.txq) > 0 {
		m.violate(TXDiscarded, fmt.Sprintf("%d characters waiting for transmission discarded by FCR %#02x", len(m.txq), v))
		m.txq = m.txq[:0]
		m.thri = true
	}
}

// ---- test API ----

// Inject delivers a character that has just been completely received on the
// line (ignored in loopback, where the input pin is disconnected).
func (m *Model) Inject(b byte) { m.InjectWithError(b, 0) }

// InjectWithError delivers a character damaged on the line.
func (m *Model) InjectWithError(b byte, e LineError) {
	var c rxChar
	c.data = b
	if e&ErrParity != 0 {
		c.err |= lsrPE
	}
	if e&ErrFraming != 0 {
		c.err |= lsrFE
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.arrive(c)
	m.kick()
}

// InjectBreak delivers a break condition (one zero character with BI and FE).
func (m *Model) InjectBreak() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.arrive(rxChar{err: lsrBI | lsrFE})
	m.kick()
}

// Feed queues bytes at the remote end of the line; they arrive one per
// character time as the model's time advances, the way a peer sending a
// burst would deliver them.
func (m *Model) Feed(bs ...byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.feed) == 0 {
		m.feedLeft = m.charTicks()
	}
	for _, b := range bs {
		m.feed = append(m.feed, rxChar{data: b})
	}
	m.kick()
}

// SetModemLines sets the CTS/DSR/RI/DCD inputs.
func (m *Model) SetModemLines(cts, dsr, ri, dcd bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var v uint8
	for _, p := range []struct {
		on  bool
		bit uint8
	}{{cts, msrCTS}, {dsr, msrDSR}, {ri, msrRI}, {dcd, msrDCD}} {
		if p.on {
			v |= p.bit
		}
	}
	m.extModem = v
	m.updateModem()
	m.kick()
}

// Advance lets n ticks of time pass without bus accesses.
func (m *Model) Advance(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for range n {
		m.tick()
		m.idleTicks++
	}
}

// Drain lets time pass until the transmitter is idle (everything handed to
// it has left the shift register) and returns how many ticks that took.
func (m *Model) Drain() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for m.inFlight() {
		m.tick()
		m.idleTicks++
		n++
	}
	return n
}

// Transmitted returns the data of every character that left on the line, in
// order (characters looped back in loopback mode never reach the line).
func (m *Model) Transmitted() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]byte, len(m.tx))
	for i, f := range m.tx {
		out[i] = f.Data
	}
	return out
}

// TransmittedFrames returns every character that left on the line with the
// divisor and framing it went out with.
func (m *Model) TransmittedFrames() []Frame {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.tx)
}

// LoopedBack returns the characters the transmitter sent into the receiver
// in loopback mode.
func (m *Model) LoopedBack() []Frame {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.looped)
}

// ClearTransmitted forgets the transmitted characters (long benchmarks).
func (m *Model) ClearTransmitted() {
	m.mu.Lock()
	m.tx = m.tx[:0]
	m.mu.Unlock()
}

// Divisor returns the divisor latch {DLM, DLL}.
func (m *Model) Divisor() uint16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.divisor()
}

// Baud returns the line rate the divisor gives with the model's clock (0 for
// divisor 0).
func (m *Model) Baud() float64 {
	d := m.Divisor()
	if d == 0 {
		return 0
	}
	return float64(m.opt.ClockHz) / (16 * float64(d))
}

// LineControl returns the framing LCR currently selects.
func (m *Model) LineControl() LineControl {
	m.mu.Lock()
	defer m.mu.Unlock()
	return decodeLCR(m.lcr)
}

// FIFOEnabled reports FCR.0.
func (m *Model) FIFOEnabled() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.fifoMode()
}

// Loopback reports MCR.LOOP.
func (m *Model) Loopback() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mcr&mcrLOOP != 0
}

// InterruptEnable returns IER without touching the bus.
func (m *Model) InterruptEnable() uint8 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ier
}

// Violations returns the recorded driver mistakes, in order.
func (m *Model) Violations() []Violation {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.violations)
}

// Overruns is the number of received characters lost because the receiver
// was full (the driver did not read fast enough).
func (m *Model) Overruns() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.overruns
}

// LostInLoopback is the number of characters that arrived from outside while
// the receiver was looped back (and so were never received).
func (m *Model) LostInLoopback() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lostInLoop
}

// Accesses is the number of bus accesses made so far (every width, every
// offset, including those recorded as violations).
func (m *Model) Accesses() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.accesses
}

// AccessCounts returns the 8-bit reads and writes per register offset.
func (m *Model) AccessCounts() (reads, writes [nRegs]uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reads, m.writes
}

// Now is the model time in ticks (bus accesses plus idle ticks).
func (m *Model) Now() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// TraceNamer names 16550 registers in a trace.Trace, following LCR writes
// to tell the DLAB banks apart. It assumes the trace starts with DLAB=0 (the
// reset value) and that nothing else writes LCR behind the trace's back.
func TraceNamer() trace.Namer {
	dlab := false
	read := [nRegs]string{"RBR", "IER", "IIR", "LCR", "MCR", "LSR", "MSR", "SCR"}
	write := [nRegs]string{"THR", "IER", "FCR", "LCR", "MCR", "LSR", "MSR", "SCR"}
	return trace.NamerFunc(func(a trace.Access) string {
		if a.Off >= nRegs {
			return ""
		}
		if a.Off == offLCR && a.Kind == trace.Write {
			dlab = a.Value&lcrDLAB != 0
		}
		if dlab && a.Off == offDLL {
			return "DLL"
		}
		if dlab && a.Off == offDLM {
			return "DLM"
		}
		if a.Kind == trace.Write || a.Kind == trace.WriteStream {
			return write[a.Off]
		}
		return read[a.Off]
	})
}

// IdleTicks is the time that passed without bus accesses (Advance, Drain,
// WaitIRQ).
func (m *Model) IdleTicks() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.idleTicks
}
