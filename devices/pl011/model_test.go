package pl011

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func kinds(vs []Violation) []ViolationKind {
	var out []ViolationKind
	for _, v := range vs {
		out = append(out, v.Kind)
	}
	return out
}

// enable programs 8N1 at divisor 13+1/64 with FIFOs and enables the UART,
// following the TRM's order.
func enable(m *Model) {
	m.Write32(offIBRD, 13)
	m.Write32(offFBRD, 1)
	m.Write32(offLCRH, lcrFEN|lcrWLEN)
	m.Write32(offCR, crUARTEN|crTXE|crRXE)
}

func TestModelReset(t *testing.T) {
	m := NewModel(Options{})
	assert.Equal(t, uint32(crTXE|crRXE), m.Read32(offCR))
	assert.Equal(t, uint32(frRXFE|frTXFE), m.Read32(offFR))
	assert.Equal(t, uint32(iflsReset), m.Read32(offIFLS))
	assert.Equal(t, uint32(0x11), m.Read32(offPeriph0))
	assert.Equal(t, uint32(0xB1), m.Read32(0xFFC))
	assert.Empty(t, m.Violations())
}

// IBRD and FBRD reach the generator only with the LCR_H write that
// follows them; reading them back shows what was written.
func TestModelDivisorLatch(t *testing.T) {
	m := NewModel(Options{})
	m.Write32(offIBRD, 26)
	m.Write32(offFBRD, 3)
	assert.Equal(t, uint32(26), m.Read32(offIBRD))
	assert.Equal(t, Divisor{}, m.Generator(), "not latched before LCR_H")
	m.Write32(offLCRH, lcrWLEN)
	assert.Equal(t, Divisor{Int: 26, Frac: 3}, m.Generator())
	assert.InEpsilon(t, 57600, m.Baud(), 0.001)
	// A later IBRD write alone leaves the line as it was.
	m.Write32(offIBRD, 156)
	assert.Equal(t, Divisor{Int: 26, Frac: 3}, m.Generator())
	assert.Empty(t, m.Violations())
}

// BUSY covers the FIFO and the shift register; a character written with
// the UART enabled goes out with the latched settings.
func TestModelTransmit(t *testing.T) {
	m := NewModel(Options{CharTicks: 4})
	enable(m)
	for _, b := range []byte("hi!") {
		m.Write32(offDR, uint32(b))
	}
	assert.NotZero(t, m.Read32(offFR)&frBUSY)
	m.Drain()
	assert.Zero(t, m.Read32(offFR)&frBUSY)
	assert.Equal(t, []byte("hi!"), m.Transmitted())
	f := m.Frames()[0]
	assert.Equal(t, Divisor{Int: 13, Frac: 1}, f.Divisor)
	assert.Equal(t, "8N1", f.Line.String())
	assert.Empty(t, m.Violations())
}

// TXFF comes up at the FIFO depth, or at one character with FEN clear.
func TestModelTXFull(t *testing.T) {
	for _, c := range []struct {
		lcrh  uint32
		depth int
		want  int
	}{{lcrFEN | lcrWLEN, 16, 16}, {lcrFEN | lcrWLEN, 32, 32}, {lcrWLEN, 16, 1}} {
		m := NewModel(Options{FIFODepth: c.depth})
		m.Write32(offIBRD, 13)
		m.Write32(offLCRH, c.lcrh)
		// Disabled: nothing drains, so the FIFO fills.
		n := 0
		for m.Read32(offFR)&frTXFF == 0 {
			m.Write32(offDR, 'x')
			n++
		}
		assert.Equal(t, c.want, n)
		m.Write32(offDR, 'y')
		assert.Equal(t, []ViolationKind{TXOverflow}, kinds(m.Violations()))
	}
}

// A UART disabled while sending completes the character in the shift
// register and keeps the rest of its FIFO: BUSY stays set. That is why a
// driver drains before it disables.
func TestModelDisableMidTransmission(t *testing.T) {
	m := NewModel(Options{CharTicks: 10})
	enable(m)
	for _, b := range []byte("abcd") {
		m.Write32(offDR, uint32(b))
	}
	m.Write32(offCR, crTXE|crRXE)
	m.Drain()
	assert.Equal(t, []byte("a"), m.Transmitted())
	assert.NotZero(t, m.Read32(offFR)&frBUSY)
	m.Write32(offCR, crUARTEN|crTXE|crRXE)
	m.Drain()
	assert.Equal(t, []byte("abcd"), m.Transmitted())
	assert.Empty(t, m.Violations())
}

// A driver that ignores the TRM's rules is caught: reprogramming while
// enabled, and while characters are still going out.
func TestModelCatchesCarelessReconfigure(t *testing.T) {
	m := NewModel(Options{CharTicks: 10})
	enable(m)
	m.Write32(offDR, 'a')
	m.Write32(offIBRD, 1) // enabled and busy
	m.Write32(offCR, crTXE|crRXE)
	m.Write32(offLCRH, lcrFEN) // busy still
	m.Write32(offCR, crUARTEN|crTXE|crRXE)
	m.Write32(offCR, crUARTEN|crRXE|crLBE) // TXE and LBE changed while enabled
	assert.Equal(t, []ViolationKind{ReprogramEnabled, ReprogramBusy, ReprogramBusy, ReprogramEnabled}, kinds(m.Violations()))
}

func TestModelInvalidDivisor(t *testing.T) {
	m := NewModel(Options{})
	m.Write32(offLCRH, lcrFEN|lcrWLEN) // latches IBRD 0
	m.Write32(offCR, crUARTEN|crTXE|crRXE)
	m.Write32(offDR, 'z')
	m.Drain()
	assert.Equal(t, []ViolationKind{InvalidDivisor}, kinds(m.Violations()))
	assert.False(t, Divisor{Int: 0xFFFF, Frac: 1}.Valid())
	assert.True(t, Divisor{Int: 0xFFFF}.Valid())
}

// Receive: characters only while enabled, RXFE/RXFF at the depth, overrun
// keeps the FIFO and marks the next character stored, ECR clears RSR.
func TestModelReceive(t *testing.T) {
	m := NewModel(Options{})
	m.Inject('-') // disabled: not received
	assert.NotZero(t, m.Read32(offFR)&frRXFE)
	enable(m)
	for i := range 17 {
		m.Inject(byte('A' + i))
	}
	assert.NotZero(t, m.Read32(offFR)&frRXFF)
	assert.Equal(t, 1, m.Overruns())
	assert.NotZero(t, m.Read32(offRSR)&rsrOE)
	for i := range 16 {
		assert.Equal(t, uint32('A'+i), m.Read32(offDR))
	}
	m.Inject('Z')
	assert.Equal(t, uint32('Z'|drOE), m.Read32(offDR))
	m.Write32(offRSR, 0)
	assert.Zero(t, m.Read32(offRSR))
	m.Read32(offDR)
	assert.Equal(t, []ViolationKind{RXEmpty}, kinds(m.Violations()))
}

func TestModelLoopbackAndWordLength(t *testing.T) {
	m := NewModel(Options{CharTicks: 2})
	m.Write32(offIBRD, 13)
	m.Write32(offLCRH, lcrFEN|2<<5) // 7 bits
	m.Write32(offCR, crUARTEN|crTXE|crRXE|crLBE)
	m.Write32(offDR, 0xFF)
	m.Drain()
	assert.Empty(t, m.Transmitted())
	assert.Equal(t, uint32(0x7F), m.Read32(offDR))
	assert.Empty(t, m.Violations())
}

func TestModelInterrupt(t *testing.T) {
	m := NewModel(Options{})
	enable(m)
	m.Write32(offIMSC, intRX)
	// The receive interrupt comes at the FIFO level IFLS selects: 1/8 of
	// 16 is two characters (the receive timeout is not modelled).
	m.Write32(offIFLS, 0)
	m.Inject('p')
	assert.False(t, m.IRQ())
	go func() {
		time.Sleep(10 * time.Millisecond)
		m.Inject('q')
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, m.WaitIRQ(ctx))
	assert.Equal(t, uint32(intRX), m.Read32(offMIS))
	m.Read32(offDR)
	assert.False(t, m.IRQ())
}

func TestModelBadAccesses(t *testing.T) {
	m := NewModel(Options{})
	m.Read8(offFR)
	m.Write16(offCR, 1)
	m.Read32(0x08)
	m.Write32(offFR, 0)
	assert.Equal(t, []ViolationKind{BadWidth, BadWidth, BadOffset, BadOffset}, kinds(m.Violations()))
}
