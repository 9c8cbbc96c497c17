package mc146818_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/synth"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/sim"
	"github.com/drvsynth/drvsynth/synth/solve"
	"github.com/drvsynth/drvsynth/synth/spectest"
)

// Spec variants of the RTC: the spec with one change, as another chip, a
// board or a datasheet revision would make it. Each applies, checks, and
// behaves on the spec's simulator as the change says; and every realizable
// variant synthesizes a driver that differs from the original's, every
// unrealizable one gets no driver: a counterexample where the solver can
// refute it within its budget, and a game too large to finish where it
// cannot yet (unproven, below), which is then all the test can hold it to.

type variant struct {
	name       string
	edits      [][2]string // old, new: each old must occur in the spec
	realizable bool
	// unproven: unrealizable, but the solver's search for a refutation
	// grows past the default budget (it has no argument for why no read
	// can be made safe; it tries them all).
	unproven bool
	// For a proven unrealizable variant: the method the counterexample is
	// about, and what it must say (the clause that fails, the register
	// the driver cannot use).
	method  string
	because []string
	// cure, where set, undoes the variant's cause and nothing else: with
	// these edits on top, method has a strategy again, one that writes
	// the register cureWrites, so the cause the counterexample names is
	// the one that defeats it.
	cure       [][2]string
	cureWrites string
	// scenario drives the variant's simulator by hand and fails if the
	// change does not have the effect the variant claims.
	scenario func(t *testing.T, spec *model.Model)
}

func (v variant) source(t *testing.T) string {
	t.Helper()
	return spectest.Edit(t, "mc146818.dev", v.edits...)
}

// write puts the variant in a tree of its own, so the device finds its
// class the usual way, and returns its path.
func (v variant) write(t *testing.T) string {
	t.Helper()
	return spectest.Tree(t, "../../os-interface/rtc/rtc.osi", "os-interface/rtc/rtc.osi",
		"devices/rtc/rtc.dev", v.source(t))
}

// ports is a scripted driver for the index/data pair at (index, data).
type ports struct {
	b           bus.Bus
	index, data uint32
}

func (p ports) put(addr, v uint8) {
	p.b.Write8(p.index, addr)
	p.b.Write8(p.data, v)
}

func (p ports) get(addr uint8) uint8 {
	p.b.Write8(p.index, addr)
	return p.b.Read8(p.data)
}

// setBCD24 sets 2031-05-17 08:09:10 in BCD 24-hour mode under SET.
func (p ports) setBCD24() {
	p.put(0x0B, 0x82)
	for _, r := range [][2]uint8{{0x09, 0x31}, {0x08, 0x05}, {0x07, 0x17}, {0x04, 0x08}, {0x02, 0x09}, {0x00, 0x10}} {
		p.put(r[0], r[1])
	}
	p.put(0x0B, 0x02)
}

const setBCD24Event = "time_set(0x7ef, 0x5, 0x11, 0x8, 0x9, 0xa)"

// expectTimeSet runs setBCD24 on 100 schedules and wants exactly the
// time_set event and no violation.
func expectTimeSet(t *testing.T, spec *model.Model, index, data uint32, init map[string]uint64) {
	for seed := uint64(1); seed <= 100; seed++ {
		dev, err := sim.NewFromModel(spec, sim.Options{Seed: seed, Unfair: true, Init: init})
		require.NoError(t, err)
		ports{dev.Bus(), index, data}.setBCD24()
		require.NoError(t, dev.Err())
		require.Empty(t, dev.Violations(), "seed %d", seed)
		require.Len(t, dev.Events(), 1)
		assert.Equal(t, setBCD24Event, dev.Events()[0].String())
	}
}

// bit7Seen reads register A's bit 7 on 100 schedules, 20 calls each (an
// update is announced only between calls), and counts the schedules in
// which it read as flag.
func bit7Seen(t *testing.T, spec *model.Model, init map[string]uint64, flag uint8) int {
	seen := 0
	for seed := uint64(1); seed <= 100; seed++ {
		dev, err := sim.NewFromModel(spec, sim.Options{Seed: seed, Unfair: true, Init: init})
		require.NoError(t, err)
		p := ports{dev.Bus(), 0, 1}
		for range 20 {
			dev.NewCall()
			if p.get(0x0A)&0x80 == flag {
				seen++
				break
			}
		}
		require.NoError(t, dev.Err())
	}
	return seen
}

var rtcVariants = []variant{
	{
		name:       "index and data ports at offsets 2 and 3 (a second RTC bank)",
		realizable: true,
		edits: [][2]string{
			{"register INDEX @ 0 : wo", "register INDEX @ 2 : wo"},
			{" @ 1 : ", " @ 3 : "},
		},
		scenario: func(t *testing.T, spec *model.Model) { expectTimeSet(t, spec, 2, 3, nil) },
	},
	{
		name:       "a 4.194304 MHz time base: DV 000 keeps time, 010 does not",
		realizable: true,
		edits: [][2]string{
			{"REGA.DV == KHZ32", "REGA.DV == MHZ4"},
			{"REGA.DV != KHZ32", "REGA.DV != MHZ4"},
			{"register REGA @ 1 : wo reset 0x26", "register REGA @ 1 : wo reset 0x06"},
		},
		scenario: func(t *testing.T, spec *model.Model) {
			assert.Positive(t, bit7Seen(t, spec, nil, 0x80), "updates run with DV 000")
			assert.Zero(t, bit7Seen(t, spec, map[string]uint64{"REGA.DV": 2}, 0x80), "and not with DV 010")
			expectTimeSet(t, spec, 0, 1, nil)
		},
	},
	{
		name:       "update status of inverted polarity (bit 7 of A is 1 while the time is stable)",
		realizable: true,
		edits: [][2]string{
			{"field UIP [7] = phase != Counting", "field STABLE [7] = phase == Counting"},
		},
		scenario: func(t *testing.T, spec *model.Model) {
			assert.Positive(t, bit7Seen(t, spec, nil, 0x00), "bit 7 drops when an update is announced")
			expectTimeSet(t, spec, 0, 1, nil)
		},
	},
	{
		name:       "a binary-only clone: DM reads 1 whatever is written",
		realizable: true,
		edits: [][2]string{
			{"field DM [2] // 1: binary values; 0: BCD", "field DM [2] = true // binary only"},
			// The handler of B decodes with the format written; here the
			// format is fixed.
			{"(DM == 1 ?", "(REGB.DM == 1 ?"},
			{"\tDM == 1 ?", "\tREGB.DM == 1 ?"},
			// Firmware cannot choose BCD: only the hour format is its.
			{"require DM == REGB.DM && H24 == REGB.H24", "require H24 == REGB.H24"},
			{"internal reformat_dm between {\n\t\tREGB.DM = REGB.DM == 1 ? 0 : 1\n\t}", ""},
		},
		scenario: func(t *testing.T, spec *model.Model) {
			dev, err := sim.NewFromModel(spec, sim.Options{})
			require.NoError(t, err)
			p := ports{dev.Bus(), 0, 1}
			p.put(0x0B, 0x82)
			assert.Equal(t, uint8(0x86), p.get(0x0B), "DM stays 1")
			p.put(0x04, 23)
			p.put(0x0B, 0x02)
			require.Len(t, dev.Events(), 1)
			assert.Equal(t, uint64(23), dev.Events()[0].Args[3], "the hour is binary")
		},
	},
	{
		name: "the index port wired read-only: no internal register can be selected",
		edits: [][2]string{
			{"register INDEX @ 0 : wo {", "register INDEX @ 0 : ro {"},
		},
		method:  "ReadTime",
		because: []string{"the contract clause observed(year, month, day, hour, minute, second) does not hold"},
		scenario: func(t *testing.T, spec *model.Model) {
			dev, err := sim.NewFromModel(spec, sim.Options{})
			require.NoError(t, err)
			p := ports{dev.Bus(), 0, 1}
			p.put(0x0B, 0x82)
			assert.Equal(t, uint8(0x00), p.get(0x0A)&0x7F, "the data port stays on the seconds")
		},
	},
	{
		// The MC146818A keeps register A through a reset (it is battery
		// backed), so its datasheet gives no reset value, and a spec that
		// gives none leaves DV at 000: on the PC's 32.768 kHz crystal the
		// clock is stopped when the driver first runs. A second may pass
		// before Init reaches register A; that second is lost, and only
		// SetTime, with a time to load, makes the clock keep time again.
		// Init cannot promise running: it has no time to set.
		name: "register A without its reset value: the divider starts stopped",
		edits: [][2]string{
			{"register REGA @ 1 : wo reset 0x26 when", "register REGA @ 1 : wo when"},
		},
		method: "Init",
		because: []string{
			"the contract clause running does not hold",
			// The divider is stopped, which a write of REGA fixes, and a
			// second may have been lost, which nothing Init may do fixes.
			"REGA.DV == KHZ32 and !lost are false there",
			"REGA, which the goal needs written",
		},
		// A stopped divider that loses no second: Init then starts it.
		cure: [][2]string{
			{"if REGA.DV != KHZ32 || REGB.SET == 1 {", "if REGB.SET == 1 {"},
		},
		cureWrites: "REGA",
		scenario: func(t *testing.T, spec *model.Model) {
			lostAfterTick := func(spec *model.Model) uint64 {
				dev, err := sim.NewFromModel(spec, sim.Options{})
				require.NoError(t, err)
				require.NoError(t, dev.Input("tick"))
				// What Init would do: start the divider.
				ports{dev.Bus(), 0, 1}.put(0x0A, 0x26)
				require.NoError(t, dev.Err())
				dv, err := dev.Value("REGA.DV")
				require.NoError(t, err)
				require.Equal(t, uint64(2), dv, "the divider runs")
				lost, err := dev.Value("lost")
				require.NoError(t, err)
				return lost
			}
			assert.Equal(t, uint64(1), lostAfterTick(spec), "the second before Init is lost")
			original, err := model.Load("mc146818.dev")
			require.NoError(t, err)
			assert.Equal(t, uint64(0), lostAfterTick(original), "the original counts it")

			// Setting the time is what makes it good again.
			dev, err := sim.NewFromModel(spec, sim.Options{})
			require.NoError(t, err)
			require.NoError(t, dev.Input("tick"))
			p := ports{dev.Bus(), 0, 1}
			p.put(0x0A, 0x26)
			p.setBCD24()
			lost, err := dev.Value("lost")
			require.NoError(t, err)
			assert.Equal(t, uint64(0), lost)
		},
	},
	{
		// Unproven even at ten times the budget: the game grows past
		// 400,000 beliefs (measured with drvsynth synth -max-beliefs
		// 400000: 175 s, 3.4 GB), so no budget a test can afford settles it.
		name:     "no update status: UIP always reads 0",
		unproven: true,
		edits: [][2]string{
			{"field UIP [7] = phase != Counting", "field UIP [7] = false"},
		},
		scenario: func(t *testing.T, spec *model.Model) {
			// Updates still run, unseen: a read that waited for UIP = 0
			// reads the seconds during one on some schedules, and sees
			// no time at all.
			assert.Zero(t, bit7Seen(t, spec, nil, 0x80))
			raced := 0
			for seed := uint64(1); seed <= 100; seed++ {
				dev, err := sim.NewFromModel(spec, sim.Options{Seed: seed, Unfair: true})
				require.NoError(t, err)
				dev.NewCall()
				p := ports{dev.Bus(), 0, 1}
				p.get(0x0A)
				p.get(0x00)
				if len(dev.Events()) == 0 {
					raced++
				}
			}
			assert.Positive(t, raced)
		},
	},
	{
		// Unproven at ten times the budget too: SetTime's game grows past
		// 400,000 beliefs (measured: 51 s, 2.2 GB).
		name:     "SET is a strobe, not a bit: the registers never stay frozen",
		unproven: true,
		edits: [][2]string{
			{"field SET [7] // 1: updates stop, so the time can be written", "field SET [7] trigger // pulses; nothing is stored"},
		},
		scenario: func(t *testing.T, spec *model.Model) {
			dev, err := sim.NewFromModel(spec, sim.Options{})
			require.NoError(t, err)
			ports{dev.Bus(), 0, 1}.setBCD24()
			require.NotEmpty(t, dev.Violations(), "every time write breaks the require for SET")
			assert.Contains(t, dev.Violations()[0].Msg, "set SET in register B first")
		},
	},
}

func TestVariantsCheckAndSimulate(t *testing.T) {
	realizable, unrealizable := 0, 0
	for _, v := range rtcVariants {
		t.Run(v.name, func(t *testing.T) {
			spec, err := model.Load(v.write(t))
			require.NoError(t, err)
			require.NotNil(t, v.scenario)
			v.scenario(t, spec)
		})
		if v.realizable {
			realizable++
		} else {
			unrealizable++
		}
	}
	assert.GreaterOrEqual(t, realizable, 3)
	assert.GreaterOrEqual(t, unrealizable, 2)
}

// TestVariantsSynthesize: a realizable variant gets a driver of its own;
// an unrealizable one gets a counterexample about the method and the cause
// the variant names (and, where it has a cure, the cured spec gets that
// method back), or, where it is unproven, no driver either.
func TestVariantsSynthesize(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes 10 RTC specs")
	}
	base, err := synth.Build("mc146818.dev", solve.Options{})
	require.NoError(t, err)
	for _, v := range rtcVariants {
		t.Run(v.name, func(t *testing.T) {
			res, err := synth.Build(v.write(t), solve.Options{})
			if !v.realizable {
				require.Error(t, err, "an unrealizable variant got a driver")
				if v.unproven {
					assert.Contains(t, err.Error(), "the game grew past")
					return
				}
				var u *solve.Unrealizable
				require.True(t, errors.As(err, &u), "want a counterexample, got %v", err)
				assert.Equal(t, v.method, u.Method.Name, "the counterexample is about another method: %v", err)
				assert.Regexp(t, `rtc\.(dev|osi):\d+`, err.Error())
				for _, why := range v.because {
					assert.Contains(t, err.Error(), why)
				}
				if v.cure != nil {
					writes := cured(t, v)
					assert.Contains(t, writes, v.cureWrites, "with the cause undone, %s writes %s", v.method, v.cureWrites)
				}
				return
			}
			require.NoError(t, err)
			assert.NotEqual(t, fmt.Sprint(base.Methods), fmt.Sprint(res.Methods), "the variant must change the driver")
		})
	}
}

// cured synthesizes v with its cure applied and returns the registers the
// strategy of v.method writes. Only that method matters here, and the
// other methods' games on the cured spec are large: a small budget ends
// them early, and the strategies solved before the one that ran out (Init
// is solved first) come with the error.
func cured(t *testing.T, v variant) []string {
	t.Helper()
	c := variant{edits: append(slices.Clone(v.edits), v.cure...)}
	res, err := synth.Build(c.write(t), solve.Options{MaxBeliefs: 2000})
	var strategies []*solve.Strategy
	var me *solve.MethodError
	switch {
	case err == nil:
		strategies = res.Methods
	case errors.As(err, &me):
		strategies = me.Solved
	default:
		t.Fatalf("the cured variant: %v", err)
	}
	for _, st := range strategies {
		if st.Method.Name == v.method {
			return writtenRegs(st.Starts[0])
		}
	}
	t.Fatalf("the cured variant has no strategy for %s: %v", v.method, err)
	return nil
}

// writtenRegs lists the registers a strategy writes from n on, on every
// outcome of its moves.
func writtenRegs(n *solve.Node) []string {
	var regs []string
	seen := map[*solve.Node]bool{}
	var walk func(n *solve.Node)
	walk = func(n *solve.Node) {
		if seen[n] || n.Best == nil {
			return
		}
		seen[n] = true
		if n.Best.Act.Kind == solve.ActWrite {
			regs = append(regs, n.Best.Act.Reg.Name)
		}
		for _, o := range n.Best.Outs {
			if !o.Loop {
				walk(o.Next)
			}
		}
	}
	walk(n)
	return regs
}
