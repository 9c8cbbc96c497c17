package ata_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/ata"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/driver"
	"github.com/drvsynth/drvsynth/synth/gen"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/run"
	"github.com/drvsynth/drvsynth/synth/sim"
	"github.com/drvsynth/drvsynth/synth/solve"
	"github.com/drvsynth/drvsynth/synth/spectest"
)

// The synthesized ReadSectors and WriteSectors of ata.dev, sector loops
// (synth/solve sectors.go): the one-sector game played once per 512-byte
// piece, with the LBA advanced by one each time; and Flush. Run as
// strategies (synth/run) on the simulator and on the reference model.
//
// The class is block.osi without WriteSectorsFUA, to keep the games few
// (the bundled driver, with it, is tested in generated_test.go).

// readClass writes block.osi without WriteSectorsFUA.
func readClass(t *testing.T) string {
	t.Helper()
	cls, err := os.ReadFile("../../os-interface/block/block.osi")
	require.NoError(t, err)
	re := regexp.MustCompile(`(?ms)^\tmethod WriteSectorsFUA\(.*?^\t}\n`)
	path := filepath.Join(t.TempDir(), "block.osi")
	require.NoError(t, os.WriteFile(path, re.ReplaceAll(cls, nil), 0o644))
	return path
}

var (
	readOnce sync.Once
	readM    *model.Model
	readRes  *solve.Result
	readErr  error
)

// synthRead synthesizes ata.dev against the cut-down class (once: the
// games are the slow part).
func synthRead(t *testing.T) (*model.Model, *solve.Result) {
	t.Helper()
	readOnce.Do(func() {
		dev := spectest.Edit(t, "ata.dev")
		path := spectest.Tree(t, readClass(t), "os-interface/block/block.osi", "devices/ata/ata.dev", dev)
		readM, readErr = model.Load(path)
		if readErr == nil {
			readRes, readErr = solve.Synthesize(readM)
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
	assert.Equal(t, [4]any{"buf", 512, "lba", 28}, [4]any{st.Sectors.Buf, st.Sectors.Size, st.Sectors.Pos, st.Sectors.Bits})
	assert.Nil(t, st.Elem)
	for _, st := range res.Methods {
		t.Logf("%s: %d accesses (per sector for a sector loop), %d beliefs, %v", st.Method.Name, st.Stats.Rank, st.Stats.Beliefs, st.Stats.Time)
	}
	text := st.Dump()
	for _, want := range []string{"SECCOUNT", "LBA_LOW", "LBA_MID", "LBA_HIGH", "DEVICE", "COMMAND", "DATA"} {
		assert.Contains(t, text, want)
	}
}

// TestSynthesizedSectorsOnSimulator: on 1000 schedules, half with the
// error paths, a write of 1..256 sectors, a flush and a read of as many
// break no rule of the spec: the device accepts each sector at its LBA
// with its piece of the buffer, the flush leaves the cache clean, the read
// returns each sector's content; or the call ends in a typed fault the
// device shows.
func TestSynthesizedSectorsOnSimulator(t *testing.T) {
	m, res := synthRead(t)
	ctx := context.Background()
	faults, moved := 0, 0
	for seed := uint64(1); seed <= 1000; seed++ {
		n := int(seed*37%256) + 1
		if seed%4 != 1 {
			// Long transfers on a quarter of the fair schedules (odd
			// seeds), where they can run to the end; the rest short, to
			// keep the test quick.
			n = int(seed%3) + 1
		}
		lba := seed * 104729 % (1<<28 - 256)
		dev, err := sim.NewFromModel(m, sim.Options{Seed: seed, Unfair: seed%2 == 0,
			Init: map[string]uint64{"total_sectors": 1 << 28}, Fill: sectorFill})
		require.NoError(t, err)
		mc := &run.Machine{Res: res, Buses: []bus.Bus{dev.Bus(), dev.Region("ctl")}, PollLimit: 10000}
		_, err = mc.Call(ctx, "Init", run.Args{})
		require.NoError(t, err, "seed %d", seed)
		out := make([]byte, n*512)
		for i := range out {
			out[i] = byte(seed + uint64(i)*13)
		}
		in := make([]byte, n*512)
		calls := []struct {
			name string
			args run.Args
		}{
			{"WriteSectors", run.Args{Values: map[string]uint64{"lba": lba}, Buffers: map[string][]byte{"buf": out}}},
			{"Flush", run.Args{}},
			{"ReadSectors", run.Args{Values: map[string]uint64{"lba": lba}, Buffers: map[string][]byte{"buf": in}}},
		}
		done := 0
		for _, c := range calls {
			_, err = mc.Call(ctx, c.name, c.args)
			var fe *run.FaultError
			if errors.As(err, &fe) {
				faults++
				assert.Contains(t, dev.Faults(), fe.Fault.Name, "seed %d: %s", seed, c.name)
				break
			}
			require.NoError(t, err, "seed %d: %s", seed, c.name)
			done++
			if c.name == "Flush" {
				dirty, err := dev.Value("dirty")
				require.NoError(t, err)
				assert.Zero(t, dirty, "seed %d: the flush leaves nothing in the cache", seed)
			}
		}
		var written [][]byte
		for _, e := range dev.Events() {
			if e.Name == "sectors_written" {
				require.Equal(t, []uint64{lba + uint64(len(written)), 1, 0}, e.Args, "seed %d", seed)
				written = append(written, e.Bytes)
			}
		}
		if done >= 1 {
			require.Len(t, written, n, "seed %d", seed)
			require.Equal(t, out, bytes.Join(written, nil), "seed %d", seed)
		}
		if done == 3 {
			moved += 2 * n
			for i := 0; i < n; i++ {
				want := make([]byte, 512)
				sectorPattern(want, lba+uint64(i))
				require.Equal(t, want, in[i*512:(i+1)*512], "seed %d: sector %d of %d", seed, i, n)
			}
		}
		require.NoError(t, dev.Err(), "seed %d", seed)
		require.Empty(t, dev.Violations(), "seed %d", seed)
		nien, err := dev.Value("DEVCTL.NIEN")
		require.NoError(t, err)
		assert.Equal(t, uint64(1), nien, "seed %d: interrupts masked", seed)
	}
	t.Logf("%d of 1000 schedules ended in a device fault; the others wrote and read %d sectors", faults, moved)
	assert.Positive(t, faults, "the error paths were taken")
	assert.Greater(t, moved, 10000, "long transfers were run to the end")
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

// TestSynthesizedSectorsOnModel: on the reference model, which was
// written from the standard, reads of 1..256 sectors return what the disk
// holds, writes of 1..256 sectors are in the cache and, after Flush, on
// the medium;
// a read beyond the end is the typed OUT_OF_RANGE fault, a flush the
// device aborts is ABORTED, a device fault is DEVICE_FAULT, a disk that
// never leaves BSY ends the poll; interrupts stay masked throughout.
func TestSynthesizedSectorsOnModel(t *testing.T) {
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
	// Writes land in the cache; Flush makes them durable; reads see them.
	for _, tc := range []struct {
		lba uint64
		n   int
	}{{1000, 1}, {2000, 3}, {3000, 256}, {4000, 100}} {
		out := make([]byte, tc.n*512)
		for i := range out {
			out[i] = byte(tc.lba + uint64(i)*5 + uint64(i)>>9)
		}
		_, err := mc.Call(ctx, "WriteSectors", run.Args{Values: map[string]uint64{"lba": tc.lba}, Buffers: map[string][]byte{"buf": out}})
		require.NoError(t, err, "%d sectors at %d", tc.n, tc.lba)
		assert.Positive(t, disk.Dirty(), "the write sits in the cache")
		_, err = mc.Call(ctx, "Flush", run.Args{})
		require.NoError(t, err)
		assert.Zero(t, disk.Dirty(), "the flush leaves nothing in the cache")
		for i := 0; i < tc.n; i++ {
			assert.Equal(t, out[i*512:(i+1)*512], disk.Durable(tc.lba+uint64(i)), "sector %d of %d at %d", i, tc.n, tc.lba)
		}
		in, err := read(mc, tc.lba, tc.n)
		require.NoError(t, err)
		assert.Equal(t, out, in)
	}
	assert.Empty(t, disk.Violations())
	assert.True(t, disk.InterruptsMasked())
	assert.Zero(t, disk.IRQs())

	// The task file holds 28 bits of LBA: the driver refuses what does not
	// fit before any access.
	for _, tc := range []struct {
		lba uint64
		n   int
	}{{1 << 28, 1}, {1<<28 - 1, 2}, {1 << 40, 1}, {1<<64 - 1, 1}} {
		before := disk.Commands()
		_, err := read(mc, tc.lba, tc.n)
		assert.ErrorIs(t, err, driver.ErrInvalidArgument, "%d sectors at %d", tc.n, tc.lba)
		_, err = mc.Call(ctx, "WriteSectors", run.Args{Values: map[string]uint64{"lba": tc.lba}, Buffers: map[string][]byte{"buf": make([]byte, tc.n*512)}})
		assert.ErrorIs(t, err, driver.ErrInvalidArgument, "%d sectors at %d", tc.n, tc.lba)
		assert.Equal(t, before, disk.Commands(), "no command for a refused request")
	}
	_, err = read(mc, 1<<28-1, 1) // the last sector 28 bits address: beyond this disk's end
	var fe *run.FaultError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "OUT_OF_RANGE", fe.Fault.Name)

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

	// A disk from before FLUSH CACHE aborts it: Flush says so instead of
	// promising durability.
	old := ata.NewModel(ata.Options{Sectors: sectors, NoFlushCache: true})
	mc = &run.Machine{Res: res, Buses: []bus.Bus{old.Command(), old.Control()}, PollLimit: 10000}
	_, err = mc.Call(ctx, "Init", run.Args{})
	require.NoError(t, err)
	_, err = mc.Call(ctx, "WriteSectors", run.Args{Values: map[string]uint64{"lba": 3}, Buffers: map[string][]byte{"buf": make([]byte, 512)}})
	require.NoError(t, err)
	_, err = mc.Call(ctx, "Flush", run.Args{})
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "ABORTED", fe.Fault.Name)

	hung := ata.NewModel(ata.Options{Sectors: sectors, HangAfter: 1})
	mc = &run.Machine{Res: res, Buses: []bus.Bus{hung.Command(), hung.Control()}, PollLimit: 1000}
	_, err = mc.Call(ctx, "Init", run.Args{})
	require.NoError(t, err)
	_, err = read(mc, 0, 4)
	assert.ErrorIs(t, err, run.ErrPollLimit)
}

// TestGeneratedReadSectorsCompiles: the generated ReadSectors refuses
// sectors past the 28 bits the task file holds, then loops over the
// buffer's sectors calling the one-sector strategy, and the source
// compiles and vets (without WriteSectorsFUA the driver is not
// block.Device, so the interface assertion is dropped).
func TestGeneratedReadSectorsCompiles(t *testing.T) {
	_, res := synthRead(t)
	out, err := gen.Generate(res, "devices/ata/ata.dev")
	require.NoError(t, err)
	src := string(out)
	assert.Contains(t, src, "for i := 0; i < len(buf)/512; i++ {")
	assert.Contains(t, src, "if err := d.readSectorsPiece(ctx, lba+uint64(i), buf[i*512:(i+1)*512]); err != nil {")
	assert.Contains(t, src, "func (d *Driver) readSectorsPiece(ctx context.Context, lba uint64, buf []byte) error {")
	assert.Contains(t, src, "if lba >= 1<<28 || uint64(len(buf)/512) > 1<<28-lba {")
	assert.Contains(t, src, "d.bus.ReadStream(StreamDATA, 2, buf)")
	const assertion = "var _ block.Device = (*Driver)(nil)\n"
	require.Contains(t, src, assertion)
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to compile the generated source")
	}
	dir, err := os.MkdirTemp("../../generated", "variant-")
	require.NoError(t, err)
	defer os.RemoveAll(dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ata.go"), []byte(strings.Replace(src, assertion, "", 1)), 0o644))
	cmd := exec.Command(goTool, "vet", "./generated/"+filepath.Base(dir))
	cmd.Dir = "../.."
	vout, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", vout)
}
