package pl011_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/pl011"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/driver"
	"github.com/drvsynth/drvsynth/os-interface/serial"
)

// The harnesses below take a driver constructor, so the same checks can
// run any serial.Port for the PL011 on the reference model.
type newPort func(b bus.Bus) serial.Port

func newHandwritten(b bus.Bus) serial.Port {
	return pl011.NewHandwrittenDriver(b, pl011.HandwrittenConfig{})
}

type framing struct {
	bits   serial.DataBits
	parity serial.Parity
	stop   serial.StopBits
	want   string
}

var framings = []framing{
	{serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne, "8N1"},
	{serial.DataBitsSeven, serial.ParityEven, serial.StopBitsTwo, "7E2"},
	{serial.DataBitsSix, serial.ParityOdd, serial.StopBitsOne, "6O1"},
	{serial.DataBitsFive, serial.ParityMark, serial.StopBitsTwo, "5M2"},
	{serial.DataBitsEight, serial.ParitySpace, serial.StopBitsOne, "8S1"},
}

var bauds = []uint32{300, 1200, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1_500_000}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x011))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// checkConfigure: every rate of the usual table and every framing lands in
// the baud generator (not merely in IBRD/FBRD) within the fractional
// divider's resolution, with the UART enabled afterwards and no rule of
// the TRM broken.
func checkConfigure(t *testing.T, mk newPort) {
	ctx := context.Background()
	for _, baud := range bauds {
		for _, f := range framings {
			t.Run(fmt.Sprintf("%d-%s", baud, f.want), func(t *testing.T) {
				m := pl011.NewModel(pl011.Options{})
				p := mk(m)
				require.NoError(t, p.Init(ctx))
				require.NoError(t, p.Configure(ctx, baud, f.bits, f.parity, f.stop))
				assert.Equal(t, f.want, m.LineControl().String())
				// Rounding to 1/64 of a divisor of at least 1: the rate is
				// within 1/128 of the divisor, under 0.8%.
				assert.InEpsilon(t, float64(baud), m.Baud(), 0.008, "latched divisor %+v", m.Generator())
				assert.True(t, m.Enabled())
				assert.True(t, m.FIFOEnabled())
				assert.Empty(t, m.Violations())
			})
		}
	}
}

func checkSend(t *testing.T, mk newPort, opt pl011.Options, n int) {
	ctx := context.Background()
	m := pl011.NewModel(opt)
	p := mk(m)
	require.NoError(t, p.Init(ctx))
	require.NoError(t, p.Configure(ctx, 115200, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne))
	msg := randomBytes(uint64(n), n)
	require.NoError(t, p.Write(ctx, msg))
	m.Drain()
	assert.Equal(t, msg, m.Transmitted())
	assert.Empty(t, m.Violations())
}

func checkReceive(t *testing.T, mk newPort, n int) {
	ctx := context.Background()
	m := pl011.NewModel(pl011.Options{})
	p := mk(m)
	require.NoError(t, p.Init(ctx))
	require.NoError(t, p.Configure(ctx, 9600, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne))
	in := randomBytes(uint64(n)+1, n)
	got := make([]byte, n)
	// A peer that sends in bursts the FIFO can hold.
	for i := 0; i < n; i += 8 {
		j := min(i+8, n)
		for _, b := range in[i:j] {
			m.Inject(b)
		}
		require.NoError(t, p.Read(ctx, got[i:j]))
	}
	assert.Equal(t, in, got)
	assert.Zero(t, m.Overruns())
	assert.Empty(t, m.Violations())
}

// checkDrainBeforeReconfigure: Configure right after a Write must let the
// bytes already handed over go out at the old settings, then switch.
func checkDrainBeforeReconfigure(t *testing.T, mk newPort) {
	ctx := context.Background()
	m := pl011.NewModel(pl011.Options{CharTicks: 25})
	p := mk(m)
	require.NoError(t, p.Init(ctx))
	require.NoError(t, p.Configure(ctx, 115200, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne))
	first := randomBytes(1, 40)
	require.NoError(t, p.Write(ctx, first))
	require.NoError(t, p.Configure(ctx, 9600, serial.DataBitsSeven, serial.ParityOdd, serial.StopBitsTwo))
	second := []byte("after")
	require.NoError(t, p.Write(ctx, second))
	m.Drain()
	frames := m.Frames()
	require.Len(t, frames, len(first)+len(second))
	old := frames[0].Divisor
	for i, f := range frames[:len(first)] {
		assert.Equal(t, first[i], f.Data)
		assert.Equal(t, "8N1", f.Line.String())
		assert.Equal(t, old, f.Divisor)
	}
	for i, f := range frames[len(first):] {
		assert.Equal(t, second[i]&0x7F, f.Data)
		assert.Equal(t, "7O2", f.Line.String())
		assert.NotEqual(t, old, f.Divisor)
	}
	assert.Empty(t, m.Violations())
}

// checkRejectsRates: rates the divisor cannot produce are invalid
// arguments, and nothing reaches the device.
func checkRejectsRates(t *testing.T, mk newPort, bauds []uint32) {
	ctx := context.Background()
	m := pl011.NewModel(pl011.Options{})
	p := mk(m)
	require.NoError(t, p.Init(ctx))
	for _, baud := range bauds {
		assert.ErrorIs(t, p.Configure(ctx, baud, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne), driver.ErrInvalidArgument, "baud %d", baud)
	}
	assert.Empty(t, m.Violations())
}

func checkReadHonoursContext(t *testing.T, mk newPort) {
	m := pl011.NewModel(pl011.Options{})
	p := mk(m)
	require.NoError(t, p.Init(context.Background()))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := p.Read(ctx, make([]byte, 1))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestHandwrittenConfigure(t *testing.T)     { checkConfigure(t, newHandwritten) }
func TestHandwrittenSend(t *testing.T)          { checkSend(t, newHandwritten, pl011.Options{}, 1000) }
func TestHandwrittenSendFIFO32(t *testing.T)    { checkSendDepth(t, 32) }
func TestHandwrittenReceive(t *testing.T)       { checkReceive(t, newHandwritten, 200) }
func TestHandwrittenDrainReconfig(t *testing.T) { checkDrainBeforeReconfigure(t, newHandwritten) }
func TestHandwrittenRejectsRates(t *testing.T) {
	// 0; a divisor above 65535 (under 23 baud); below 1 (over 1.5 Mbaud).
	checkRejectsRates(t, newHandwritten, []uint32{0, 10, 22, 1_600_000, 3_000_000})
}
func TestHandwrittenReadContext(t *testing.T) { checkReadHonoursContext(t, newHandwritten) }

func checkSendDepth(t *testing.T, depth int) {
	ctx := context.Background()
	m := pl011.NewModel(pl011.Options{FIFODepth: depth, CharTicks: 3})
	p := pl011.NewHandwrittenDriver(m, pl011.HandwrittenConfig{FIFODepth: depth})
	require.NoError(t, p.Init(ctx))
	require.NoError(t, p.Configure(ctx, 38400, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne))
	msg := randomBytes(5, 500)
	require.NoError(t, p.Write(ctx, msg))
	m.Drain()
	assert.Equal(t, msg, m.Transmitted())
	assert.Empty(t, m.Violations())
}

// TestHandwrittenLineErrors: damaged bytes are delivered, and the error
// names the first one and what happened.
func TestHandwrittenLineErrors(t *testing.T) {
	ctx := context.Background()
	m := pl011.NewModel(pl011.Options{})
	p := newHandwritten(m)
	require.NoError(t, p.Init(ctx))
	require.NoError(t, p.Configure(ctx, 9600, serial.DataBitsEight, serial.ParityEven, serial.StopBitsOne))
	m.Inject('a')
	m.InjectWithErrors('b', false, true, false)
	m.Inject('c')
	buf := make([]byte, 3)
	err := p.Read(ctx, buf)
	var le *pl011.HandwrittenLineError
	require.True(t, errors.As(err, &le), "got %v", err)
	assert.Equal(t, 1, le.Index)
	assert.Contains(t, le.Error(), "parity")
	assert.Equal(t, []byte("abc"), buf)
}

// TestHandwrittenDivisorRounding: the divisor is the TRM's, rounded to the
// nearest 1/64 (115200 baud at 24 MHz: 13.0208 -> 13 + 1/64).
func TestHandwrittenDivisorRounding(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		baud uint32
		want pl011.Divisor
	}{
		{115200, pl011.Divisor{Int: 13, Frac: 1}},
		{57600, pl011.Divisor{Int: 26, Frac: 3}},
		{9600, pl011.Divisor{Int: 156, Frac: 16}},
		{1_500_000, pl011.Divisor{Int: 1, Frac: 0}},
	} {
		m := pl011.NewModel(pl011.Options{})
		p := newHandwritten(m)
		require.NoError(t, p.Init(ctx))
		require.NoError(t, p.Configure(ctx, c.baud, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne))
		assert.Equal(t, c.want, m.Generator(), "baud %d", c.baud)
		ideal := 24e6 / (16 * float64(c.baud))
		got := float64(c.want.Int) + float64(c.want.Frac)/64
		assert.LessOrEqual(t, math.Abs(ideal-got), 1.0/128, "baud %d", c.baud)
	}
}
