package solve

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
)

func synthFile(t *testing.T, path string) *Result {
	t.Helper()
	m, err := model.Load(path)
	require.NoError(t, err)
	res, err := Synthesize(m)
	require.NoError(t, err)
	return res
}

// play follows a strategy from n along the outcome in which every read
// shows the wanted value of the field it looks at (the first outcome when
// the field is not named in want), and returns the moves in spec notation,
// up to the goal.
func play(t *testing.T, n *Node, want map[string]uint64) []string {
	t.Helper()
	var moves []string
	for steps := 0; !n.Goal; steps++ {
		require.NotNil(t, n.Best, "no strategy after %v", moves)
		require.Less(t, steps, 50, "no goal after %v", moves)
		e := n.Best
		moves = append(moves, moveString(e.Act))
		next := e.Outs[0]
		for _, o := range e.Outs {
			if len(e.Act.Observe) == 1 {
				if v, ok := want[e.Act.Reg.Fields[e.Act.Observe[0]].Name]; ok && o.Obs[0] == v {
					next = o
				}
			}
		}
		require.False(t, next.Loop, "the wanted outcome polls again after %v", moves)
		n = next.Next
	}
	return moves
}

// TestUARTStrategies pins what the UART's strategies do: the register
// accesses of each method, in order, with the values written.
func TestUARTStrategies(t *testing.T) {
	res := synthFile(t, "../../devices/uart16550/uart16550.dev")
	st := map[string]*Strategy{}
	for _, s := range res.Methods {
		st[s.Method.Name] = s
	}
	require.Len(t, st, 4)

	// Init turns the FIFOs on and leaves interrupts off (their reset value).
	assert.Equal(t, []string{"write FCR FIFOE=1 RCVR_RESET=0 XMIT_RESET=0 DMA_MODE=0 TRIGGER=ONE"}, play(t, st["Init"].Starts[0], nil))

	// Configure waits until the transmitter is empty, opens the divisor
	// latch, writes the divisor from the baud rate and closes the latch.
	cfg := play(t, st["Configure"].Starts[0], map[string]uint64{"TEMT": 1})
	require.Len(t, cfg, 5, "%v", cfg)
	assert.Equal(t, "read LSR", cfg[0])
	assert.Regexp(t, `^write LCR .*DLAB=1$`, cfg[1])
	assert.Equal(t, "write DLL DIVL=(115200 / baud)[7:0]", cfg[2])
	assert.Equal(t, "write DLM DIVH=(115200 / baud)[15:8]", cfg[3])
	assert.Regexp(t, `^write LCR WLS=match bits \{ Five => BITS5, Six => BITS6, Seven => BITS7, Eight => BITS8 \} .*DLAB=0$`, cfg[4])

	// Write polls THRE once, then trusts the 16-byte FIFO for the next 15
	// bytes (element states 1-15, counted against TX_FIFO_DEPTH). After the
	// 16th the driver knows only that the shift register is busy (TEMT shows
	// it, so the solver keeps it): state 16 polls again, as state 0 does.
	w := st["Write"]
	require.NotNil(t, w.Counted)
	require.Equal(t, 17, w.ElementStates())
	for _, i := range []int{0, 16} {
		assert.Equal(t, []string{"read LSR", "write THR DATA=b"}, play(t, w.StartOf(i), map[string]uint64{"THRE": 1}), "state %d", i)
	}
	for i := 1; i <= 15; i++ {
		assert.Equal(t, []string{"write THR DATA=b"}, play(t, w.StartOf(i), nil), "state %d", i)
		goal := reachableGoals(w.StartOf(i))
		require.Len(t, goal, 1)
		assert.Equal(t, i+1, w.NextOf(i, goal[0]), "state %d hands over", i)
	}

	// Read waits for a byte (DR), then takes it from RBR.
	assert.Equal(t, []string{"read LSR", "read RBR"}, play(t, st["Read"].Starts[0], map[string]uint64{"DR": 1}))
}

// TestUARTRanks pins the worst-case bus accesses of every UART method, so a
// change to the solver that makes a strategy worse (or a search artifact
// that hides a better one) is caught. Configure polls TEMT, then writes LCR
// (DLAB set), DLL, DLM and LCR again; Write and Read poll LSR and move one
// byte.
func TestUARTRanks(t *testing.T) {
	res := synthFile(t, "../../devices/uart16550/uart16550.dev")
	ranks := map[string]int{}
	for _, st := range res.Methods {
		ranks[st.Method.Name] = st.Stats.Rank
		require.Equal(t, st.Starts[0].Rank, st.Stats.Rank, st.Method.Name)
	}
	require.Equal(t, map[string]int{"Init": 1, "Configure": 5, "Write": 2, "Read": 2}, ranks)
}

// BenchmarkSynthesizeUART measures the whole UART synthesis: every method,
// the idle fixpoint included. It reports the beliefs of all games.
func BenchmarkSynthesizeUART(b *testing.B) {
	m, err := model.Load("../../devices/uart16550/uart16550.dev")
	require.NoError(b, err)
	beliefs := 0
	for b.Loop() {
		res, err := Synthesize(m)
		require.NoError(b, err)
		beliefs = 0
		for _, st := range res.Methods {
			beliefs += st.Stats.Beliefs
		}
	}
	b.ReportMetric(float64(beliefs), "beliefs")
}
