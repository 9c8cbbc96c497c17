package solve

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
)

// TestBundledDevicesFinish checks that synthesis of every bundled device
// ends, and how: with a strategy for every class method, or with a reason
// a reader can act on. A reason is a counterexample (a method of the class,
// what fails where it starts, at spec positions) or the belief budget
// running out (a method of the class, and the budget). The budget, not a
// clock, bounds the work: timings belong in benchmarks.
func TestBundledDevicesFinish(t *testing.T) {
	const budget = 4000
	for _, dev := range []string{"mc146818", "ata"} {
		t.Run(dev, func(t *testing.T) {
			m := loadDevice(t, dev)
			methods := map[string]bool{}
			for _, meth := range m.Methods {
				methods[meth.Name] = true
			}
			res, err := SynthesizeWith(m, Options{MaxBeliefs: budget})
			var u *Unrealizable
			switch {
			case err == nil:
				require.Len(t, res.Methods, len(m.Methods))
				for _, st := range res.Methods {
					assert.True(t, methods[st.Method.Name])
					assert.Less(t, st.Stats.Rank, inf, "%s has a finite worst case", st.Method.Name)
					assert.LessOrEqual(t, st.Stats.Beliefs, budget)
				}
			case errors.As(err, &u):
				assert.True(t, methods[u.Method.Name], "the counterexample names a class method: %v", err)
				require.NotEmpty(t, u.Why, "it says what fails where the method starts")
				for _, r := range u.Why {
					if r.Pos.IsValid() {
						assert.True(t, strings.HasSuffix(r.Pos.Filename, ".dev") || strings.HasSuffix(r.Pos.Filename, ".osi"), "%v", r)
					}
				}
				for _, s := range u.Steps {
					if !s.Stuck {
						assert.True(t, s.Pos.IsValid(), "move %q has a spec position", s.Move)
						assert.NotContains(t, s.Move, "'", "moves are in spec notation: %q", s.Move)
					}
				}
				t.Logf("%s: %v", dev, err)
			case strings.Contains(err.Error(), "depends on data the synthesizer does not enumerate"):
				// The spec branches on a data value: the message names the
				// method and the spec line.
				assert.Regexp(t, `method \w+: .*\.dev:\d+:\d+: the device's choice depends on data`, err.Error())
				t.Logf("%s: %v", dev, err)
			default:
				msg := err.Error()
				assert.Contains(t, msg, fmt.Sprintf("grew past %d beliefs", budget), "the only other way to stop is the budget")
				named := false
				for name := range methods {
					named = named || strings.Contains(msg, "method "+name+":")
				}
				assert.True(t, named, "the budget error names the method: %s", msg)
				t.Logf("%s: %v", dev, err)
			}
		})
	}
}

// loadDevice loads the bundled device dev (devices/DEV/DEV.dev).
func loadDevice(t *testing.T, dev string) *model.Model {
	t.Helper()
	m, err := model.Load("../../devices/" + dev + "/" + dev + ".dev")
	require.NoError(t, err)
	return m
}
