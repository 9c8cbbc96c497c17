package uart16550_test

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/serial"
	"github.com/drvsynth/drvsynth/synth"
	"github.com/drvsynth/drvsynth/synth/gen"
	"github.com/drvsynth/drvsynth/synth/run"
	"github.com/drvsynth/drvsynth/synth/sim"
	"github.com/drvsynth/drvsynth/synth/solve"
	"github.com/drvsynth/drvsynth/synth/spectest"
)

// A variant is the UART spec with one change, as a datasheet revision or a
// different chip would make it. The synthesizer must follow the change
// without anyone touching a driver.
type variant struct {
	name  string
	edits [][2]string // old, new: each old must occur in the spec
}

func (v variant) synthesize(t *testing.T) (*solve.Result, error) {
	t.Helper()
	path := spectest.Tree(t, "../../os-interface/serial/serial.osi", "os-interface/serial/serial.osi",
		"devices/uart/uart.dev", spectest.Edit(t, "uart16550.dev", v.edits...))
	return synth.Build(path, solve.Options{})
}

var realizable = []variant{
	{"line status moved to offset 6, modem status to 5", [][2]string{
		{"register LSR @ 5 : ro", "register LSR @ 6 : ro"},
		{"register MSR @ 6 : ro", "register MSR @ 5 : ro"},
	}},
	{"transmit status of inverted polarity (THRF: 1 while bytes wait)", [][2]string{
		{"field THRE [5] = tx_count == 0", "field THRF [5] = tx_count != 0"},
	}},
	{"transmitter needs OUT2 set before a byte is written", [][2]string{
		{"require tx_count < (FCR.FIFOE == 1 ? TX_FIFO_DEPTH : 1)", "require MCR.OUT2 == 1 \"transmitter not enabled\"\n\t\t\trequire tx_count < (FCR.FIFOE == 1 ? TX_FIFO_DEPTH : 1)"},
	}},
	{"a 1.5 MHz input clock", [][2]string{
		{"const BAUD_CLOCK = 115200", "const BAUD_CLOCK = 93750"},
	}},
	{"divisor latch at its own offsets, not banked behind DLAB", [][2]string{
		{"register DLL @ 0 : rw when LCR.DLAB == 1", "register DLL @ 8 : rw"},
		{"register DLM @ 1 : rw when LCR.DLAB == 1", "register DLM @ 9 : rw"},
	}},
}

var unrealizable = []variant{
	{"no way to see the transmitter drain", [][2]string{
		{"field THRE [5] = tx_count == 0", "field THRE [5] = false"},
		{"field TEMT [6] = tx_count == 0 && !tsr_busy", "field TEMT [6] = false"},
		{"field NOPEND [0] = !((IER.ERBFI == 1 && rx_ready) || (IER.ETBEI == 1 && thre_int))", "field NOPEND [0] = !(IER.ERBFI == 1 && rx_ready)"},
	}},
	{"the required enable bit is read-only", [][2]string{
		{"require tx_count < (FCR.FIFOE == 1 ? TX_FIFO_DEPTH : 1)", "require MCR.OUT2 == 1 \"transmitter not enabled\"\n\t\t\trequire tx_count < (FCR.FIFOE == 1 ? TX_FIFO_DEPTH : 1)"},
		{"field OUT2 [3]", "field OUT2 [3] = false"},
	}},
	{"DLAB can never be set", [][2]string{
		{"field DLAB [7]\n", "field DLAB [7] = false\n"},
	}},
}

// TestRealizableVariants: each variant synthesizes a driver that differs
// from the original's and runs correctly on the simulator of the variant.
func TestRealizableVariants(t *testing.T) {
	base, err := variant{name: "original"}.synthesize(t)
	require.NoError(t, err)
	for _, v := range realizable {
		t.Run(v.name, func(t *testing.T) {
			res, err := v.synthesize(t)
			require.NoError(t, err)
			assert.NotEqual(t, dumps(base), dumps(res), "the variant must change the driver")
			for seed := uint64(1); seed <= 50; seed++ {
				dev, err := sim.NewFromModel(res.Model, sim.Options{Seed: seed})
				require.NoError(t, err)
				mc := &run.Machine{Res: res, Buses: []bus.Bus{dev.Bus()}}
				ctx := context.Background()
				_, err = mc.Call(ctx, "Init", run.Args{})
				require.NoError(t, err)
				_, err = mc.Call(ctx, "Configure", run.Args{Values: map[string]uint64{
					"baud": 9600, "bits": uint64(serial.DataBitsEight), "parity": uint64(serial.ParityNone), "stop": uint64(serial.StopBitsOne)}})
				require.NoError(t, err)
				msg := []byte("synthesized, not written")
				_, err = mc.Call(ctx, "Write", run.Args{Buffers: map[string][]byte{"buf": msg}})
				require.NoError(t, err)
				require.NoError(t, dev.Err())
				require.Empty(t, dev.Violations(), "seed %d", seed)
				var sent []byte
				for _, e := range dev.Events() {
					if e.Name == "tx" {
						sent = append(sent, byte(e.Args[0]))
					}
				}
				require.Equal(t, msg, sent, "seed %d", seed)
			}
		})
	}
}

// deepFIFO is the UART with a transmit FIFO of depth n, as the 16750 (64
// bytes) or a UART in an FPGA (1024) has one.
func deepFIFO(n int) variant {
	w := bits.Len(uint(n))
	return variant{fmt.Sprintf("a %d-byte transmit FIFO", n), [][2]string{
		{"const TX_FIFO_DEPTH = 16", fmt.Sprintf("const TX_FIFO_DEPTH = %d", n)},
		{"state tx_count: uint<5>", fmt.Sprintf("state tx_count: uint<%d>", w)},
	}}
}

// TestDeepFIFOVariants: a FIFO of 64 or 1024 bytes synthesizes into the
// same driver as one of 16, but for the depth constant, and that driver
// fills the whole FIFO between two looks at THRE on the simulator of the
// deep device, with no violation.
func TestDeepFIFOVariants(t *testing.T) {
	base, err := variant{name: "original"}.synthesize(t)
	require.NoError(t, err)
	depthLine := regexp.MustCompile(`TX_FIFO_DEPTH = \d+ +`)
	for _, n := range []int{64, 1024} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			res, err := deepFIFO(n).synthesize(t)
			require.NoError(t, err)
			assert.Equal(t, depthLine.ReplaceAllString(dumps(base), "TX_FIFO_DEPTH = N "), depthLine.ReplaceAllString(dumps(res), "TX_FIFO_DEPTH = N "),
				"the driver names the depth; nothing else changes")
			for seed := uint64(1); seed <= 20; seed++ {
				dev, err := sim.NewFromModel(res.Model, sim.Options{Seed: seed})
				require.NoError(t, err)
				mc := &run.Machine{Res: res, Buses: []bus.Bus{dev.Bus()}}
				ctx := context.Background()
				_, err = mc.Call(ctx, "Init", run.Args{})
				require.NoError(t, err)
				_, err = mc.Call(ctx, "Configure", run.Args{Values: map[string]uint64{
					"baud": 9600, "bits": uint64(serial.DataBitsEight), "parity": uint64(serial.ParityNone), "stop": uint64(serial.StopBitsOne)}})
				require.NoError(t, err)
				msg := make([]byte, 2*n+7)
				for i := range msg {
					msg[i] = byte(i*7 + int(seed))
				}
				_, err = mc.Call(ctx, "Write", run.Args{Buffers: map[string][]byte{"buf": msg}})
				require.NoError(t, err)
				require.NoError(t, dev.Err())
				require.Empty(t, dev.Violations(), "seed %d", seed)
				var sent []byte
				for _, e := range dev.Events() {
					if e.Name == "tx" {
						sent = append(sent, byte(e.Args[0]))
					}
				}
				require.Equal(t, msg, sent, "seed %d", seed)
			}
		})
	}
}

// TestBundledWriteCountsAgainstTheDepth: the shipped driver's Write
// names the FIFO depth instead of listing a case per FIFO slot.
func TestBundledWriteCountsAgainstTheDepth(t *testing.T) {
	src, err := os.ReadFile("../../generated/uart16550/uart16550.go")
	require.NoError(t, err)
	step := regexp.MustCompile(`(?s)func \(d \*Driver\) writeElement\(.*?\n}\n`).Find(src)
	require.NotNil(t, step, "Write has a step function")
	assert.Contains(t, string(step), "TX_FIFO_DEPTH", "the step counts against the spec's depth")
	assert.NotRegexp(t, `case [0-9]+, [0-9]+`, string(step), "no case lists FIFO slots")
	assert.LessOrEqual(t, strings.Count(string(step), "case "), 4, "a few arms, whatever the depth")
}

// TestUnrealizableVariants: each variant fails with a counterexample that
// points into the spec.
func TestUnrealizableVariants(t *testing.T) {
	for _, v := range unrealizable {
		t.Run(v.name, func(t *testing.T) {
			_, err := v.synthesize(t)
			var u *solve.Unrealizable
			require.Error(t, err)
			require.True(t, errors.As(err, &u), "want a counterexample, got %v", err)
			assert.Regexp(t, `uart\.dev:\d+`, err.Error(), "the trace names spec lines")
			t.Logf("%v", err)
		})
	}
}

// dumps is the driver as Go source: what a reviewer would diff.
func dumps(res *solve.Result) string {
	src, err := gen.Generate(res, "uart.dev")
	if err != nil {
		return err.Error()
	}
	return string(src)
}
