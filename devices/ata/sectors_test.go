package ata_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sync"
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

// The synthesized ReadSectors of ata.dev, a sector loop (synth/solve
// sectors.go): the one-sector game played once per 512-byte piece, with
// the LBA advanced by one each time. Run as a strategy (synth/run) on the
// simulator and on the reference model.
//
// The class is cut down to Init and ReadSectors, and its LBA is narrowed
// to the 28 bits the task file holds: writing a 64-bit LBA into the task
// file (with the range check that refuses 2^28 and up) is inverse value
// synthesis, which is being built apart (zero-extension in synth/solve);
// until it is in, the device's events carry the 28-bit LBA as it is.

// readClass writes block.osi with only Init and ReadSectors, LBAs of 28
// bits.
func readClass(t *testing.T) string {
	t.Helper()
	cls, err := os.ReadFile("../../os-interface/block/block.osi")
	require.NoError(t, err)
	re := regexp.MustCompile(`(?ms)^\tmethod (Capacity|WriteSectors|WriteSectorsFUA|Flush)\(.*?^\t}\n`)
	cls = re.ReplaceAll(cls, nil)
	cls = regexp.MustCompile(`lba: data<64>`).ReplaceAll(cls, []byte("lba: data<28>"))
	path := filepath.Join(t.TempDir(), "block.osi")
	require.NoError(t, os.WriteFile(path, cls, 0o644))
	return path
}

var (
	readOnce sync.Once
	readM    *model.Model
	readRes  *solve.Result
	readErr  error
)

// synthRead synthesizes ata.dev, its events narrowed to the 28-bit LBA,
// against the cut-down class (once: the game is the slow part).
func synthRead(t *testing.T) (*model.Model, *solve.Result) {
	t.Helper()
	readOnce.Do(func() {
		dev := spectest.Edit(t, "ata.dev",
			[2]string{"emit sectors_read({0[35:0], lba}, 1, buf)", "emit sectors_read(lba, 1, buf)"},
			[2]string{"emit sectors_written({0[35:0], lba}, 1, buf)", "emit sectors_written(lba, 1, buf)"})
		path := spectest.Tree(t, readClass(t), "os-interface/block/block.osi", "devices/ata/ata.dev", dev)
		readM, readErr = model.Load(path)
		if readErr == nil {
			readRes, readErr = solve.SynthesizeWith(readM, solve.Options{MaxBeliefs: 200000})
		}
	})
	require.NoError(t, readErr)
	return readM, readRes
}

func method(res *solve.Result, name string) *solve.Strategy {
	for _, st := range res.Methods {
		if st.Method.Name == name {
			return st
		}
	}
	return nil
}

// TestReadSectorsIsASectorLoop: ReadSectors is solved one sector at a
// time, its LBA advancing; the one-sector strategy writes the task file,
// the command, and reads one sector through DATA.
func TestReadSectorsIsASectorLoop(t *testing.T) {
	_, res := synthRead(t)
	st := method(res, "ReadSectors")
	require.NotNil(t, st)
	require.NotNil(t, st.Sectors)
	assert.Equal(t, solve.SectorLoop{Buf: "buf", Size: 512, Pos: "lba"}, *st.Sectors)
	assert.Nil(t, st.Elem)
	t.Logf("ReadSectors per sector: %d accesses, %d beliefs, %v", st.Stats.Rank, st.Stats.Beliefs, st.Stats.Time)
	text := st.Dump()
	for _, want := range []string{"SECCOUNT", "LBA_LOW", "LBA_MID", "LBA_HIGH", "DEVICE", "COMMAND", "DATA"} {
		assert.Contains(t, text, want)
	}
}

// TestSynthesizedReadOnSimulator: on 1000 schedules, half with the error
// paths, reads of 1..256 sectors break no rule of the spec and return
// each sector's content, or a typed fault the device shows.
func TestSynthesizedReadOnSimulator(t *testing.T) {
	m, res := synthRead(t)
	ctx := context.Background()
	faults := 0
	for seed := uint64(1); seed <= 1000; seed++ {
		n := int(seed*37%256) + 1
		if seed%4 == 0 {
			n = int(seed%3) + 1 // short reads keep the test quick
		}
		lba := seed * 104729 % (1<<28 - 256)
		dev, err := sim.NewFromModel(m, sim.Options{Seed: seed, Unfair: seed%2 == 0,
			Init: map[string]uint64{"total_sectors": 1 << 28}, Fill: sectorFill})
		require.NoError(t, err)
		mc := &run.Machine{Res: res, Buses: []bus.Bus{dev.Bus(), dev.Region("ctl")}, PollLimit: 10000}
		_, err = mc.Call(ctx, "Init", run.Args{})
		require.NoError(t, err, "seed %d", seed)
		buf := make([]byte, n*512)
		_, err = mc.Call(ctx, "ReadSectors", run.Args{Values: map[string]uint64{"lba": lba}, Buffers: map[string][]byte{"buf": buf}})
		var fe *run.FaultError
		switch {
		case errors.As(err, &fe):
			faults++
			assert.Contains(t, dev.Faults(), fe.Fault.Name, "seed %d", seed)
		default:
			require.NoError(t, err, "seed %d", seed)
			for i := 0; i < n; i++ {
				want := make([]byte, 512)
				sectorPattern(want, lba+uint64(i))
				require.Equal(t, want, buf[i*512:(i+1)*512], "seed %d: sector %d of %d", seed, i, n)
			}
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

// sectorFill is the content the simulated disk returns for a sector: a
// pattern of its LBA.
func sectorFill(_ string, v sim.View, buf []byte) {
	lba, _ := v.Value("lba")
	sectorPattern(buf, lba)
}

func sectorPattern(buf []byte, lba uint64) {
	for i := range buf {
		buf[i] = byte(lba*7 + uint64(i)*3 + uint64(i)>>8)
	}
}

// TestSynthesizedReadOnModel: on the reference model, which was written
// from the standard, reads of 1..256 sectors return what the disk holds;
// a read beyond the end is the typed OUT_OF_RANGE fault, a command the
// device aborts is ABORTED, a device fault is DEVICE_FAULT, a disk that
// never leaves BSY ends the poll; interrupts stay masked throughout.
func TestSynthesizedReadOnModel(t *testing.T) {
	_, res := synthRead(t)
	ctx := context.Background()
	const sectors = 1 << 16
	disk := ata.NewModel(ata.Options{Sectors: sectors, BSYDelay: 1})
	for lba := uint64(0); lba < 600; lba++ {
		b := make([]byte, 512)
		sectorPattern(b, lba)
		disk.Fill(lba, b)
	}
	mc := &run.Machine{Res: res, Buses: []bus.Bus{disk.Command(), disk.Control()}, PollLimit: 10000}
	_, err := mc.Call(ctx, "Init", run.Args{})
	require.NoError(t, err)
	read := func(mc *run.Machine, lba uint64, n int) ([]byte, error) {
		buf := make([]byte, n*512)
		_, err := mc.Call(ctx, "ReadSectors", run.Args{Values: map[string]uint64{"lba": lba}, Buffers: map[string][]byte{"buf": buf}})
		return buf, err
	}
	for _, tc := range []struct {
		lba uint64
		n   int
	}{{0, 1}, {1, 2}, {7, 17}, {100, 255}, {300, 256}, {44, 128}} {
		buf, err := read(mc, tc.lba, tc.n)
		require.NoError(t, err, "%d sectors at %d", tc.n, tc.lba)
		for i := 0; i < tc.n; i++ {
			assert.Equal(t, disk.Sector(tc.lba+uint64(i)), buf[i*512:(i+1)*512], "sector %d of %d at %d", i, tc.n, tc.lba)
		}
	}
	assert.Empty(t, disk.Violations())
	assert.True(t, disk.InterruptsMasked())
	assert.Zero(t, disk.IRQs())

	var fe *run.FaultError
	_, err = read(mc, sectors-1, 2) // the second sector lies beyond the end
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "OUT_OF_RANGE", fe.Fault.Name)
	_, err = read(mc, 5, 1) // the driver goes on after a fault
	require.NoError(t, err)

	bad := ata.NewModel(ata.Options{Sectors: sectors, Unreadable: []uint64{9}})
	mc = &run.Machine{Res: res, Buses: []bus.Bus{bad.Command(), bad.Control()}, PollLimit: 10000}
	_, err = mc.Call(ctx, "Init", run.Args{})
	require.NoError(t, err)
	_, err = read(mc, 8, 3)
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "MEDIA_ERROR", fe.Fault.Name)

	faulty := ata.NewModel(ata.Options{Sectors: sectors, FaultAfter: 1})
	mc = &run.Machine{Res: res, Buses: []bus.Bus{faulty.Command(), faulty.Control()}, PollLimit: 10000}
	_, err = mc.Call(ctx, "Init", run.Args{})
	require.NoError(t, err)
	_, err = read(mc, 0, 1)
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "DEVICE_FAULT", fe.Fault.Name)

	hung := ata.NewModel(ata.Options{Sectors: sectors, HangAfter: 1})
	mc = &run.Machine{Res: res, Buses: []bus.Bus{hung.Command(), hung.Control()}, PollLimit: 1000}
	_, err = mc.Call(ctx, "Init", run.Args{})
	require.NoError(t, err)
	_, err = read(mc, 0, 4)
	assert.ErrorIs(t, err, run.ErrPollLimit)
}
