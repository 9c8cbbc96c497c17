package guest

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/drvsynth/drvsynth/internal/guest/probe"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/sim"
)

// SpecAnswer is what the device spec says one step of a probe shows,
// obtained by running the script on the simulator.
type SpecAnswer struct {
	Step probe.Step
	// Value is the value read (reads and polls), when Determined.
	Value uint64
	// Determined is false when the spec leaves the value open: two runs
	// whose unspecified data differ (other seeds) read different values.
	Determined bool
	// Violations are the spec's requires (or unmapped accesses) the step
	// broke: the spec says a driver must not do this.
	Violations []string
}

// settleSteps bounds how long the simulator runs for a settle step.
const settleSteps = 64

// AskSpec runs a device's probe script on the simulator of its spec, twice
// with different seeds, and returns the spec's answer for every step.
// Unfair transitions are off: what the spec says a device may do, not must.
func AskSpec(dev *probe.Device) ([]SpecAnswer, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	m, err := model.Load(filepath.Join(root, dev.Spec))
	if err != nil {
		return nil, err
	}
	runs := make([][]SpecAnswer, 2)
	for i := range runs {
		d, err := sim.NewFromModel(m, sim.Options{Seed: uint64(i + 1), Schedule: sim.Lazy{}})
		if err != nil {
			return nil, err
		}
		t := probe.Target{Regions: map[string]bus.Bus{}}
		for name := range dev.Regions {
			t.Regions[name] = d.Region(name)
		}
		pause := t.Regions[""].(bus.Poller).Pause
		t.Pause = pause
		t.Settle = func() {
			for i := 0; i < settleSteps; i++ {
				pause(i)
			}
		}
		seen := 0
		var ans []SpecAnswer
		t.After = func(st probe.Step) {
			a := SpecAnswer{Step: st}
			v := d.Violations()
			for _, x := range v[seen:] {
				a.Violations = append(a.Violations, x.Msg)
			}
			seen = len(v)
			ans = append(ans, a)
		}
		obs, err := dev.Script.Run(t)
		if err != nil {
			return nil, err
		}
		if err := d.Err(); err != nil {
			return nil, fmt.Errorf("%s on the simulator: %w", dev.Name, err)
		}
		// Observations are the reads, polls and streams, in step order.
		j := 0
		for k := range ans {
			if op := ans[k].Step.Op; op == probe.Read || op == probe.Poll {
				ans[k].Value = obs[j].Value
			}
			if op := ans[k].Step.Op; op != probe.Write && op != probe.Settle {
				j++
			}
		}
		runs[i] = ans
	}
	for k := range runs[0] {
		runs[0][k].Determined = runs[0][k].Value == runs[1][k].Value
	}
	return runs[0], nil
}

// Disagreement is a step where QEMU's model and the spec differ.
type Disagreement struct {
	Step probe.Step
	QEMU uint64
	Spec SpecAnswer
}

// Note is the step's comment: what it reads, as the script says.
func (d Disagreement) Note() string { return Note(d.Step) }

// Note is a step's comment (the text after //), or the step itself.
func Note(st probe.Step) string {
	if _, c, ok := strings.Cut(st.Text, "//"); ok {
		return strings.TrimSpace(c)
	}
	return st.Text
}

func (d Disagreement) String() string {
	spec := fmt.Sprintf("%#02x", d.Spec.Value)
	if len(d.Spec.Violations) > 0 {
		spec = "forbidden: " + strings.Join(d.Spec.Violations, "; ")
	}
	return fmt.Sprintf("line %d %-16s QEMU %#02x, spec %s  (%s)", d.Step.Line, strings.Fields(d.Step.Text)[0]+" "+strings.Fields(d.Step.Text)[1], d.QEMU, spec, d.Note())
}

// Compare lines up what the guest observed with the spec's answers. A read
// disagrees when the spec determines its value and QEMU showed another, or
// when the spec forbids the access; a write disagrees when the spec forbids
// it. Streams and values the spec leaves open are not compared.
func Compare(obs []probe.Observation, spec []SpecAnswer) ([]Disagreement, error) {
	var out []Disagreement
	j := 0
	for _, a := range spec {
		var o *probe.Observation
		if a.Step.Op != probe.Write && a.Step.Op != probe.Settle {
			if j >= len(obs) {
				return nil, fmt.Errorf("the guest reported %d observations; the script has more", len(obs))
			}
			o = &obs[j]
			j++
			if o.Line != a.Step.Line {
				return nil, fmt.Errorf("observation %d is of line %d, want line %d", j, o.Line, a.Step.Line)
			}
		}
		switch {
		case len(a.Violations) > 0:
			d := Disagreement{Step: a.Step, Spec: a}
			if o != nil {
				d.QEMU = o.Value
			}
			out = append(out, d)
		case o != nil && a.Step.Op != probe.Stream && a.Determined && o.Value != a.Value:
			out = append(out, Disagreement{Step: a.Step, QEMU: o.Value, Spec: a})
		}
	}
	if j != len(obs) {
		return nil, fmt.Errorf("the guest reported %d observations, the script has %d", len(obs), j)
	}
	return out, nil
}
