package trace_test

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/bus/trace"
)

// mem is a little-endian register file: enough of a device to check that the
// tracer forwards values both ways.
type mem struct{ b [64]byte }

func (m *mem) Read8(off uint32) uint8     { return m.b[off] }
func (m *mem) Read16(off uint32) uint16   { return binary.LittleEndian.Uint16(m.b[off:]) }
func (m *mem) Read32(off uint32) uint32   { return binary.LittleEndian.Uint32(m.b[off:]) }
func (m *mem) Write8(off uint32, v uint8) { m.b[off] = v }
func (m *mem) Write16(off uint32, v uint16) {
	binary.LittleEndian.PutUint16(m.b[off:], v)
}
func (m *mem) Write32(off uint32, v uint32) {
	binary.LittleEndian.PutUint32(m.b[off:], v)
}
func (m *mem) ReadStream(off uint32, width int, buf []byte) { copy(buf, m.b[off:]) }
func (m *mem) WriteStream(off uint32, width int, buf []byte) {
	copy(m.b[off:], buf)
}

// irqMem adds an interrupt line that is raised once.
type irqMem struct {
	mem
	raised bool
}

func (m *irqMem) WaitIRQ(ctx context.Context) error {
	if m.raised {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

type pollMem struct {
	mem
	pauses []int
}

func (m *pollMem) Pause(i int) { m.pauses = append(m.pauses, i) }

type bothMem struct {
	irqMem
	pauses int
}

func (m *bothMem) Pause(int) { m.pauses++ }

func TestRecordsEveryAccessInOrder(t *testing.T) {
	dev := &mem{}
	b, tr := trace.New(dev)

	b.Write8(1, 0xAB)
	b.Write16(2, 0x1234)
	b.Write32(4, 0xDEADBEEF)
	assert.Equal(t, uint8(0xAB), b.Read8(1))
	assert.Equal(t, uint16(0x1234), b.Read16(2))
	assert.Equal(t, uint32(0xDEADBEEF), b.Read32(4))
	b.WriteStream(16, 2, []byte{1, 2, 3, 4})
	out := make([]byte, 4)
	b.ReadStream(16, 2, out)
	assert.Equal(t, []byte{1, 2, 3, 4}, out)

	acc := tr.Accesses()
	require.Len(t, acc, 8)
	want := []trace.Access{
		{Seq: 0, Kind: trace.Write, Width: 1, Off: 1, Value: 0xAB},
		{Seq: 1, Kind: trace.Write, Width: 2, Off: 2, Value: 0x1234},
		{Seq: 2, Kind: trace.Write, Width: 4, Off: 4, Value: 0xDEADBEEF},
		{Seq: 3, Kind: trace.Read, Width: 1, Off: 1, Value: 0xAB},
		{Seq: 4, Kind: trace.Read, Width: 2, Off: 2, Value: 0x1234},
		{Seq: 5, Kind: trace.Read, Width: 4, Off: 4, Value: 0xDEADBEEF},
		{Seq: 6, Kind: trace.WriteStream, Width: 2, Off: 16, Len: 4, Data: []byte{1, 2, 3, 4}},
		{Seq: 7, Kind: trace.ReadStream, Width: 2, Off: 16, Len: 4, Data: []byte{1, 2, 3, 4}},
	}
	assert.Equal(t, want, acc)

	assert.Equal(t, 3, tr.Count(trace.Write))
	assert.Equal(t, 3, tr.Count(trace.Read))
	assert.Equal(t, map[trace.Kind]int{trace.Read: 3, trace.Write: 3, trace.ReadStream: 1, trace.WriteStream: 1}, tr.Counts())
	// Two streams of four bytes in 16-bit units are two bus cycles each.
	assert.Equal(t, 6+2+2, tr.BusAccesses())
	assert.Equal(t, 8, tr.Len())

	tr.Reset()
	assert.Equal(t, 0, tr.Len())
	assert.Empty(t, tr.Accesses())
}

func TestStreamDataIsCopied(t *testing.T) {
	b, tr := trace.New(&mem{})
	buf := []byte{9, 8}
	b.WriteStream(0, 1, buf)
	buf[0] = 0
	assert.Equal(t, []byte{9, 8}, tr.Accesses()[0].Data, "later changes to the caller's buffer must not rewrite history")
}

func TestOptionalInterfacesMirrorTheWrappedBus(t *testing.T) {
	plain, _ := trace.New(&mem{})
	_, ok := plain.(bus.Interrupts)
	assert.False(t, ok, "a bus without an interrupt line must not grow one")
	_, ok = plain.(bus.Poller)
	assert.False(t, ok)

	pm := &pollMem{}
	pb, tr := trace.New(pm)
	_, ok = pb.(bus.Interrupts)
	assert.False(t, ok)
	p, ok := pb.(bus.Poller)
	require.True(t, ok)
	p.Pause(3)
	assert.Equal(t, []int{3}, pm.pauses, "Pause is forwarded")
	assert.Equal(t, []trace.Access{{Kind: trace.Pause, Value: 3}}, tr.Accesses())
	assert.Equal(t, 0, tr.BusAccesses(), "a pause is not a bus access")

	im := &irqMem{}
	ib, tr := trace.New(im)
	_, ok = ib.(bus.Poller)
	assert.False(t, ok)
	w, ok := ib.(bus.Interrupts)
	require.True(t, ok)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := w.WaitIRQ(ctx)
	assert.True(t, errors.Is(err, context.Canceled))
	im.raised = true
	assert.NoError(t, w.WaitIRQ(context.Background()))
	acc := tr.Accesses()
	require.Len(t, acc, 2)
	assert.Equal(t, trace.WaitIRQ, acc[0].Kind)
	assert.ErrorIs(t, acc[0].Err, context.Canceled)
	assert.NoError(t, acc[1].Err)

	bm := &bothMem{}
	bb, _ := trace.New(bm)
	_, ok = bb.(bus.Interrupts)
	assert.True(t, ok)
	bp, ok := bb.(bus.Poller)
	require.True(t, ok)
	bp.Pause(0)
	assert.Equal(t, 1, bm.pauses)
}

func TestFormatNamesRegistersPerDirection(t *testing.T) {
	b, tr := trace.New(&mem{})
	b.Write8(2, 0x07)
	b.Read8(2)
	b.Write16(8, 0xBEEF)
	b.Read8(9)
	names := trace.Names{
		Read:  map[uint32]string{2: "IIR"},
		Write: map[uint32]string{2: "FCR", 8: "CMD"},
	}
	want := "" +
		"   0 W  FCR        <- 0x07\n" +
		"   1 R  IIR        -> 0x07\n" +
		"   2 W  CMD        <- 0xbeef\n" +
		"   3 R  @0x9       -> 0xbe\n"
	assert.Equal(t, want, tr.Format(names))
	assert.Contains(t, tr.String(), "W  @0x2       <- 0x07")
}

func TestFormatWithStatefulNamer(t *testing.T) {
	b, tr := trace.New(&mem{})
	b.Write8(3, 0x80) // select bank 1
	b.Write8(0, 0x01)
	b.Write8(3, 0x00) // back to bank 0
	b.Write8(0, 0x41)
	bank := 0
	n := trace.NamerFunc(func(a trace.Access) string {
		switch {
		case a.Off == 3:
			if a.Kind == trace.Write {
				bank = int(a.Value >> 7)
			}
			return "SEL"
		case a.Off == 0 && bank == 1:
			return "LOW"
		case a.Off == 0:
			return "DATA"
		}
		return ""
	})
	out := tr.Format(n)
	assert.Equal(t, ""+
		"   0 W  SEL        <- 0x80\n"+
		"   1 W  LOW        <- 0x01\n"+
		"   2 W  SEL        <- 0x00\n"+
		"   3 W  DATA       <- 0x41\n", out)
}

func TestConcurrentRecording(t *testing.T) {
	b, tr := trace.New(&mem{})
	done := make(chan struct{})
	for range 4 {
		go func() {
			for range 250 {
				b.Read8(0)
			}
			done <- struct{}{}
		}()
	}
	for range 4 {
		<-done
	}
	acc := tr.Accesses()
	require.Len(t, acc, 1000)
	for i, a := range acc {
		assert.Equal(t, i, a.Seq)
	}
}
