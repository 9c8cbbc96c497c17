package model

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/term"
)

// randomState gives every finite variable a random value of its width and
// every data variable its entry value or a random constant.
func randomState(m *Model, rnd *rand.Rand) *State {
	s := m.Reset()
	for i, v := range m.Vars {
		switch {
		case v.Finite && v.Enum != nil && len(v.Enum.Members) > 0:
			s.Set(i, term.C(v.Enum.Members[rnd.Intn(len(v.Enum.Members))].Value, v.Width))
		case v.Finite:
			s.Set(i, term.C(rnd.Uint64(), v.Width))
		case v.Width > 0 && rnd.Intn(2) == 0:
			s.Set(i, term.C(rnd.Uint64(), v.Width))
		default:
			s.Set(i, term.E(v.Name, v.Width))
		}
	}
	return s
}

// TestCompiledAgreesWithInterpreter evaluates every compiled expression
// and handler of the bundled devices on random states, and compares the
// results with the interpreter's, which resolves names as it goes.
func TestCompiledAgreesWithInterpreter(t *testing.T) {
	for _, name := range []string{"uart16550", "vblk", "ata", "mc146818"} {
		t.Run(name, func(t *testing.T) {
			m := loadBundled(t, name)
			rnd := rand.New(rand.NewSource(1))
			same := func(what string, a *term.T, aerr error, b *term.T, berr error) {
				if aerr != nil || berr != nil {
					require.Equal(t, fmt.Sprint(berr), fmt.Sprint(aerr), what)
					return
				}
				require.Same(t, b, a, "%s: compiled %s, interpreted %s", what, a, b)
			}
			for round := 0; round < 200; round++ {
				s := randomState(m, rnd)
				for k, c := range m.code.exprs {
					got, gerr := m.run(c, &frame{s: s})
					want, werr := m.interpret(k.e, s, nil, k.want)
					same(posString(k.e.Pos), got, gerr, want, werr)
				}
				for _, r := range m.Regs {
					vals := make([]*term.T, len(r.Fields))
					locals := map[string]*term.T{}
					for i, f := range r.Fields {
						vals[i] = term.C(rnd.Uint64(), f.Width)
						locals[f.Name] = vals[i]
					}
					for _, h := range []struct {
						code []*step
						src  []*dsl.Stmt
					}{{r.onRead, r.OnRead}, {r.onWrite, r.OnWrite}} {
						a, b := s.Clone(), s.Clone()
						va, ea := m.exec(h.code, &frame{s: a, slots: vals})
						vb, eb := m.Exec(h.src, b, &Env{Reg: r, Locals: locals})
						require.Equal(t, fmt.Sprint(eb), fmt.Sprint(ea), r.Name)
						require.Equal(t, vb == nil, va == nil, r.Name)
						if ea == nil && va == nil {
							require.Equal(t, b.Key(), a.Key(), "%s: the state after the handler", r.Name)
						}
					}
				}
			}
		})
	}
}

// TestEnvCodeAgreesWithInterpreter does the same for the expressions a
// caller evaluates with its own locals: every part of every class
// binding, with random parameters.
func TestEnvCodeAgreesWithInterpreter(t *testing.T) {
	for _, name := range []string{"uart16550", "vblk", "ata", "mc146818"} {
		t.Run(name, func(t *testing.T) {
			m := loadBundled(t, name)
			rnd := rand.New(rand.NewSource(2))
			compiled := 0
			for round := 0; round < 100; round++ {
				s := randomState(m, rnd)
				for _, pb := range m.Bindings {
					env := &Env{Locals: map[string]*term.T{}, Enums: map[string]*Enum{}}
					decl := m.Preds[pb.Name]
					for i, p := range pb.Params {
						env.Locals[p.Name] = term.P(p.Name, 32)
						if decl != nil && i < len(decl.Params) && decl.Params[i].Type.Named != "" {
							if en := m.Enum(decl.Params[i].Type.Named); en != nil {
								env.Enums[p.Name] = en
								mem := en.Members[rnd.Intn(len(en.Members))]
								env.Locals[p.Name] = term.C(mem.Value, en.Width)
							}
						}
					}
					var parts []*dsl.Expr
					var walk func(e *dsl.Expr)
					walk = func(e *dsl.Expr) {
						if e == nil {
							return
						}
						parts = append(parts, e)
						walk(e.X)
						walk(e.Y)
						walk(e.Z)
					}
					walk(pb.Body)
					for _, e := range parts {
						if e.Kind == dsl.CallExpr {
							continue
						}
						if m.envCode(e, nil) != nil {
							compiled++
						}
						got, gerr := m.EvalExpected(e, s, env, nil)
						want, werr := m.interpret(e, s, env, nil)
						require.Equal(t, fmt.Sprint(werr), fmt.Sprint(gerr), posString(e.Pos))
						if werr == nil {
							require.Same(t, want, got, "%s: compiled %s, interpreted %s", posString(e.Pos), got, want)
						}
					}
				}
			}
			if len(m.Bindings) > 0 {
				require.Positive(t, compiled, "nothing was compiled")
			}
		})
	}
}
