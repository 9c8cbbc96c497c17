package solve

import (
	"strings"
	"testing"
	"time"

	"github.com/drvsynth/drvsynth/devices/mc146818"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/spectest"
	"github.com/drvsynth/drvsynth/synth/term"
	"github.com/stretchr/testify/require"
)

// TestRTCSetTimeFeeds: the values SetTime may write are derived from the
// MC146818's time_set arguments by undoing them: binary and BCD, the
// 12-hour PM bit, the year's offset, each with the range of requests it
// reads back right for.
func TestRTCSetTimeFeeds(t *testing.T) {
	m, err := model.Load("../../devices/mc146818/mc146818.dev")
	require.NoError(t, err)
	meth := m.Methods[2]
	require.Equal(t, "SetTime", meth.Name)
	g, _, _, err := methodGoal(m, meth, false)
	require.NoError(t, err)
	require.NoError(t, g.deriveFeeds(m))
	got := map[string][]string{}
	for k, cs := range g.feedField {
		for _, c := range cs {
			r := ""
			if c.Range != nil {
				r = " " + c.Range.String()
			}
			got[k] = append(got[k], c.T.String()+r)
		}
	}
	require.ElementsMatch(t, []string{
		"-(p:year'16,2000'0)'8 year in 2000-2255",
		"{/(-(p:year'16,2000'0)'0,10'0)'4,%(-(p:year'16,2000'0)'0,10'0)'4} year in 2000-2099",
	}, got["YEAR.VALUE"])
	// month <= 12 (the class's requires): no range to check.
	require.ElementsMatch(t, []string{"p:month'8", "{/(p:month'8,10'0)'4,%(p:month'8,10'0)'4}"}, got["MONTH.VALUE"])
	require.ElementsMatch(t, []string{
		"p:hour'8",
		"{/(p:hour'8,10'0)'4,%(p:hour'8,10'0)'4}",
		// 12-hour: PM in bit 7, the hour 1-12 below it ((hour+11)%12+1).
		"{/(p:hour'8,12'0)'1,+(%(+(p:hour'8,11'0)'0,12'0)'0,1'0)'7}",
		"{/(p:hour'8,12'0)'1,/(+(%(+(p:hour'8,11'0)'0,12'0)'0,1'0)'0,10'0)'3,%(+(%(+(p:hour'8,11'0)'0,12'0)'0,1'0)'0,10'0)'4}",
	}, got["HOURS.VALUE"])
}

// TestRTCSetTimePathWins follows, from the idle invariant, the strategy for
// a clock in BCD 24-hour mode: learn the format from REGB, set SET keeping
// it, the six index and value pairs, clear SET, put the index back: 18
// accesses, each within the bound.
func TestRTCSetTimePathWins(t *testing.T) {
	gm, n := rtcMethodGame(t, "SetTime")
	h24, dm := gm.m.Var("REGB.H24"), gm.m.Var("REGB.DM")
	bcd24 := func(b *Belief) bool {
		for _, s := range b.States {
			if s.Val(h24).Val != 1 || s.Val(dm).Val != 0 {
				return false
			}
		}
		return true
	}
	path := []string{"write INDEX {ADDR=11'7", "read REGB (looking at H24, DM)", "write REGB {", "write INDEX {ADDR=0'7", "write SECONDS {VALUE={",
		"write INDEX {ADDR=2'7", "write MINUTES {VALUE={", "write INDEX {ADDR=4'7", "write HOURS {VALUE={/(p:hour'8,10'0)'4",
		"write INDEX {ADDR=7'7", "write DAY_OF_MONTH {VALUE={", "write INDEX {ADDR=8'7", "write MONTH {VALUE={",
		"write INDEX {ADDR=9'7", "write YEAR {VALUE={", "write INDEX {ADDR=11'7", "write REGB {", "write INDEX {ADDR=0'7"}
	for i, step := range path {
		if !n.done {
			n.done = true
			require.NoError(t, gm.expand(n))
		}
		require.LessOrEqual(t, gm.lowerBound(n), len(path)-i, "bound at step %d (%s)", i, step)
		var next *Node
		for _, e := range n.Edges {
			if !strings.HasPrefix(e.Act.String(), step) {
				continue
			}
			for _, o := range e.Outs {
				if i == 0 || bcd24(o.Next.B) {
					next = o.Next
				}
			}
			if next != nil {
				break
			}
		}
		require.NotNil(t, next, "step %d: %s", i, step)
		n = next
	}
	require.NoError(t, gm.expand(n))
	require.True(t, n.Goal, "the 18 accesses do not win SetTime")
}

// rtcSetTimeValues are the values the solver derives for SetTime's time
// registers in the format register B's reset value selects, with H24 as
// given, by register address.
func rtcSetTimeValues(t *testing.T, h24 uint64) (*goal, map[uint8]*Cand) {
	t.Helper()
	m, err := model.Load("../../devices/mc146818/mc146818.dev")
	require.NoError(t, err)
	meth := m.Methods[2]
	g, _, _, err := methodGoal(m, meth, false)
	require.NoError(t, err)
	require.NoError(t, g.deriveFeeds(m))
	s := m.Reset()
	s.Set(m.Var("REGB.H24"), term.C(h24, 1))
	b := &Belief{States: []*model.State{s}}
	addr := map[string]uint8{"SECONDS.VALUE": 0, "MINUTES.VALUE": 2, "HOURS.VALUE": 4, "DAY_OF_MONTH.VALUE": 7, "MONTH.VALUE": 8, "YEAR.VALUE": 9}
	out := map[uint8]*Cand{}
	for f, a := range addr {
		for _, c := range g.feedField[f] {
			if g.fitsSome(m, c, b) {
				require.Nil(t, out[a], "two %s values fit BCD, H24=%d", f, h24)
				out[a] = c
			}
		}
		require.NotNil(t, out[a], "no %s value for BCD, H24=%d", f, h24)
	}
	return g, out
}

// TestRTCSetTimeValuesRoundTripOnTheReferenceModel: the values the solver
// derives for SetTime, written under SET into the MC146818 reference model
// (written from the datasheet, not from the spec), read back as the time
// asked for: every hour of the day in BCD 24-hour and 12-hour mode, and
// every year of the century the two BCD digits hold. 1999 and 2100 are
// outside the range the solver states for the BCD year.
func TestRTCSetTimeValuesRoundTripOnTheReferenceModel(t *testing.T) {
	for _, h24 := range []uint64{1, 0} {
		_, vals := rtcSetTimeValues(t, h24)
		yr := vals[9].Range
		require.NotNil(t, yr)
		require.Equal(t, ParamRange{Param: "year", Lo: 2000, Hi: 2099}, *yr)
		for _, c := range vals {
			if c != vals[9] {
				require.Nil(t, c.Range, "the class's requires keep %s in range", c.T)
			}
		}
		set := func(year, month, day, hour, minute, second uint64) time.Time {
			dev := mc146818.NewModel(mc146818.Options{Hour12: h24 == 0})
			ps := map[string]uint64{"year": year, "month": month, "day": day, "hour": hour, "minute": minute, "second": second}
			regB := uint8(h24 << 1) // BCD, the mode under test
			dev.Write8(0, 0x0B)
			dev.Write8(1, regB|0x80) // SET
			for a, c := range vals {
				v, ok := termValue(c.T, ps, true)
				require.True(t, ok, "%s for %v", c.T, ps)
				dev.Write8(0, a)
				dev.Write8(1, uint8(v))
			}
			dev.Write8(0, 0x0B)
			dev.Write8(1, regB)
			require.Empty(t, dev.Violations())
			got, ok := dev.Time()
			require.True(t, ok, "the registers hold no valid time for %v (H24=%d)", ps, h24)
			return got
		}
		for hour := uint64(0); hour < 24; hour++ {
			got := set(2026, 12, 1, hour, 59, 58)
			require.Equal(t, time.Date(2026, 12, 1, int(hour), 59, 58, 0, time.UTC), got, "H24=%d", h24)
		}
		for year := yr.Lo; year <= yr.Hi; year++ {
			got := set(year, 2, 28, 23, 0, 0)
			require.Equal(t, time.Date(int(year), 2, 28, 23, 0, 0, 0, time.UTC), got)
		}
		got := set(2099, 12, 31, 23, 59, 59)
		require.Equal(t, time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC), got)
	}
}

// TestZeroExtensionNeedsNoCheckUnderTheRequires: a 4-bit month field,
// zero-extended into the class's 8-bit month, is written the month's low
// bits, with no range to check: the class requires month <= 12.
func TestZeroExtensionNeedsNoCheckUnderTheRequires(t *testing.T) {
	src := spectest.Edit(t, "../../devices/mc146818/mc146818.dev",
		[2]string{"DM == 1 ? MONTH.VALUE : MONTH.VALUE[7:4]", "DM == 1 ? {0[3:0], MONTH.VALUE[3:0]} : MONTH.VALUE[7:4]"})
	path := spectest.Tree(t, "../../os-interface/rtc/rtc.osi", "os-interface/rtc/rtc.osi", "devices/rtc/rtc.dev", src)
	m, err := model.Load(path)
	require.NoError(t, err)
	g, _, _, err := methodGoal(m, m.Methods[2], false)
	require.NoError(t, err)
	require.NoError(t, g.deriveFeeds(m))
	var got []string
	for _, c := range g.feedField["MONTH.VALUE"] {
		require.Nil(t, c.Range, "%s", c.T)
		got = append(got, c.T.String())
	}
	require.Contains(t, got, "{0'4,p:month'8[3:0]}")
}

// TestRTCSetTimeSynthesizesInSeventeenAccesses solves SetTime on its own,
// from the reset state alone (running, BCD 24-hour, a format the driver
// then knows without reading B): 15 and 16 accesses are refuted, 17 win (set SET, six index and
// value pairs, clear SET, put the index back).
func TestRTCSetTimeSynthesizesInSeventeenAccesses(t *testing.T) {
	if testing.Short() {
		t.Skip("solves the RTC's SetTime (some 5,000 beliefs)")
	}
	m, err := model.Load("../../devices/mc146818/mc146818.dev")
	require.NoError(t, err)
	cl := newCloser(m)
	cl.maxNodes, cl.depth = DefaultMaxBeliefs, deepening
	reset, err := cl.close([]int32{cl.intern(m.Reset())})
	require.NoError(t, err)
	idle := map[string]*model.State{}
	for _, id := range reset {
		s := cl.recs[id].s
		idle[m.FiniteKey(s)] = entryState(m, s)
	}
	require.Equal(t, "SetTime", m.Methods[2].Name)
	st, err := solveMethod(m, cl, m.Methods[2], specConsts(m), idle, carriedVars(m))
	require.NoError(t, err)
	require.Equal(t, 17, st.Starts[0].Rank)
}
