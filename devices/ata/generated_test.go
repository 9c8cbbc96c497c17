package ata_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/ata"
	synthesized "github.com/drvsynth/drvsynth/generated/ata"
	"github.com/drvsynth/drvsynth/os-interface/block"
	"github.com/drvsynth/drvsynth/os-interface/driver"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/sim"
)

// The bundled driver, generated/ata, synthesized from ata.dev, against the
// reference model (written from the standard, independently of the spec)
// and against the spec itself on the simulator.

func newGenerated(t *testing.T, opt ata.Options, opts ...synthesized.Option) (*ata.Model, *synthesized.Driver) {
	t.Helper()
	m := ata.NewModel(opt)
	d := synthesized.New(m.Command(), m.Control(), opts...)
	require.NoError(t, d.Init(context.Background()))
	return m, d
}

// deviceFault is the fault the driver reported, or "".
func deviceFault(err error) string {
	var de *driver.DeviceError
	if errors.As(err, &de) {
		return de.Fault
	}
	return ""
}

func TestGeneratedCapacity(t *testing.T) {
	for _, n := range []uint64{1, 65536, 1<<28 - 1, 1 << 28, 1 << 34} {
		m, d := newGenerated(t, ata.Options{Sectors: n})
		got, err := d.Capacity(context.Background())
		require.NoError(t, err)
		assert.Equal(t, min(n, 0x0FFFFFFF), got, "sectors %d: IDENTIFY words 60-61", n)
		assert.Empty(t, m.Violations())
	}
}

// Every transfer size from 1 to 256 sectors, at LBAs that use all four
// address bytes, reads back what was written; interrupts stay masked.
func TestGeneratedReadWriteSizes(t *testing.T) {
	ctx := context.Background()
	m, d := newGenerated(t, ata.Options{Sectors: 1 << 28})
	lba := uint64(0x0ABCDE0)
	for n := 1; n <= 256; n++ {
		data := randomSectors(uint64(n), n)
		require.NoError(t, d.WriteSectors(ctx, lba, data), "n=%d", n)
		got := make([]byte, len(data))
		require.NoError(t, d.ReadSectors(ctx, lba, got), "n=%d", n)
		require.True(t, bytes.Equal(data, got), "n=%d", n)
		assert.Equal(t, data[len(data)-block.SectorSize:], m.Sector(lba+uint64(n)-1), "n=%d", n)
		lba += uint64(n)
	}
	assert.Empty(t, m.Violations())
	assert.True(t, m.InterruptsMasked(), "nIEN set")
	assert.Zero(t, m.IRQs(), "INTRQ never asserted")
}

// Writes sit in the cache until Flush; a FUA write is on the medium when
// it returns, every sector of it, with one FLUSH CACHE after the writes.
func TestGeneratedFlushAndFUA(t *testing.T) {
	ctx := context.Background()
	m, d := newGenerated(t, ata.Options{})
	data := randomSectors(9, 3)
	require.NoError(t, d.WriteSectors(ctx, 10, data))
	assert.Equal(t, 3, m.Dirty())
	assert.NotEqual(t, data[:512], m.Durable(10))
	require.NoError(t, d.Flush(ctx))
	assert.Zero(t, m.Dirty())
	assert.Equal(t, data[1024:], m.Durable(12))

	for _, n := range []int{1, 2, 17, 256} {
		data := randomSectors(uint64(100+n), n)
		before := m.Commands()
		require.NoError(t, d.WriteSectorsFUA(ctx, 1000, data), "n=%d", n)
		assert.Zero(t, m.Dirty(), "n=%d: nothing left in the cache", n)
		for i := 0; i < n; i++ {
			assert.Equal(t, data[i*512:(i+1)*512], m.Durable(1000+uint64(i)), "n=%d: sector %d", n, i)
		}
		assert.Equal(t, n+1, m.Commands()-before, "n=%d: one WRITE SECTORS per sector, then one FLUSH CACHE", n)
	}
	assert.Empty(t, m.Violations())
}

// Faults the device reports come back typed, and the driver goes on.
func TestGeneratedDeviceErrors(t *testing.T) {
	ctx := context.Background()
	m, d := newGenerated(t, ata.Options{Sectors: 100, Unreadable: []uint64{7}})
	err := d.ReadSectors(ctx, 99, make([]byte, 2*block.SectorSize))
	assert.Equal(t, "OUT_OF_RANGE", deviceFault(err), "%v", err)
	err = d.WriteSectors(ctx, 100, make([]byte, block.SectorSize))
	assert.Equal(t, "OUT_OF_RANGE", deviceFault(err), "%v", err)
	require.NoError(t, d.ReadSectors(ctx, 98, make([]byte, 2*block.SectorSize)), "usable after a fault")
	err = d.ReadSectors(ctx, 5, make([]byte, 4*block.SectorSize))
	assert.Equal(t, "MEDIA_ERROR", deviceFault(err), "%v", err)
	require.NoError(t, d.ReadSectors(ctx, 0, make([]byte, 7*block.SectorSize)), "the sectors before it read")
	assert.Empty(t, m.Violations())

	// Init issues no command; the first write faults.
	m, d = newGenerated(t, ata.Options{FaultAfter: 1})
	err = d.WriteSectors(ctx, 0, make([]byte, block.SectorSize))
	assert.Equal(t, "DEVICE_FAULT", deviceFault(err), "%v", err)
	assert.Empty(t, m.Violations())

	// A disk older than FLUSH CACHE aborts it: Flush and a FUA write say
	// so instead of promising durability.
	m, d = newGenerated(t, ata.Options{NoFlushCache: true})
	require.NoError(t, d.WriteSectors(ctx, 3, make([]byte, block.SectorSize)))
	assert.Equal(t, "ABORTED", deviceFault(d.Flush(ctx)))
	assert.Equal(t, "ABORTED", deviceFault(d.WriteSectorsFUA(ctx, 3, make([]byte, block.SectorSize))))
	assert.NoError(t, d.ReadSectors(ctx, 3, make([]byte, block.SectorSize)), "a new command clears the error")
	assert.Empty(t, m.Violations())
}

// The task file holds 28 bits of LBA: the driver refuses what does not fit
// before any access.
func TestGeneratedRefusesPast28Bits(t *testing.T) {
	ctx := context.Background()
	m, d := newGenerated(t, ata.Options{})
	for _, c := range []struct {
		lba uint64
		n   int
	}{{1 << 28, 1}, {1<<28 - 1, 2}, {1 << 40, 1}, {1<<64 - 1, 1}} {
		before := m.Commands()
		buf := make([]byte, c.n*block.SectorSize)
		assert.ErrorIs(t, d.ReadSectors(ctx, c.lba, buf), driver.ErrInvalidArgument, "%+v", c)
		assert.ErrorIs(t, d.WriteSectors(ctx, c.lba, buf), driver.ErrInvalidArgument, "%+v", c)
		assert.ErrorIs(t, d.WriteSectorsFUA(ctx, c.lba, buf), driver.ErrInvalidArgument, "%+v", c)
		assert.Equal(t, before, m.Commands(), "%+v: no command for a refused request", c)
	}
	for _, n := range []int{0, 100} {
		assert.ErrorIs(t, d.ReadSectors(ctx, 0, make([]byte, n)), driver.ErrInvalidArgument, "%d bytes", n)
	}
	assert.Empty(t, m.Violations())
}

// A device whose BSY never clears gives ErrTimeout; nothing hangs.
func TestGeneratedStuckBSY(t *testing.T) {
	ctx := context.Background()
	timeout := synthesized.WithTimeout(100 * time.Millisecond)
	m := ata.NewModel(ata.Options{StuckBSY: true})
	d := synthesized.New(m.Command(), m.Control(), timeout)
	assert.ErrorIs(t, d.Init(ctx), driver.ErrTimeout)

	// (The class's Init starts from power-on; unlike the hand-written
	// driver, the synthesized one does not reset a hung disk.)
	for _, call := range []func(d *synthesized.Driver) error{
		func(d *synthesized.Driver) error { return d.ReadSectors(ctx, 0, make([]byte, 3*block.SectorSize)) },
		func(d *synthesized.Driver) error { return d.WriteSectors(ctx, 0, make([]byte, 3*block.SectorSize)) },
		func(d *synthesized.Driver) error { return d.WriteSectorsFUA(ctx, 0, make([]byte, block.SectorSize)) },
		func(d *synthesized.Driver) error { return d.Flush(ctx) },
		func(d *synthesized.Driver) error { _, err := d.Capacity(ctx); return err },
	} {
		_, d = newGenerated(t, ata.Options{HangAfter: 1}, timeout)
		assert.ErrorIs(t, call(d), driver.ErrTimeout)
	}

	// The caller's context ends a wait before the timeout does.
	_, d = newGenerated(t, ata.Options{HangAfter: 1}, synthesized.WithTimeout(time.Hour))
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, d.Flush(cctx), context.DeadlineExceeded)
}

// The status the first read after a command shows is stale (the
// standard's 400 ns before BSY shows; ata.dev's settling, one read long):
// it does not fool the driver. (A device slower than the standard, which
// the model can also be, is outside the spec: the hand-written driver
// reads ALTSTATUS four times, the synthesized one once.)
func TestGeneratedBSYDelay(t *testing.T) {
	ctx := context.Background()
	for delay := 0; delay <= 1; delay++ {
		m, d := newGenerated(t, ata.Options{BSYDelay: delay, BusyTicks: 7})
		data := randomSectors(uint64(delay), 5)
		require.NoError(t, d.WriteSectors(ctx, 3, data), "delay %d", delay)
		got := make([]byte, len(data))
		require.NoError(t, d.ReadSectors(ctx, 3, got), "delay %d", delay)
		assert.Equal(t, data, got)
		require.NoError(t, d.WriteSectorsFUA(ctx, 30, data), "delay %d", delay)
		assert.Equal(t, data[:512], m.Durable(30))
		assert.Empty(t, m.Violations())
	}
}

// The split wrapper carries requests larger than 256 sectors.
func TestGeneratedSplit(t *testing.T) {
	m, d := newGenerated(t, ata.Options{})
	testSplit(t, m, d)
}

// TestGeneratedOnSimulator: the driver against the spec itself, the
// device's choices put to 1000 random schedules; on the unfair half the
// error paths may end any command. Each schedule writes, flushes, reads
// back and FUA-writes 1..256 sectors: every access keeps the spec's
// rules, the device accepts each sector at its LBA with its piece of the
// buffer, a flush and a FUA write leave the cache clean, a read returns
// what the disk holds; or a call ends in a fault the device shows.
func TestGeneratedOnSimulator(t *testing.T) {
	spec, err := model.Load("ata.dev")
	require.NoError(t, err)
	schedules := 1000
	if testing.Short() {
		schedules = 100
	}
	ctx := context.Background()
	faults, moved := 0, 0
	for seed := uint64(1); seed <= uint64(schedules); seed++ {
		n := int(seed%3) + 1
		if seed%4 == 1 {
			n = int(seed*37%256) + 1 // long transfers on a quarter of the fair schedules
		}
		lba := seed * 104729 % (1<<28 - 256)
		dev, err := sim.NewFromModel(spec, sim.Options{Seed: seed, Unfair: seed%2 == 0,
			Init: map[string]uint64{"total_sectors": 1 << 28}, Fill: sectorFill})
		require.NoError(t, err)
		d := synthesized.New(dev.Bus(), dev.Region("ctl"), synthesized.WithTimeout(10*time.Second))
		require.NoError(t, d.Init(ctx), "seed %d", seed)
		capacity, err := d.Capacity(ctx)
		if deviceFault(err) == "" {
			require.NoError(t, err, "seed %d", seed)
			assert.Equal(t, uint64(1<<28), capacity, "seed %d", seed)
		}
		out := randomSectors(seed, n)
		in := make([]byte, n*512)
		calls := []struct {
			name string
			call func() error
		}{
			{"WriteSectors", func() error { return d.WriteSectors(ctx, lba, out) }},
			{"Flush", func() error { return d.Flush(ctx) }},
			{"ReadSectors", func() error { return d.ReadSectors(ctx, lba, in) }},
			{"WriteSectorsFUA", func() error { return d.WriteSectorsFUA(ctx, lba, out) }},
		}
		done := 0
		for _, c := range calls {
			err := c.call()
			if f := deviceFault(err); f != "" {
				faults++
				assert.Contains(t, dev.Faults(), f, "seed %d: %s", seed, c.name)
				break
			}
			require.NoError(t, err, "seed %d: %s", seed, c.name)
			done++
			if c.name == "Flush" || c.name == "WriteSectorsFUA" {
				dirty, err := dev.Value("dirty")
				require.NoError(t, err)
				assert.Zero(t, dirty, "seed %d: %s leaves nothing in the cache", seed, c.name)
			}
		}
		var written [][]byte
		for _, e := range dev.Events() {
			if e.Name == "sectors_written" {
				require.Equal(t, []uint64{lba + uint64(len(written)%n), 1, 0}, e.Args, "seed %d", seed)
				written = append(written, e.Bytes)
			}
		}
		if done >= 1 {
			require.GreaterOrEqual(t, len(written), n, "seed %d", seed)
			require.Equal(t, out, bytes.Join(written[:n], nil), "seed %d", seed)
		}
		if done >= 3 {
			moved += 2 * n
			for i := 0; i < n; i++ {
				want := make([]byte, 512)
				sectorPattern(want, lba+uint64(i))
				require.Equal(t, want, in[i*512:(i+1)*512], "seed %d: sector %d of %d", seed, i, n)
			}
		}
		if done == 4 {
			require.Len(t, written, 2*n, "seed %d", seed)
			require.Equal(t, out, bytes.Join(written[n:], nil), "seed %d", seed)
		}
		require.NoError(t, dev.Err(), "seed %d", seed)
		require.Empty(t, dev.Violations(), "seed %d", seed)
		nien, err := dev.Value("DEVCTL.NIEN")
		require.NoError(t, err)
		assert.Equal(t, uint64(1), nien, "seed %d: interrupts masked", seed)
	}
	t.Logf("%d of %d schedules ended in a device fault; the others moved %d sectors", faults, schedules, moved)
	assert.Positive(t, faults, "the error paths were taken")
	assert.Greater(t, moved, 5000, "long transfers were run to the end")
}
