package uart16550_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/uart16550"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/bus/trace"
	"github.com/drvsynth/drvsynth/os-interface/serial"
)

// newHandwritten is the port constructor the shared harnesses below take;
// the generated driver's tests pass their own.
func newHandwritten(b bus.Bus) serial.Port { return uart16550.NewHandwrittenDriver(b) }

// framing is one line setting in class terms and what the model must decode.
type framing struct {
	bits   serial.DataBits
	parity serial.Parity
	stop   serial.StopBits
	want   string // LineControl.String() of the model
}

var framings = []framing{
	{serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne, "8N1"},
	{serial.DataBitsSeven, serial.ParityEven, serial.StopBitsTwo, "7E2"},
	{serial.DataBitsSeven, serial.ParityOdd, serial.StopBitsOne, "7O1"},
	{serial.DataBitsSix, serial.ParityMark, serial.StopBitsOne, "6M1"},
	{serial.DataBitsEight, serial.ParitySpace, serial.StopBitsTwo, "8S2"},
	{serial.DataBitsFive, serial.ParityNone, serial.StopBitsTwo, "5N1.5"},
}

// bauds maps standard rates to the divisor a 1.8432 MHz clock needs.
var bauds = []struct {
	baud uint32
	div  uint16
}{{115200, 1}, {57600, 2}, {38400, 3}, {19200, 6}, {9600, 12}, {4800, 24}, {2400, 48}, {1200, 96}, {300, 384}, {50, 2304}}

// rig builds a model and a port on it, initialised and configured.
func rig(t testing.TB, newPort func(bus.Bus) serial.Port, opt uart16550.Options, baud uint32, f framing) (*uart16550.Model, serial.Port) {
	t.Helper()
	m := uart16550.NewModel(opt)
	p := newPort(m)
	ctx := context.Background()
	require.NoError(t, p.Init(ctx))
	require.NoError(t, p.Configure(ctx, baud, f.bits, f.parity, f.stop))
	return m, p
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func mask(bs []byte, wordLength int) []byte {
	out := make([]byte, len(bs))
	for i, b := range bs {
		out[i] = b & byte(1<<wordLength-1)
	}
	return out
}

// checkConfigure drives Configure over every standard rate and framing and
// checks the divisor latch, LCR, and the frames that then go out.
func checkConfigure(t *testing.T, newPort func(bus.Bus) serial.Port) {
	for _, f := range framings {
		for _, b := range bauds {
			t.Run(fmt.Sprintf("%d-%s", b.baud, f.want), func(t *testing.T) {
				m, p := rig(t, newPort, uart16550.Options{Seed: uint64(b.baud), CharTicks: 4}, b.baud, f)
				assert.Equal(t, b.div, m.Divisor())
				assert.Equal(t, f.want, m.LineControl().String())
				require.NoError(t, p.Write(context.Background(), []byte{0x55, 0xAA}))
				m.Drain()
				lc := m.LineControl()
				want := []uart16550.Frame{
					{Data: mask([]byte{0x55}, lc.WordLength)[0], Divisor: b.div, Line: lc},
					{Data: mask([]byte{0xAA}, lc.WordLength)[0], Divisor: b.div, Line: lc},
				}
				assert.Equal(t, want, m.TransmittedFrames())
				assert.Empty(t, m.Violations())
			})
		}
	}
}

func TestHandwrittenConfigure(t *testing.T) { checkConfigure(t, newHandwritten) }

// checkSend writes n random bytes and checks every one left on the line, in
// order, with the configured settings, and that the driver really had to
// wait for the transmitter (the model's poll loops loop).
func checkSend(t *testing.T, newPort func(bus.Bus) serial.Port, opt uart16550.Options, f framing, n int) {
	m, p := rig(t, newPort, opt, 9600, f)
	data := randomBytes(opt.Seed, n)
	start := m.Accesses()
	reads0, writes0 := m.AccessCounts()
	require.NoError(t, p.Write(context.Background(), data))
	accesses := m.Accesses() - start
	m.Drain()
	lc := m.LineControl()
	assert.Equal(t, mask(data, lc.WordLength), m.Transmitted())
	for i, fr := range m.TransmittedFrames() {
		if fr.Divisor != 12 || fr.Line != lc {
			t.Fatalf("frame %d went out as %d/%v, want 12/%v", i, fr.Divisor, fr.Line, lc)
		}
	}
	assert.Empty(t, m.Violations())
	reads, writes := m.AccessCounts()
	assert.Equal(t, uint64(n), writes[0]-writes0[0], "one THR write per byte")
	assert.Greater(t, accesses, uint64(n), "the transmitter is slower than the bus: polls repeat")
	t.Logf("%d bytes: %d accesses (%.2f/byte), %d LSR reads", n, accesses, float64(accesses)/float64(n), reads[5]-reads0[5])
}

func TestHandwrittenSend1000RandomBytes(t *testing.T) {
	for _, f := range framings[:2] {
		for _, opt := range []uart16550.Options{
			{Seed: 1, CharTicks: 10},
			{Seed: 2, CharTicks: 3, Jitter: 7},
			{Seed: 3, CharTicks: 10, NoFIFO: true},
		} {
			t.Run(fmt.Sprintf("%s-ticks%d-jitter%d-nofifo%v", f.want, opt.CharTicks, opt.Jitter, opt.NoFIFO), func(t *testing.T) {
				checkSend(t, newHandwritten, opt, f, 1000)
			})
		}
	}
}

// checkReceive feeds n random bytes at line rate and reads them back.
func checkReceive(t *testing.T, newPort func(bus.Bus) serial.Port, opt uart16550.Options, n int) {
	m, p := rig(t, newPort, opt, 115200, framings[0])
	data := randomBytes(opt.Seed+100, n)
	m.Feed(data...)
	got := make([]byte, n)
	require.NoError(t, p.Read(context.Background(), got))
	assert.Equal(t, data, got)
	assert.Zero(t, m.Overruns())
	assert.Empty(t, m.Violations())
}

func TestHandwrittenReceive(t *testing.T) {
	for _, opt := range []uart16550.Options{
		{Seed: 1, CharTicks: 10},
		{Seed: 2, CharTicks: 3, Jitter: 4},
		{Seed: 3, CharTicks: 10, NoFIFO: true},
	} {
		t.Run(fmt.Sprintf("ticks%d-nofifo%v", opt.CharTicks, opt.NoFIFO), func(t *testing.T) {
			checkReceive(t, newHandwritten, opt, 500)
		})
	}
}

func TestHandwrittenReceiveInjected(t *testing.T) {
	m, p := rig(t, newHandwritten, uart16550.Options{Seed: 5}, 38400, framings[0])
	for _, b := range []byte("hello") {
		m.Inject(b)
	}
	got := make([]byte, 5)
	require.NoError(t, p.Read(context.Background(), got))
	assert.Equal(t, "hello", string(got))
	assert.Empty(t, m.Violations())
}

// checkLoopback sets MCR.LOOP behind the driver's back (the serial class has
// no loopback method) and echoes chunks through the chip.
func checkLoopback(t *testing.T, newPort func(bus.Bus) serial.Port) {
	m, p := rig(t, newPort, uart16550.Options{Seed: 9, CharTicks: 6, Jitter: 2}, 115200, framings[0])
	m.Write8(4, 0x10|0x03) // MCR: LOOP, DTR, RTS
	ctx := context.Background()
	data := randomBytes(9, 160)
	for off := 0; off < len(data); off += 16 {
		chunk := data[off : off+16] // one FIFO-full: no overrun while we write
		require.NoError(t, p.Write(ctx, chunk))
		got := make([]byte, len(chunk))
		require.NoError(t, p.Read(ctx, got))
		require.Equal(t, chunk, got, "chunk at %d", off)
	}
	assert.Empty(t, m.Transmitted(), "nothing reaches the line in loopback")
	assert.Len(t, m.LoopedBack(), len(data))
	assert.Zero(t, m.Overruns())
	assert.Empty(t, m.Violations())
}

func TestHandwrittenLoopback(t *testing.T) { checkLoopback(t, newHandwritten) }

// checkReadHonoursContext: no input ever comes; Read must give up when ctx
// ends and say why.
func checkReadHonoursContext(t *testing.T, newPort func(bus.Bus) serial.Port) {
	m, p := rig(t, newPort, uart16550.Options{Seed: 4}, 9600, framings[0])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Read(ctx, make([]byte, 4)) }()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(10 * time.Second):
		t.Fatal("Read did not return after its context ended")
	}
	assert.Empty(t, m.Violations(), "no RBR read without DR")

	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	assert.ErrorIs(t, p.Read(cctx, make([]byte, 1)), context.Canceled)
}

func TestHandwrittenReadHonoursContext(t *testing.T) { checkReadHonoursContext(t, newHandwritten) }

func TestHandwrittenWriteHonoursContext(t *testing.T) {
	// A transmitter so slow that the write cannot finish in time.
	m, p := rig(t, newHandwritten, uart16550.Options{Seed: 4, CharTicks: 1 << 30}, 9600, framings[0])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	err := p.Write(ctx, make([]byte, 100))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Empty(t, m.Violations())
}

func TestHandwrittenConfigureErrors(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{})
	p := uart16550.NewHandwrittenDriver(m)
	ctx := context.Background()
	require.NoError(t, p.Init(ctx))
	assert.ErrorIs(t, p.Configure(ctx, 0, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne), uart16550.ErrHandwrittenBaud)
	assert.ErrorIs(t, p.Configure(ctx, 1, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne), uart16550.ErrHandwrittenBaud, "divisor 115200 does not fit 16 bits")
	assert.ErrorIs(t, p.Configure(ctx, 1_000_000, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne), uart16550.ErrHandwrittenBaud, "faster than the clock allows")
	assert.Error(t, p.Configure(ctx, 9600, serial.DataBits(9), serial.ParityNone, serial.StopBitsOne))
	assert.Error(t, p.Configure(ctx, 9600, serial.DataBitsEight, serial.Parity(9), serial.StopBitsOne))
	assert.Error(t, p.Configure(ctx, 9600, serial.DataBitsEight, serial.ParityNone, serial.StopBits(9)))
}

// Reconfiguring with bytes still in the FIFO must not change the divisor
// under them.
func TestHandwrittenReconfigureDrainsFirst(t *testing.T) {
	m, p := rig(t, newHandwritten, uart16550.Options{Seed: 6, CharTicks: 20}, 9600, framings[0])
	ctx := context.Background()
	require.NoError(t, p.Write(ctx, randomBytes(6, 16)))
	require.NoError(t, p.Configure(ctx, 19200, serial.DataBitsSeven, serial.ParityEven, serial.StopBitsTwo))
	require.NoError(t, p.Write(ctx, []byte{0x7F}))
	m.Drain()
	fr := m.TransmittedFrames()
	require.Len(t, fr, 17)
	for _, f := range fr[:16] {
		assert.Equal(t, uint16(12), f.Divisor)
		assert.Equal(t, "8N1", f.Line.String())
	}
	assert.Equal(t, uint16(6), fr[16].Divisor)
	assert.Equal(t, "7E2", fr[16].Line.String())
	assert.Empty(t, m.Violations())
}

func TestHandwrittenReportsLineErrors(t *testing.T) { checkLineErrors(t, newHandwritten) }

func TestHandwrittenFallsBackOn16450(t *testing.T) {
	m, p := rig(t, newHandwritten, uart16550.Options{Seed: 1, CharTicks: 1000, NoFIFO: true}, 9600, framings[0])
	require.NoError(t, p.Write(context.Background(), []byte("abc")))
	assert.Empty(t, m.Violations(), "one byte per THRE without FIFOs")
	m.Drain()
	assert.Equal(t, "abc", string(m.Transmitted()))
}

// The exact register sequence, as a reviewer reads it.
func TestHandwrittenTrace(t *testing.T) {
	m := uart16550.NewModel(uart16550.Options{Seed: 1, CharTicks: 3})
	b, tr := trace.New(m)
	p := uart16550.NewHandwrittenDriver(b)
	ctx := context.Background()
	require.NoError(t, p.Init(ctx))
	require.NoError(t, p.Configure(ctx, 9600, serial.DataBitsEight, serial.ParityNone, serial.StopBitsOne))
	require.NoError(t, p.Write(ctx, []byte("A")))
	assert.Equal(t, ""+
		"   0 R  LCR        -> 0x00\n"+
		"   1 W  IER        <- 0x00\n"+
		"   2 W  FCR        <- 0x07\n"+
		"   3 R  IIR        -> 0xc1\n"+
		"   4 W  MCR        <- 0x03\n"+
		"   5 R  LSR        -> 0x60\n"+
		"   6 R  LSR        -> 0x60\n"+
		"   7 W  LCR        <- 0x83\n"+
		"   8 W  DLL        <- 0x0c\n"+
		"   9 W  DLM        <- 0x00\n"+
		"  10 W  LCR        <- 0x03\n"+
		"  11 R  LSR        -> 0x60\n"+
		"  12 W  THR        <- 0x41\n", tr.Format(uart16550.TraceNamer()))
	assert.Equal(t, 13, tr.BusAccesses())
}

// ---- workload harnesses shared with the generated driver's benchmarks ----

// Line speeds for the benchmarks, in ticks (bus accesses) per character:
// "fastline" makes the driver the bottleneck (accesses/byte is the driver's
// own cost: compare drivers here); "slowline" is a line much slower than the
// bus, where any polling driver's accesses/byte equals the line's ticks per
// character (it polls while it waits) and only a driver that sleeps on the
// interrupt line (WaitIRQ) would do better.
var benchLines = []struct {
	name  string
	ticks int
}{{"fastline", 1}, {"slowline", 16}}

// benchWrite measures Write: host throughput (bytes/s, model included) and
// bus accesses per byte. Pass the constructor of the driver under test.
func benchWrite(b *testing.B, newPort func(bus.Bus) serial.Port) {
	for _, line := range benchLines {
		b.Run(line.name, func(b *testing.B) {
			m, p := rig(b, newPort, uart16550.Options{Seed: 1, CharTicks: line.ticks}, 115200, framings[0])
			ctx := context.Background()
			buf := randomBytes(1, 4096)
			// One checked round first: the benchmark must measure a driver
			// that works.
			require.NoError(b, p.Write(ctx, buf))
			m.Drain()
			require.Equal(b, buf, m.Transmitted())
			require.Empty(b, m.Violations())
			m.ClearTransmitted()

			start := m.Accesses()
			bytes := 0
			b.SetBytes(int64(len(buf)))
			b.ResetTimer()
			for b.Loop() {
				if err := p.Write(ctx, buf); err != nil {
					b.Fatal(err)
				}
				bytes += len(buf)
				m.ClearTransmitted()
			}
			b.StopTimer()
			if v := m.Violations(); len(v) > 0 {
				b.Fatalf("violations: %v", v)
			}
			b.ReportMetric(float64(m.Accesses()-start)/float64(bytes), "accesses/byte")
			b.ReportMetric(float64(bytes)/b.Elapsed().Seconds(), "bytes/s")
		})
	}
}

// benchRead measures Read. On the fast line the bytes arrive in FIFO-sized
// bursts (Inject) so the driver's own cost shows; on the slow line they are
// fed at line rate and a polling reader spends the gaps polling.
func benchRead(b *testing.B, newPort func(bus.Bus) serial.Port) {
	for _, line := range benchLines {
		b.Run(line.name, func(b *testing.B) {
			m, p := rig(b, newPort, uart16550.Options{Seed: 1, CharTicks: line.ticks}, 115200, framings[0])
			ctx := context.Background()
			data := randomBytes(2, 4096)
			got := make([]byte, len(data))
			start := m.Accesses()
			bytes := 0
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for b.Loop() {
				if line.ticks > 1 {
					m.Feed(data...)
					if err := p.Read(ctx, got); err != nil {
						b.Fatal(err)
					}
				} else {
					for off := 0; off < len(data); off += 16 {
						for _, c := range data[off : off+16] {
							m.Inject(c)
						}
						if err := p.Read(ctx, got[off:off+16]); err != nil {
							b.Fatal(err)
						}
					}
				}
				bytes += len(got)
			}
			b.StopTimer()
			require.Equal(b, data, got)
			require.Zero(b, m.Overruns())
			require.Empty(b, m.Violations())
			b.ReportMetric(float64(m.Accesses()-start)/float64(bytes), "accesses/byte")
			b.ReportMetric(float64(bytes)/b.Elapsed().Seconds(), "bytes/s")
		})
	}
}

func BenchmarkHandwrittenWrite(b *testing.B) { benchWrite(b, newHandwritten) }
func BenchmarkHandwrittenRead(b *testing.B)  { benchRead(b, newHandwritten) }

// checkRandomSessions runs many seeded sessions mixing writes, reads and
// reconfigurations on models of varying speed, jitter and FIFO presence, and
// checks every character went out with the settings in force when the
// driver handed it over, every fed byte was read, and no violation occurred.
func checkRandomSessions(t *testing.T, newPort func(bus.Bus) serial.Port, sessions int) {
	for seed := range uint64(sessions) {
		r := rand.New(rand.NewPCG(seed, 77))
		// At least 3 ticks per character: a polled reader needs two accesses
		// (LSR, RBR) per byte, and a line faster than that overruns any
		// polled driver.
		opt := uart16550.Options{Seed: seed, CharTicks: 3 + r.IntN(18), Jitter: r.IntN(6), NoFIFO: r.IntN(4) == 0}
		f := framings[r.IntN(len(framings))]
		bd := bauds[r.IntN(len(bauds))]
		m, p := rig(t, newPort, opt, bd.baud, f)
		// A lost byte would make Read wait forever: bound the session.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var want []uart16550.Frame
		for op := range 12 {
			switch r.IntN(3) {
			case 0: // write
				data := randomBytes(seed*100+uint64(op), r.IntN(60))
				require.NoError(t, p.Write(ctx, data), "seed %d", seed)
				lc := m.LineControl()
				for _, c := range data {
					want = append(want, uart16550.Frame{Data: mask([]byte{c}, lc.WordLength)[0], Divisor: m.Divisor(), Line: lc})
				}
			case 1: // read what a peer sends at line rate
				lc := m.LineControl()
				data := mask(randomBytes(seed*100+uint64(op)+50, r.IntN(40)), lc.WordLength)
				m.Feed(data...)
				got := make([]byte, len(data))
				require.NoError(t, p.Read(ctx, got), "seed %d", seed)
				require.Equal(t, data, got, "seed %d op %d", seed, op)
			case 2: // reconfigure
				f = framings[r.IntN(len(framings))]
				bd = bauds[r.IntN(len(bauds))]
				require.NoError(t, p.Configure(ctx, bd.baud, f.bits, f.parity, f.stop))
				require.Equal(t, bd.div, m.Divisor())
				require.Equal(t, f.want, m.LineControl().String())
			}
		}
		m.Drain()
		got := m.TransmittedFrames()
		if len(want) == 0 {
			want = nil
		}
		if len(got) == 0 {
			got = nil
		}
		require.Equal(t, want, got, "seed %d (%+v)", seed, opt)
		require.Empty(t, m.Violations(), "seed %d (%+v)", seed, opt)
		require.Zero(t, m.Overruns(), "seed %d", seed)
		cancel()
	}
}

func TestHandwrittenRandomSessions(t *testing.T) { checkRandomSessions(t, newHandwritten, 200) }
