package solve

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// ataState is the ATA disk's reset state with the named variables set
// (enum members by name).
func ataState(t *testing.T, m *model.Model, set map[string]string) *model.State {
	t.Helper()
	s := m.Reset().Clone()
	for name, val := range set {
		i := m.Var(name)
		require.GreaterOrEqual(t, i, 0, name)
		v := m.Vars[i]
		var n uint64
		if v.Enum != nil {
			x, ok := v.Enum.Value(val)
			require.True(t, ok, "%s=%s", name, val)
			n = x
		} else {
			_, err := fmt.Sscan(val, &n)
			require.NoError(t, err)
		}
		s.Set(i, term.C(n, v.Width))
	}
	return s
}

func ataIdle(t *testing.T, m *model.Model, extra map[string]string) *model.State {
	set := map[string]string{"phase": "Idle", "op": "NoOp", "drdy": "1", "DEVCTL.NIEN": "1", "DEVICE.LBA": "1"}
	for k, v := range extra {
		set[k] = v
	}
	return ataState(t, m, set)
}

func varNames(m *model.Model, idx []int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, m.Vars[i].Name)
	}
	return out
}

// TestDeadAtATAIdle: between commands the ATA disk's left and committing
// are set afresh by the next command before anything reads them (and
// was_err, was_df by the next command's write before the status shows
// them), so they are dead in every idle state, whatever fault left it;
// what the status shows, what the class sees (dirty: durable) and the
// interrupt are not. In the middle of a write, left and committing decide
// what the device does next: not dead.
func TestDeadAtATAIdle(t *testing.T) {
	m, err := model.Load("../../devices/ata/ata.dev")
	require.NoError(t, err)
	da := newDeadAnalysis(m)
	for _, extra := range []map[string]string{
		nil,
		{"left": "1", "committing": "1", "dirty": "1"},
		{"err": "1", "abrt": "1", "left": "1"},
		{"df": "1", "committing": "1"},
		{"intrq": "1"},
	} {
		dead := varNames(m, da.deadAt(ataIdle(t, m, extra)))
		assert.Equal(t, []string{"was_err", "was_df", "left", "committing"}, dead, "%v", extra)
	}
	busy := ataIdle(t, m, map[string]string{"phase": "Busy", "op": "Write", "committing": "1", "left": "2"})
	dead := varNames(m, da.deadAt(busy))
	assert.NotContains(t, dead, "left")
	assert.NotContains(t, dead, "committing")
	// While a command settles, the status shows was_err.
	settling := ataIdle(t, m, map[string]string{"phase": "Busy", "op": "Flush", "settling": "1"})
	assert.NotContains(t, varNames(m, da.deadAt(settling)), "was_err")
}

// TestDeadVariablesChangeNothing checks deadAt against the model itself:
// from an idle state and from the same state with its dead variables
// changed, every sequence of driver accesses (writing the values the spec
// names) and device transitions, up to a depth, shows the same register
// values, the same refusals, events, faults, interrupt line, enabled
// transitions and class bindings.
func TestDeadVariablesChangeNothing(t *testing.T) {
	m, err := model.Load("../../devices/ata/ata.dev")
	require.NoError(t, err)
	da := newDeadAnalysis(m)
	for _, extra := range []map[string]string{
		nil,
		{"err": "1", "idnf": "1", "dirty": "1"},
		{"df": "1"},
	} {
		s := ataIdle(t, m, extra)
		dead := da.deadAt(s)
		require.NotEmpty(t, dead)
		alt := s.Clone()
		for _, i := range dead {
			v := m.Vars[i]
			alt.Set(i, term.C((s.Val(i).Val+1)&(1<<v.Width-1), v.Width))
		}
		n := lockstep(t, m, s, alt, 5, 4000)
		assert.Greater(t, n, 100, "explored pairs")
	}
}

// lockstep explores the pairs of states a and b reach under the same moves,
// to depth, and fails the test at the first observation that differs. It
// returns the pairs explored.
func lockstep(t *testing.T, m *model.Model, a, b *model.State, depth, limit int) int {
	t.Helper()
	type pair struct {
		a, b  *model.State
		depth int
		path  []string
	}
	observe := func(s *model.State) string {
		var o strings.Builder
		for _, f := range m.Faults {
			h, err := m.FaultHolds(f, s)
			require.NoError(t, err)
			fmt.Fprintf(&o, "%s=%v ", f.Name, h)
		}
		irq, err := m.IRQLevel(s)
		require.NoError(t, err)
		fmt.Fprintf(&o, "irq=%v ", irq)
		for _, tr := range m.Internals {
			ok, err := m.GuardHolds(tr, s)
			require.NoError(t, err)
			fmt.Fprintf(&o, "%s=%v ", tr.Name, ok)
		}
		for _, name := range sortedKeys(m.Bindings) {
			if pb := m.Bindings[name]; len(pb.Params) == 0 {
				v, err := m.Eval(pb.Body, s, nil)
				require.NoError(t, err)
				fmt.Fprintf(&o, "%s=%s ", name, v.Key())
			}
		}
		fmt.Fprintf(&o, "events=%v", s.Events)
		return o.String()
	}
	// The values written: each field's reset value, 0, 1 and its enum's
	// members.
	writes := func(r *model.Reg) [][]*term.T {
		combos := [][]*term.T{nil}
		for _, f := range r.Fields {
			vals := map[uint64]bool{f.Reset: true, 0: true, 1: true}
			if f.Enum != nil {
				for _, mb := range f.Enum.Members {
					vals[mb.Value] = true
				}
			}
			var next [][]*term.T
			for _, c := range combos {
				for v := range vals {
					if v < 1<<f.Width {
						next = append(next, append(append([]*term.T(nil), c...), term.C(v, f.Width)))
					}
				}
			}
			combos = next
		}
		return combos
	}
	seen := map[string]bool{}
	queue := []pair{{a, b, 0, nil}}
	for len(queue) > 0 && len(seen) < limit {
		p := queue[0]
		queue = queue[1:]
		k := p.a.Key() + p.b.Key()
		if seen[k] {
			continue
		}
		seen[k] = true
		require.Equal(t, observe(p.a), observe(p.b), "after %v", p.path)
		if p.depth == depth {
			continue
		}
		step := func(what string, na, nb *model.State) {
			if na != nil && nb != nil {
				queue = append(queue, pair{na, nb, p.depth + 1, append(append([]string(nil), p.path...), what)})
			}
		}
		for _, r := range m.Regs {
			if r.Read {
				va, na, viola, err := m.ReadReg(p.a, r)
				require.NoError(t, err)
				vb, nb, violb, err := m.ReadReg(p.b, r)
				require.NoError(t, err)
				require.Equal(t, fmt.Sprint(va), fmt.Sprint(vb), "read %s after %v", r.Name, p.path)
				require.Equal(t, viola == nil, violb == nil, "read %s after %v", r.Name, p.path)
				if viola == nil {
					step("read "+r.Name, na, nb)
				}
			}
			if r.Write {
				for _, vals := range writes(r) {
					na, viola, err := m.WriteReg(p.a, r, vals)
					require.NoError(t, err)
					nb, violb, err := m.WriteReg(p.b, r, vals)
					require.NoError(t, err)
					what := fmt.Sprintf("write %s %v", r.Name, vals)
					require.Equal(t, viola == nil, violb == nil, "%s after %v", what, p.path)
					if viola == nil {
						step(what, na, nb)
					}
				}
			}
		}
		for _, st := range m.Streams {
			for _, read := range []bool{true, false} {
				if read && !st.Read || !read && !st.Write {
					continue
				}
				buf := term.P("buf", st.Width)
				na, viola, err := m.StreamIO(p.a, st, read, buf)
				require.NoError(t, err)
				nb, violb, err := m.StreamIO(p.b, st, read, buf)
				require.NoError(t, err)
				what := fmt.Sprintf("stream %s read=%v", st.Name, read)
				require.Equal(t, viola == nil, violb == nil, "%s after %v", what, p.path)
				if viola == nil {
					step(what, na, nb)
				}
			}
		}
		for _, tr := range m.Internals {
			if ok, _ := m.GuardHolds(tr, p.a); !ok {
				continue
			}
			na, err := m.Fire(tr, p.a, nil)
			require.NoError(t, err)
			nb, err := m.Fire(tr, p.b, nil)
			require.NoError(t, err)
			step(tr.Name, na, nb)
		}
	}
	return len(seen)
}

// TestMergedInvariantSameDrivers: merging the idle states that differ only
// in dead variables leaves the strategies of every bundled driver as they
// were (the drift test checks the generated code), with an invariant no
// larger; on the ATA disk smaller (10 states instead of 19).
func TestMergedInvariantSameDrivers(t *testing.T) {
	devs := []string{"uart16550", "vblk", "pl011", "ata"}
	if testing.Short() {
		devs = devs[:3]
	}
	for _, dev := range devs {
		t.Run(dev, func(t *testing.T) {
			m := loadDevice(t, dev)
			merged, err := Synthesize(m)
			require.NoError(t, err)
			apart, err := SynthesizeWith(m, Options{noMerge: true})
			require.NoError(t, err)
			assert.LessOrEqual(t, merged.IdleStates, apart.IdleStates)
			if dev == "ata" {
				assert.Less(t, merged.IdleStates, apart.IdleStates)
			}
			require.Len(t, merged.Methods, len(apart.Methods))
			for i, st := range apart.Methods {
				got := merged.Methods[i]
				assert.Equal(t, st.Stats.Rank, got.Stats.Rank, st.Method.Name)
				assert.Equal(t, st.Dump(), got.Dump(), st.Method.Name)
			}
		})
	}
}

// TestDeadAtSameAlone: the analysis steps each abstract state once and
// follows those steps in every later run, and answers a state as it did
// one that agrees with it outside its dead variables. For every state of
// every bundled device's invariant, and for each with one candidate
// variable changed, it answers as an analysis that has seen nothing
// before.
func TestDeadAtSameAlone(t *testing.T) {
	devs := []string{"uart16550", "vblk", "pl011", "ata", "mc146818"}
	if testing.Short() {
		devs = devs[:3]
	}
	for _, dev := range devs {
		t.Run(dev, func(t *testing.T) {
			m := loadDevice(t, dev)
			res, err := Synthesize(m)
			require.NoError(t, err)
			shared := newDeadAnalysis(m)
			for _, k := range sortedKeys(res.idle) {
				s := res.idle[k]
				states := []*model.State{s}
				for _, i := range shared.cands {
					c := s.Clone()
					c.Set(i, term.C(s.Val(i).Val^1, m.Vars[i].Width))
					states = append(states, c)
				}
				for _, s := range states {
					assert.Equal(t, newDeadAnalysis(m).deadAt(s), shared.deadAt(s), "%s", s.Key())
				}
			}
		})
	}
}
