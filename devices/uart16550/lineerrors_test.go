package uart16550_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/uart16550"
	synthesized "github.com/drvsynth/drvsynth/generated/uart16550"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/serial"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/sim"
)

// checkLineErrors: a byte the chip reports as damaged is still taken, and
// Read stops there with a *serial.LineError naming the byte's index and
// what happened; the bytes after it are read cleanly by the next Read.
// Both the synthesized driver and the hand-written baseline must pass it.
func checkLineErrors(t *testing.T, newPort func(bus.Bus) serial.Port) {
	all := []error{serial.ErrOverrun, serial.ErrParity, serial.ErrFraming, serial.ErrBreak}
	cases := []struct {
		name   string
		before string // good bytes ahead of the damaged one
		inject func(m *uart16550.Model)
		byte   byte
		want   []error // the errors the damaged byte must carry
	}{
		{"parity", "ok", func(m *uart16550.Model) { m.InjectWithError('x', uart16550.ErrParity) }, 'x', []error{serial.ErrParity}},
		{"framing", "abc", func(m *uart16550.Model) { m.InjectWithError('y', uart16550.ErrFraming) }, 'y', []error{serial.ErrFraming}},
		{"parity and framing", "", func(m *uart16550.Model) { m.InjectWithError('z', uart16550.ErrParity|uart16550.ErrFraming) }, 'z',
			[]error{serial.ErrParity, serial.ErrFraming}},
		// The model loads a break as one 0 character with BI and FE, as
		// the chip does.
		{"break", "hello", func(m *uart16550.Model) { m.InjectBreak() }, 0, []error{serial.ErrBreak, serial.ErrFraming}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, p := rig(t, newPort, uart16550.Options{Seed: 8}, 9600, framings[0])
			ctx := context.Background()
			for _, c := range []byte(tc.before) {
				m.Inject(c)
			}
			tc.inject(m)
			m.Inject('k')
			got := make([]byte, len(tc.before)+2)
			err := p.Read(ctx, got)
			var le *serial.LineError
			require.True(t, errors.As(err, &le), "got %v", err)
			assert.Equal(t, len(tc.before), le.Index, "the index of the damaged byte")
			assert.Equal(t, tc.before+string(tc.byte), string(got[:le.Index+1]), "the damaged byte is taken")
			for _, e := range all {
				want := false
				for _, w := range tc.want {
					want = want || w == e
				}
				assert.Equal(t, want, errors.Is(err, e), "errors.Is(err, %v) for %v", e, err)
			}
			assert.Equal(t, "LSR", le.Reg)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w.Error())
			}
			assert.Contains(t, err.Error(), fmt.Sprintf("element %d", le.Index))
			rest := make([]byte, 1)
			require.NoError(t, p.Read(ctx, rest), "an error is reported once")
			assert.Equal(t, "k", string(rest))
			assert.Empty(t, m.Violations())
		})
	}
	t.Run("overrun", func(t *testing.T) {
		// 17 bytes into a 16-byte FIFO nobody reads: the last one is lost,
		// and the next byte read carries the overrun.
		m, p := rig(t, newPort, uart16550.Options{Seed: 9}, 9600, framings[0])
		ctx := context.Background()
		data := randomBytes(5, 17)
		for _, c := range data {
			m.Inject(c)
		}
		require.Equal(t, 1, m.Overruns())
		got := make([]byte, 16)
		err := p.Read(ctx, got)
		var le *serial.LineError
		require.True(t, errors.As(err, &le), "got %v", err)
		assert.Equal(t, 0, le.Index)
		assert.ErrorIs(t, err, serial.ErrOverrun)
		assert.NotErrorIs(t, err, serial.ErrParity)
		assert.Equal(t, data[:1], got[:1])
		require.NoError(t, p.Read(ctx, got[1:]))
		assert.Equal(t, data[:16], got, "the FIFO kept the first 16 bytes")
		assert.Empty(t, m.Violations())
	})
	t.Run("clean", func(t *testing.T) {
		m, p := rig(t, newPort, uart16550.Options{Seed: 10}, 9600, framings[0])
		data := randomBytes(6, 16)
		for _, c := range data {
			m.Inject(c)
		}
		got := make([]byte, 16)
		require.NoError(t, p.Read(context.Background(), got))
		assert.Equal(t, data, got)
	})
}

func TestSynthesizedReportsLineErrors(t *testing.T) { checkLineErrors(t, newSynthesized) }

// TestSynthesizedLineErrorsOnSimulator: on the spec executed as a bus, a
// byte that arrives through one of the spec's error inputs comes back as
// that error, for that byte, under random schedules of the device.
func TestSynthesizedLineErrorsOnSimulator(t *testing.T) {
	m, err := model.Load("uart16550.dev")
	require.NoError(t, err)
	inputs := []struct {
		name string
		want []error
	}{
		{"receive_parity_error", []error{serial.ErrParity}},
		{"receive_framing_error", []error{serial.ErrFraming}},
		{"line_break", []error{serial.ErrBreak, serial.ErrFraming}},
	}
	ctx := context.Background()
	for seed := uint64(1); seed <= 100; seed++ {
		in := inputs[seed%uint64(len(inputs))]
		dev, err := sim.NewFromModel(m, sim.Options{Seed: seed})
		require.NoError(t, err)
		d := synthesized.New(dev.Bus())
		require.NoError(t, d.Init(ctx))
		require.NoError(t, d.Configure(ctx, 9600, serial.DataBitsEight, serial.ParityOdd, serial.StopBitsOne))
		got := make([]byte, 4)
		for i := range 2 {
			require.NoError(t, dev.Input("receive", uint64('a'+i)))
			require.NoError(t, d.Read(ctx, got[i:i+1]))
		}
		require.NoError(t, dev.Input(in.name, 0x5a))
		err = d.Read(ctx, got[2:])
		var le *serial.LineError
		require.True(t, errors.As(err, &le), "seed %d: %v", seed, err)
		assert.Equal(t, 0, le.Index, "seed %d: the first byte of this Read", seed)
		assert.Equal(t, byte(0x5a), got[2], "seed %d: the damaged byte is taken", seed)
		for _, w := range in.want {
			assert.ErrorIs(t, err, w, "seed %d", seed)
		}
		assert.NotErrorIs(t, err, serial.ErrOverrun, "seed %d", seed)
		// Reading LSR cleared the bits: the next byte is clean.
		require.NoError(t, dev.Input("receive", 'z'))
		require.NoError(t, d.Read(ctx, got[3:]))
		assert.Equal(t, byte('z'), got[3])
		// A byte that overwrites an unread one overruns.
		require.NoError(t, dev.Input("receive", 1))
		require.NoError(t, dev.Input("receive", 2))
		err = d.Read(ctx, got[:1])
		assert.ErrorIs(t, err, serial.ErrOverrun, "seed %d", seed)
		assert.Equal(t, byte(2), got[0], "seed %d", seed)
		require.NoError(t, dev.Err())
		require.Empty(t, dev.Violations(), "seed %d", seed)
	}
}
