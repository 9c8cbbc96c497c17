package solve

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

func loadSpec(t *testing.T, path string) *model.Model {
	t.Helper()
	m, err := model.Load(path)
	require.NoError(t, err)
	return m
}

// lockRegs names the registers locks finds for event ev that can hold
// in an idle state (phase at its reset value): the others' conditions
// cover every phase, which is sound and says nothing.
func lockRegs(m *model.Model, ev string) []string {
	var out []string
	reset := m.Reset()
	for _, l := range locks(m, collectSites(m, nil), []string{ev}) {
		off := true
		for _, a := range l.atoms {
			off = off && reset.Val(a.v) != a.val
		}
		if off {
			out = append(out, m.Regs[l.ri].Name)
		}
	}
	return out
}

func TestLocks(t *testing.T) {
	// measured comes from a DATA read that requires phase == Ready, which
	// only the device's convert sets, after CMD's write set phase == Busy.
	m := loadSpec(t, "testdata/devices/minisensor/minisensor.dev")
	require.Equal(t, []string{"CMD"}, lockRegs(m, "measured"))

	// The ATA disk: DATA's transfers need the DRQ phases, which only a
	// COMMAND write's op leads to.
	ata := loadSpec(t, "../../devices/ata/ata.dev")
	require.Equal(t, []string{"COMMAND"}, lockRegs(ata, "sectors_written"))
	require.Equal(t, []string{"COMMAND"}, lockRegs(ata, "sectors_read"))
	for _, l := range locks(ata, collectSites(ata, nil), []string{"sectors_written"}) {
		if ata.Regs[l.ri].Name == "COMMAND" {
			phase := ata.Var("phase")
			var vals []uint64
			for _, a := range l.atoms {
				if a.v == phase {
					vals = append(vals, a.val.Val)
				}
			}
			// DataOut (4), and what leads to it: Busy (2), from which
			// DataIn (3) also comes.
			require.ElementsMatch(t, []uint64{2, 3, 4}, vals)
		}
	}

	// miniclock's time_set comes from CTRL's own write: that write is the
	// emitter the bound counts, not a lock.
	clock := loadSpec(t, "testdata/devices/miniclock/miniclock.dev")
	require.Empty(t, lockRegs(clock, "time_set"))
}

func TestGates(t *testing.T) {
	m := loadSpec(t, "testdata/devices/minisensor/minisensor.dev")
	gs := gates(collectSites(m, nil), []string{"measured"})
	require.Len(t, gs, 1)
	require.Len(t, gs[0].sites, 1)
	require.Equal(t, m.Var("phase"), gs[0].sites[0][0].v)

	// observed is emitted by SECONDS' read only if phase != Updating: an
	// if, not a require, so a read may come before or after it.
	rtc := loadSpec(t, "../../devices/mc146818/mc146818.dev")
	require.Empty(t, gates(collectSites(rtc, nil), []string{"observed"}))

	// Both ATA transfers require a DRQ phase only the device enters.
	ata := loadSpec(t, "../../devices/ata/ata.dev")
	require.Len(t, gates(collectSites(ata, nil), []string{"sectors_read", "sectors_written", "capacity_reported"}), 3)
}

func TestSetups(t *testing.T) {
	m := loadSpec(t, "testdata/devices/minisensor/minisensor.dev")
	idle := m.Reset()
	sus := setups(m, assignedVars(m), nil, []*model.State{idle}, true)
	require.Len(t, sus, 1)
	su := sus[0]
	require.Equal(t, "CMD", m.Regs[su.ri].Name)
	require.Equal(t, "CTRL", m.Regs[su.g].Name)
	require.Equal(t, "CTRL.EN", m.Vars[su.v].Name)
	require.True(t, su.twice, "the idle invariant has EN clear: CTRL is written again")

	// The RTC's time registers require REGB.SET == 1.
	rtc := loadSpec(t, "../../devices/mc146818/mc146818.dev")
	regs := map[string]bool{}
	for _, su := range setups(rtc, assignedVars(rtc), nil, []*model.State{rtc.Reset()}, true) {
		require.Equal(t, "REGB.SET", rtc.Vars[su.v].Name)
		require.True(t, su.twice)
		regs[rtc.Regs[su.ri].Name] = true
	}
	require.Equal(t, map[string]bool{"SECONDS": true, "MINUTES": true, "HOURS": true, "DAY_OF_WEEK": true,
		"DAY_OF_MONTH": true, "MONTH": true, "YEAR": true}, regs)
}

func TestLeavesIdleAfter(t *testing.T) {
	// DATA's write leaves the disk Busy; its read may end the command.
	ata := loadSpec(t, "../../devices/ata/ata.dev")
	idle := ata.Reset()
	idle.Set(ata.Var("phase"), term.C(0, 3)) // Idle
	require.True(t, leavesIdleAfter(ata, "sectors_written", []*model.State{idle}))
	require.False(t, leavesIdleAfter(ata, "sectors_read", []*model.State{idle}))

	post := loadSpec(t, "testdata/devices/minipost/minipost.dev")
	require.True(t, leavesIdleAfter(post, "sent", []*model.State{post.Reset()}))
	// The device emits nothing by itself here; the RTC's SECONDS read
	// leaves every variable as it was.
	rtc := loadSpec(t, "../../devices/mc146818/mc146818.dev")
	require.False(t, leavesIdleAfter(rtc, "observed", []*model.State{rtc.Reset()}))
}
