package solve

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/spectest"
)

const uartSpec = "../../devices/uart16550/uart16550.dev"

// uartWith loads the UART spec with edits applied.
func uartWith(t testing.TB, edits ...[2]string) *model.Model {
	t.Helper()
	path := spectest.Tree(t, "../../os-interface/serial/serial.osi", "os-interface/serial/serial.osi",
		"devices/uart/uart.dev", spectest.Edit(t, uartSpec, edits...))
	m, err := model.Load(path)
	require.NoError(t, err)
	return m
}

// uartDepth is the UART with a transmit FIFO of depth n (and a counter
// wide enough to hold it).
func uartDepth(t testing.TB, n int) *model.Model {
	w := 1
	for 1<<w <= n {
		w++
	}
	return uartWith(t,
		[2]string{"const TX_FIFO_DEPTH = 16", fmt.Sprintf("const TX_FIFO_DEPTH = %d", n)},
		[2]string{"state tx_count: uint<5>", fmt.Sprintf("state tx_count: uint<%d>", w)})
}

func TestFindCounterInTheUART(t *testing.T) {
	m, err := model.Load(uartSpec)
	require.NoError(t, err)
	c := findCounter(m)
	require.NotNil(t, c, "tx_count only counts, against TX_FIFO_DEPTH")
	assert.Equal(t, "tx_count", c.v)
	assert.Equal(t, "TX_FIFO_DEPTH", c.k)
	assert.EqualValues(t, 16, c.value)
	assert.EqualValues(t, 1, c.maxLit, "the counter meets 0 and 1 besides the bound")
}

// A variable the spec uses as more than a count is no counter: its middle
// values can be told apart, so the cutoff argument does not hold.
func TestFindCounterRejectsOtherUses(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit [2]string
	}{
		{"the fill level is readable", [2]string{"register SCR @ 7 : rw {\n\t\tfield DATA [7:0]\n\t}", "register SCR @ 7 : ro {\n\t\tfield LEVEL [4:0] = tx_count\n\t}"}},
		{"the bound is used elsewhere", [2]string{"const TX_FIFO_DEPTH = 16", "const TX_FIFO_DEPTH = 16\n\tconst TX_HALF = TX_FIFO_DEPTH / 2"}},
		{"the count steps by two", [2]string{"tx_count = tx_count + 1", "tx_count = tx_count + 2"}},
		{"the count may pass its bound", [2]string{"require tx_count < (FCR.FIFOE == 1 ? TX_FIFO_DEPTH : 1) \"THR written while the holding register (or FIFO) is full\"", "require tx_count <= (FCR.FIFOE == 1 ? TX_FIFO_DEPTH : 1) \"THR written while the holding register (or FIFO) is full\""}},
		{"the count may drop below zero", [2]string{"internal load fair when tx_count > 0 && !tsr_busy", "internal load fair when !tsr_busy"}},
		{"the count takes part in arithmetic", [2]string{"if tx_count == 1 {", "if tx_count - 1 == 0 {"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Nil(t, findCounter(uartWith(t, tc.edit)))
		})
	}
}

// elementText is the step of element state i, with the state it hands
// over to as a number on the real device: what the driver does, state by
// state, whether the states were solved one by one or as a counted run.
func elementText(st *Strategy, i int) string {
	n := st.StartOf(i)
	return stepText(st, n, func(int) string { return "" }) + "next: " + nextStates(st, i, n)
}

func nextStates(st *Strategy, i int, n *Node) string {
	var out []string
	for _, g := range reachableGoals(n) {
		out = append(out, fmt.Sprint(st.NextOf(i, g)))
	}
	return strings.Join(out, ",")
}

// TestCountedRunMatchesStateByState: for FIFO depths small enough to solve
// state by state, the counted solution does exactly what the unrolled one
// does in every element state, and every other method is the same; on the
// UART at three depths and on the PL011, whose FIFO full flag compares the
// counter with the bound itself.
func TestCountedRunMatchesStateByState(t *testing.T) {
	models := map[string]func(t *testing.T) *model.Model{}
	for _, depth := range []int{8, 16, 31} {
		models[fmt.Sprintf("uart16550 depth %d", depth)] = func(t *testing.T) *model.Model { return uartDepth(t, depth) }
	}
	models["pl011"] = func(t *testing.T) *model.Model {
		m, err := model.Load("../../devices/pl011/pl011.dev")
		require.NoError(t, err)
		return m
	}
	for name, load := range models {
		t.Run(name, func(t *testing.T) {
			m := load(t)
			counted, err := Synthesize(m)
			require.NoError(t, err)
			unrolled, err := SynthesizeWith(m, Options{noCounter: true})
			require.NoError(t, err)
			require.Len(t, counted.Methods, len(unrolled.Methods))
			runs := 0
			for i, st := range counted.Methods {
				ut := unrolled.Methods[i]
				if st.Counted == nil {
					assert.Equal(t, strategyText(ut), strategyText(st), st.Method.Name)
					continue
				}
				runs++
				assert.Equal(t, "tx_count", st.Counted.Var)
				assert.Equal(t, "TX_FIFO_DEPTH", st.Counted.Const)
				require.Equal(t, ut.ElementStates(), st.ElementStates(), "%s: element states", st.Method.Name)
				assert.Less(t, len(st.Starts), 8, "the run is solved once, not per slot")
				for l := 0; l < st.ElementStates(); l++ {
					require.Equal(t, elementText(ut, l), elementText(st, l), "%s: element state %d", st.Method.Name, l)
				}
			}
			assert.Equal(t, 1, runs, "Write counts the bytes in the FIFO")
		})
	}
}

// TestDeepFIFOSolvesLikeAShallowOne: the counted game does not grow with
// the FIFO: depths 16, 64, 128 and 1024 create the same beliefs.
func TestDeepFIFOSolvesLikeAShallowOne(t *testing.T) {
	var beliefs []string
	for _, depth := range []int{16, 64, 128, 1024} {
		res, err := Synthesize(uartDepth(t, depth))
		require.NoError(t, err, "depth %d", depth)
		var b []string
		for _, st := range res.Methods {
			b = append(b, fmt.Sprintf("%s:%d", st.Method.Name, st.Stats.Beliefs))
			if st.Method.Name == "Write" {
				require.NotNil(t, st.Counted, "depth %d", depth)
				// One element state per byte the FIFO takes after the driver saw
				// it empty, and one more once it is full with the shift register
				// busy (TEMT shows it).
				assert.Equal(t, depth+1, st.ElementStates())
			}
		}
		beliefs = append(beliefs, strings.Join(b, " "))
	}
	for _, b := range beliefs[1:] {
		assert.Equal(t, beliefs[0], b)
	}
}

// TestCounterFallsBackWhenTheCutoffFails: a spec whose shallow instances
// do not solve (the transmitter never drains) is solved as it is, so the
// error is the device's own counterexample.
func TestCounterFallsBackWhenTheCutoffFails(t *testing.T) {
	m := uartWith(t,
		[2]string{"field THRE [5] = tx_count == 0", "field THRE [5] = false"},
		[2]string{"field TEMT [6] = tx_count == 0 && !tsr_busy", "field TEMT [6] = false"},
		[2]string{"field NOPEND [0] = !((IER.ERBFI == 1 && rx_ready) || (IER.ETBEI == 1 && thre_int))", "field NOPEND [0] = !(IER.ERBFI == 1 && rx_ready)"})
	require.NotNil(t, findCounter(m))
	_, err := Synthesize(m)
	var u *Unrealizable
	require.ErrorAs(t, err, &u)
}

// BenchmarkSynthesizeDeepFIFO measures the whole UART synthesis at three
// FIFO depths; with the counter the time should not follow the depth.
func BenchmarkSynthesizeDeepFIFO(b *testing.B) {
	for _, depth := range []int{16, 64, 1024} {
		b.Run(fmt.Sprint(depth), func(b *testing.B) {
			m := uartDepth(b, depth)
			for b.Loop() {
				if _, err := Synthesize(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
