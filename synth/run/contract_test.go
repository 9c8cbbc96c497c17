package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/synth"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/sim"
	"github.com/drvsynth/drvsynth/synth/solve"
	"github.com/drvsynth/drvsynth/synth/term"
)

// TestContractsAcrossMethods runs every bundled driver's strategies on the
// simulator, with the device free to take its unfair transitions (a
// request that fails, a backend that gives up), through random sequences
// of all the class's methods. After every call it checks the method's
// contract on the device as it is then: a method that returns without an
// error must have made every ensures clause true (the events it names were
// emitted with the request's values, its predicates hold, its results are
// what the device reported), and one that reports a fault must leave the
// device showing it. The next call starts wherever the last one left the
// device, so a method that ends outside the idle invariant (a Flush that
// believes a failed write left nothing dirty) is caught by the next
// method's contract.
func TestContractsAcrossMethods(t *testing.T) {
	seeds := 1000
	if testing.Short() {
		seeds = 100
	}
	for _, spec := range []string{
		"../../devices/uart16550/uart16550.dev",
		"../../devices/vblk/vblk.dev",
		"../solve/testdata/devices/miniclock/miniclock.dev", // the solver's RTC in small
	} {
		t.Run(filepath.Base(spec), func(t *testing.T) {
			res, err := synth.Build(spec, solve.Options{})
			require.NoError(t, err)
			faults := 0
			for seed := uint64(1); seed <= uint64(seeds); seed++ {
				faults += runSequence(t, res, seed, 12)
			}
			t.Logf("%d seeds, %d calls ended in a fault", seeds, faults)
			if len(res.Model.Faults) > 0 {
				require.Positive(t, faults, "no schedule took an error path: the test proves nothing about faults")
			}
		})
	}
}

// runSequence calls Init and then n random methods on a fresh simulated
// device, checking each call's contract; it returns the number of calls
// that reported a fault.
func runSequence(t *testing.T, res *solve.Result, seed uint64, n int) int {
	t.Helper()
	m := res.Model
	dev, err := sim.NewFromModel(m, sim.Options{Seed: seed, Unfair: true})
	require.NoError(t, err)
	mc := &Machine{Res: res, Buses: regionBuses(m, dev)}
	rnd := rand.New(rand.NewPCG(seed, 0x5eed))
	var others []*dsl.Method
	var initM *dsl.Method
	for _, st := range res.Methods {
		if st.Method.Name == solve.InitMethod {
			initM = st.Method
		} else {
			others = append(others, st.Method)
		}
	}
	faults := 0
	call := func(meth *dsl.Method) {
		args := randomArgs(m, meth, rnd)
		if meth.Name == "Read" && m.Class == "serial" {
			// The outside world sends what the method waits for.
			for _, b := range args.Buffers["buf"] {
				require.NoError(t, dev.Input("receive", uint64(b)))
			}
			clear(args.Buffers["buf"])
		}
		before := len(dev.Events())
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		results, err := mc.Call(ctx, meth.Name, args)
		cancel()
		where := fmt.Sprintf("seed %d, %s%v", seed, meth.Name, argSummary(args))
		require.NoError(t, dev.Err(), where)
		require.Empty(t, dev.Violations(), where)
		s := concreteState(t, m, dev)
		var fe *FaultError
		if errors.As(err, &fe) {
			faults++
			ok, ferr := m.FaultHolds(fe.Fault, s)
			require.NoError(t, ferr)
			require.True(t, ok, "%s: reported fault %s, which the device does not show", where, fe.Fault.Name)
			return
		}
		require.NoError(t, err, where)
		checkContract(t, where, m, meth, args, results, dev.Events()[before:], s, mc)
	}
	if initM != nil {
		call(initM)
	}
	for range n {
		call(others[rnd.IntN(len(others))])
	}
	return faults
}

// regionBuses returns the simulated device's buses in region order.
func regionBuses(m *model.Model, dev *sim.Device) []bus.Bus {
	out := make([]bus.Bus, len(m.Regions))
	for name, i := range m.Regions {
		out[i] = dev.Region(name)
	}
	return out
}

// randomArgs draws a call's arguments: numbers of the parameter's width,
// enum members, and buffers of a length the class accepts.
func randomArgs(m *model.Model, meth *dsl.Method, rnd *rand.Rand) Args {
	args := Args{Values: map[string]uint64{}, Buffers: map[string][]byte{}}
	for _, p := range meth.Params {
		switch ty := p.Type; {
		case ty.Slice:
			n := 1 + rnd.IntN(8)
			if m.Class == "block" {
				n = 512 * (1 + rnd.IntN(3))
			}
			if p.Out && m.Class == "serial" {
				n = 1 // the receiver holds one byte
			}
			buf := make([]byte, n)
			for i := range buf {
				buf[i] = byte(rnd.Uint32())
			}
			args.Buffers[p.Name] = buf
		case p.Name == "baud":
			args.Values[p.Name] = []uint64{115200, 57600, 38400, 19200, 9600, 2400, 1200}[rnd.IntN(7)]
		case ty.Named != "" && m.Enum(ty.Named) != nil:
			en := m.Enum(ty.Named)
			args.Values[p.Name] = en.Members[rnd.IntN(len(en.Members))].Value
		case ty.Bool:
			args.Values[p.Name] = rnd.Uint64N(2)
		default:
			args.Values[p.Name] = rnd.Uint64() >> 16
		}
	}
	return args
}

func argSummary(a Args) string {
	s := fmt.Sprint(a.Values)
	for k, b := range a.Buffers {
		s += fmt.Sprintf(" %s:%d bytes", k, len(b))
	}
	return s
}

// concreteState is the simulated device's state as a model state.
func concreteState(t *testing.T, m *model.Model, dev *sim.Device) *model.State {
	s := m.Reset()
	for i, v := range m.Vars {
		if v.Width == 0 || v.Width > 64 {
			continue // a buffer: no contract here looks into it
		}
		x, err := dev.Value(v.Name)
		require.NoError(t, err)
		s.Set(i, term.C(x, v.Width))
	}
	return s
}

// checkContract checks every ensures clause of meth after a call that
// returned without an error.
func checkContract(t *testing.T, where string, m *model.Model, meth *dsl.Method, args Args, results map[string]uint64, events []sim.Event, s *model.State, mc *Machine) {
	t.Helper()
	env := &model.Env{Locals: map[string]*term.T{}, Enums: map[string]*model.Enum{}}
	vars := map[string]uint64{}
	for _, p := range meth.Params {
		env.Locals[p.Name] = term.P(p.Name, 64)
		if v, ok := args.Values[p.Name]; ok {
			vars["p:"+p.Name] = v
		}
		if p.Type.Named != "" {
			env.Enums[p.Name] = m.Enum(p.Type.Named)
		}
	}
	mc.args = args
	value := func(e *dsl.Expr, elem map[string]uint64) (uint64, []byte, bool) {
		if e.Kind == dsl.NameExpr && len(e.Path) == 1 {
			name := e.Path[0]
			if v, ok := elem[name]; ok {
				return v, nil, true
			}
			if b, ok := args.Buffers[name]; ok {
				return 0, b, true
			}
			if v, ok := results[name]; ok {
				return v, nil, true
			}
		}
		x, err := m.Eval(e, nil, env)
		require.NoError(t, err, where)
		v, err := mc.eval(x, vars)
		require.NoError(t, err, where)
		return v, nil, true
	}
	// used marks the events a clause (one per element of a for-each) has
	// matched already.
	used := map[int]bool{}
	// clause checks e; with try, it reports whether e holds instead of
	// failing (the left side of ||).
	var clause func(e *dsl.Expr, elem map[string]uint64, try bool) bool
	clause = func(e *dsl.Expr, elem map[string]uint64, try bool) bool {
		switch {
		case e.Kind == dsl.BinaryExpr && e.Op == "&&":
			return clause(e.X, elem, try) && clause(e.Y, elem, try)
		case e.Kind == dsl.BinaryExpr && e.Op == "||":
			return clause(e.X, elem, true) || clause(e.Y, elem, try)
		case e.Kind == dsl.CallExpr && m.Events[e.Name()] != nil:
			for i, ev := range events {
				if used[i] || ev.Name != e.Name() || len(ev.Args) != len(e.Args) {
					continue
				}
				ok := true
				for j, a := range e.Args {
					v, b, _ := value(a, elem)
					if b != nil {
						ok = ok && bytes.Equal(b, ev.Bytes)
					} else {
						w := m.Events[e.Name()].Params[j].Type
						ok = ok && mask(v, ty(w)) == mask(ev.Args[j], ty(w))
					}
				}
				if ok {
					used[i] = true
					return true
				}
			}
			if try {
				return false
			}
			require.Failf(t, "contract broken", "%s: no event %s (%s) with the request's values; events: %v", where, dsl.FormatExpr(e), e.Pos, events)
		default:
			name := e.Name()
			pb := m.Bindings[name]
			require.NotNil(t, pb, "%s: clause %s", where, dsl.FormatExpr(e))
			benv := &model.Env{Locals: map[string]*term.T{}, Enums: map[string]*model.Enum{}}
			decl := m.Preds[name]
			for i, p := range pb.Params {
				v, _, _ := value(e.Args[i], elem)
				benv.Locals[p.Name] = term.C(v, 64)
				if decl != nil && decl.Params[i].Type.Named != "" {
					benv.Enums[p.Name] = m.Enum(decl.Params[i].Type.Named)
				}
			}
			v, err := m.Eval(pb.Body, s, benv)
			require.NoError(t, err, where)
			if try {
				return v.IsConst() && v.IsTrue()
			}
			require.True(t, v.IsConst() && v.IsTrue(), "%s: %s (%s) does not hold after the call: %s", where, dsl.FormatExpr(e), e.Pos, v)
		}
		return true
	}
	for _, c := range meth.Clauses {
		switch {
		case c.Ensures != nil:
			clause(c.Ensures, nil, false)
		case c.For != nil:
			buf := args.Buffers[c.For.Over.Name]
			for _, b := range buf {
				for _, cc := range c.For.Clauses {
					if cc.Ensures != nil {
						clause(cc.Ensures, map[string]uint64{c.For.Var: uint64(b)}, false)
					}
				}
			}
		}
	}
}

func ty(t *dsl.Type) int {
	switch {
	case t.Data != nil:
		return *t.Data
	case t.Uint != nil:
		return *t.Uint
	}
	return 64
}

func mask(v uint64, w int) uint64 {
	if w >= 64 {
		return v
	}
	return v & (1<<uint(w) - 1)
}
