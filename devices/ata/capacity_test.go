package ata_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/ata"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/run"
	"github.com/drvsynth/drvsynth/synth/sim"
	"github.com/drvsynth/drvsynth/synth/solve"
	"github.com/drvsynth/drvsynth/synth/spectest"
)

// The synthesized Init and Capacity of ata.dev, run as strategies
// (synth/run) on the simulator and on the reference model. The block
// class is cut down to those two methods (the sector transfers have
// their own tests, sectors_test.go); Capacity is what the IDENTIFY layout
// makes possible.

// capacityClass writes block.osi with only Init and Capacity.
func capacityClass(t *testing.T) string {
	t.Helper()
	cls, err := os.ReadFile("../../os-interface/block/block.osi")
	require.NoError(t, err)
	re := regexp.MustCompile(`(?ms)^\tmethod (ReadSectors|WriteSectors|WriteSectorsFUA|Flush)\(.*?^\t}\n`)
	path := filepath.Join(t.TempDir(), "block.osi")
	require.NoError(t, os.WriteFile(path, re.ReplaceAll(cls, nil), 0o644))
	return path
}

// synthCapacity synthesizes a variant of ata.dev (edits applied) against
// the cut-down class.
func synthCapacity(t *testing.T, edits ...[2]string) (*model.Model, *solve.Result, error) {
	t.Helper()
	dev := spectest.Edit(t, "ata.dev", edits...)
	path := spectest.Tree(t, capacityClass(t), "os-interface/block/block.osi", "devices/ata/ata.dev", dev)
	m, err := model.Load(path)
	require.NoError(t, err)
	res, err := solve.Synthesize(m)
	return m, res, err
}

// TestSynthesizedCapacityOnSimulator: on 1000 schedules, with and without
// the device's error paths, Init then Capacity break no rule of the spec,
// and Capacity returns words 60-61 of the IDENTIFY data, or a typed fault.
func TestSynthesizedCapacityOnSimulator(t *testing.T) {
	m, res, err := synthCapacity(t)
	require.NoError(t, err)
	ctx := context.Background()
	faults := 0
	for seed := uint64(1); seed <= 1000; seed++ {
		sectors := seed*7919 + 1
		dev, err := sim.NewFromModel(m, sim.Options{Seed: seed, Unfair: seed%2 == 0,
			Init: map[string]uint64{"total_sectors": sectors}})
		require.NoError(t, err)
		mc := &run.Machine{Res: res, Buses: []bus.Bus{dev.Bus(), dev.Region("ctl")}, PollLimit: 10000}
		_, err = mc.Call(ctx, "Init", run.Args{})
		require.NoError(t, err, "seed %d", seed)
		got, err := mc.Call(ctx, "Capacity", run.Args{})
		var fe *run.FaultError
		switch {
		case errors.As(err, &fe):
			faults++
			assert.Contains(t, dev.Faults(), fe.Fault.Name, "seed %d: the fault reported is the one the device shows", seed)
		default:
			require.NoError(t, err, "seed %d", seed)
			assert.Equal(t, sectors, got["sectors"], "seed %d", seed)
		}
		require.NoError(t, dev.Err(), "seed %d", seed)
		require.Empty(t, dev.Violations(), "seed %d", seed)
		nien, err := dev.Value("DEVCTL.NIEN")
		require.NoError(t, err)
		assert.Equal(t, uint64(1), nien, "seed %d: interrupts masked", seed)
	}
	t.Logf("%d of 1000 schedules ended in a device fault", faults)
	assert.Positive(t, faults, "the error paths were taken")
}

// TestSynthesizedCapacityOnModel: on the reference model, which was
// written from the standard and shows the old status for a read after a
// command, the strategies read the capacity IDENTIFY reports (capped at
// what 28 bits address) and leave interrupts masked.
func TestSynthesizedCapacityOnModel(t *testing.T) {
	_, res, err := synthCapacity(t)
	require.NoError(t, err)
	ctx := context.Background()
	for _, n := range []uint64{1, 65536, 1<<28 - 1, 1 << 28, 1 << 34} {
		disk := ata.NewModel(ata.Options{Sectors: n, BSYDelay: 1})
		mc := &run.Machine{Res: res, Buses: []bus.Bus{disk.Command(), disk.Control()}, PollLimit: 10000}
		_, err := mc.Call(ctx, "Init", run.Args{})
		require.NoError(t, err)
		got, err := mc.Call(ctx, "Capacity", run.Args{})
		require.NoError(t, err)
		assert.Equal(t, min(n, 0x0FFFFFFF), got["sectors"], "sectors %d", n)
		assert.Empty(t, disk.Violations())
		assert.True(t, disk.InterruptsMasked())
		assert.Zero(t, disk.IRQs())
	}
	// A disk that never leaves BSY: the poll is bounded, it never hangs.
	disk := ata.NewModel(ata.Options{StuckBSY: true})
	mc := &run.Machine{Res: res, Buses: []bus.Bus{disk.Command(), disk.Control()}, PollLimit: 1000}
	_, err = mc.Call(ctx, "Init", run.Args{})
	assert.ErrorIs(t, err, run.ErrPollLimit)
}

// capacityOnSim runs Init and Capacity on the simulator of m with the
// given capacity and returns what Capacity reports.
func capacityOnSim(t *testing.T, m *model.Model, res *solve.Result, sectors uint64) uint64 {
	t.Helper()
	dev, err := sim.NewFromModel(m, sim.Options{Seed: sectors, Init: map[string]uint64{"total_sectors": sectors}})
	require.NoError(t, err)
	mc := &run.Machine{Res: res, Buses: []bus.Bus{dev.Bus(), dev.Region("ctl")}, PollLimit: 10000}
	_, err = mc.Call(context.Background(), "Init", run.Args{})
	require.NoError(t, err)
	got, err := mc.Call(context.Background(), "Capacity", run.Args{})
	require.NoError(t, err)
	require.Empty(t, dev.Violations())
	return got["sectors"]
}

// layoutRead returns the layout fields Capacity's strategy reads.
func layoutRead(res *solve.Result) []*solve.LayoutRead {
	var out []*solve.LayoutRead
	for _, st := range res.Methods {
		if st.Method.Name != "Capacity" {
			continue
		}
		seen := map[*solve.Node]bool{}
		var walk func(n *solve.Node)
		walk = func(n *solve.Node) {
			if seen[n] || n.Best == nil {
				return
			}
			seen[n] = true
			out = append(out, n.Best.Act.Learn...)
			for _, o := range n.Best.Outs {
				walk(o.Next)
			}
		}
		walk(st.Starts[0])
	}
	return out
}

// Variants of the IDENTIFY layout that synthesize: the strategy follows the
// field wherever, and however, the spec puts it.
func TestLayoutVariantsRealizable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edits  [][2]string
		offset int
		bytes  int
		big    bool
	}{
		{name: "big-endian count", offset: 120, bytes: 4, big: true,
			edits: [][2]string{{"@ 120 : data<32> le = total_sectors", "@ 120 : data<32> be = total_sectors"}}},
		{name: "the count at another word", offset: 240, bytes: 4,
			edits: [][2]string{{"@ 120 : data<32> le = total_sectors", "@ 240 : data<32> le = total_sectors"}}},
		{name: "the 48-bit count, words 100-103", offset: 200, bytes: 8,
			edits: [][2]string{
				{"state total_sectors: data<32>", "state total_sectors: data<64>"},
				{"emit capacity_reported({0[31:0], total_sectors})", "emit capacity_reported(total_sectors)"},
				{"@ 120 : data<32> le = total_sectors", "@ 120 : data<32>"},
				{"field LBA48_SECTORS @ 200 : data<64>", "field LBA48_SECTORS @ 200 : data<64> le = total_sectors"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, res, err := synthCapacity(t, tc.edits...)
			require.NoError(t, err)
			reads := layoutRead(res)
			require.NotEmpty(t, reads)
			for _, lr := range reads {
				assert.Equal(t, tc.offset, lr.Field.Offset)
				assert.Equal(t, tc.bytes, lr.Field.Bytes)
				assert.Equal(t, tc.big, lr.Field.BigEndian)
			}
			for _, n := range []uint64{1, 0x01020304, 0x0FFFFFFF} {
				assert.Equal(t, n, capacityOnSim(t, m, res, n))
			}
		})
	}
}

// Variants where no layout tells the driver the capacity: Capacity is
// unrealizable, and synthesis says so with a counterexample.
func TestLayoutVariantsUnrealizable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits [][2]string
	}{
		{name: "the count only named, no value",
			edits: [][2]string{{"@ 120 : data<32> le = total_sectors", "@ 120 : data<32>"}}},
		{name: "the layout tied to another command (FLUSH CACHE, which has no data)",
			edits: [][2]string{{"layout IDENTIFY when op == Identify", "layout IDENTIFY when op == Flush"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := synthCapacity(t, tc.edits...)
			var u *solve.Unrealizable
			require.ErrorAs(t, err, &u)
			assert.Equal(t, "Capacity", u.Method.Name)
		})
	}
}

// TestCapacityIndependentOfBudget: ten times the belief budget gives the
// same strategies, move for move.
func TestCapacityIndependentOfBudget(t *testing.T) {
	m, res, err := synthCapacity(t)
	require.NoError(t, err)
	big, err := solve.SynthesizeWith(m, solve.Options{MaxBeliefs: 10 * solve.DefaultMaxBeliefs})
	require.NoError(t, err)
	require.Len(t, big.Methods, len(res.Methods))
	for i, st := range res.Methods {
		assert.Equal(t, st.Dump(), big.Methods[i].Dump(), st.Method.Name)
		assert.Equal(t, st.Stats.Rank, big.Methods[i].Stats.Rank, st.Method.Name)
	}
}
