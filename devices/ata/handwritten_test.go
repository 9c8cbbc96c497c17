package ata_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/ata"
	"github.com/drvsynth/drvsynth/os-interface/block"
	"github.com/drvsynth/drvsynth/os-interface/driver"
)

func randomSectors(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0xA7A))
	b := make([]byte, n*block.SectorSize)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func newDisk(t *testing.T, opt ata.Options) (*ata.Model, *ata.HandwrittenDriver) {
	t.Helper()
	m := ata.NewModel(opt)
	d := ata.NewHandwrittenDriver(m.Command(), m.Control(), ata.HandwrittenConfig{})
	require.NoError(t, d.Init(context.Background()))
	return m, d
}

// IDENTIFY as the standard lays it out: the model name byte-swapped per
// word, LBA in word 49, the counts in 60-61 and 100-103, the checksum.
func TestModelIdentify(t *testing.T) {
	m := ata.NewModel(ata.Options{Sectors: 1 << 30, Model: "ACME DISK 9000"})
	id := m.Identify()
	assert.Equal(t, "CAEMD SI K0900  ", string(id[54:70]), "pairs swapped, padded with spaces")
	assert.NotZero(t, binary.LittleEndian.Uint16(id[98:])&(1<<9))
	assert.Equal(t, uint32(0x0FFFFFFF), binary.LittleEndian.Uint32(id[120:]), "LBA28 count capped")
	assert.Equal(t, uint64(1<<30), binary.LittleEndian.Uint64(id[200:]))
	assert.NotZero(t, binary.LittleEndian.Uint16(id[166:])&(1<<10), "48-bit feature set")
	var sum byte
	for _, b := range id {
		sum += b
	}
	assert.Zero(t, sum)
	assert.Equal(t, byte(0xA5), id[510])
}

func TestHandwrittenCapacity(t *testing.T) {
	for _, n := range []uint64{1, 65536, 1<<28 - 1, 1 << 28, 1 << 34} {
		_, d := newDisk(t, ata.Options{Sectors: n})
		got, err := d.Capacity(context.Background())
		require.NoError(t, err)
		assert.Equal(t, min(n, 0x0FFFFFFF), got, "sectors %d", n)
	}
}

// Every transfer size from 1 to 256 sectors, at LBAs that use all four
// address bytes, reads back what was written.
func TestHandwrittenReadWriteSizes(t *testing.T) {
	ctx := context.Background()
	m, d := newDisk(t, ata.Options{Sectors: 1 << 28})
	lba := uint64(0x0ABCDE0)
	for n := 1; n <= 256; n++ {
		data := randomSectors(uint64(n), n)
		require.NoError(t, d.WriteSectors(ctx, lba, data), "n=%d", n)
		got := make([]byte, len(data))
		require.NoError(t, d.ReadSectors(ctx, lba, got), "n=%d", n)
		require.True(t, bytes.Equal(data, got), "n=%d", n)
		assert.Equal(t, data[:block.SectorSize], m.Sector(lba))
		lba += uint64(n)
	}
	assert.Empty(t, m.Violations())
	assert.Zero(t, m.IRQs(), "nIEN masks the interrupt: INTRQ never asserted")
	assert.True(t, m.InterruptsMasked())
}

// The last sectors of the disk are reachable; one past is not, and a
// request is refused before the device is asked.
func TestHandwrittenBounds(t *testing.T) {
	ctx := context.Background()
	m, d := newDisk(t, ata.Options{Sectors: 1000})
	buf := randomSectors(1, 8)
	require.NoError(t, d.WriteSectors(ctx, 992, buf))
	for _, c := range []struct {
		lba uint64
		n   int
	}{{993, 8}, {1000, 1}, {1 << 40, 1}} {
		err := d.WriteSectors(ctx, c.lba, make([]byte, c.n*block.SectorSize))
		assert.ErrorIs(t, err, ata.ErrOutOfRange, "%+v", c)
		err = d.ReadSectors(ctx, c.lba, make([]byte, c.n*block.SectorSize))
		assert.ErrorIs(t, err, ata.ErrOutOfRange, "%+v", c)
	}
	for _, n := range []int{0, 257} {
		assert.ErrorIs(t, d.ReadSectors(ctx, 0, make([]byte, n*block.SectorSize)), driver.ErrInvalidArgument)
	}
	assert.ErrorIs(t, d.ReadSectors(ctx, 0, make([]byte, 100)), driver.ErrInvalidArgument)
	assert.Empty(t, m.Violations())
}

// A driver that has not learned the capacity asks the device, and the
// device's IDNF comes back as the same typed error.
func TestHandwrittenDeviceIDNF(t *testing.T) {
	m := ata.NewModel(ata.Options{Sectors: 100})
	d := ata.NewHandwrittenDriver(m.Command(), m.Control(), ata.HandwrittenConfig{})
	err := d.ReadSectors(context.Background(), 99, make([]byte, 2*block.SectorSize))
	var se *ata.StatusError
	require.True(t, errors.As(err, &se), "got %v", err)
	assert.ErrorIs(t, err, ata.ErrOutOfRange)
	assert.Equal(t, uint8(0x10), se.ErrReg)
	// The device is usable afterwards.
	require.NoError(t, d.Init(context.Background()))
	assert.NoError(t, d.ReadSectors(context.Background(), 98, make([]byte, 2*block.SectorSize)))
	assert.Empty(t, m.Violations())
}

// Flush moves the write cache to the media; before it, a power cut would
// lose the data.
func TestHandwrittenFlush(t *testing.T) {
	ctx := context.Background()
	m, d := newDisk(t, ata.Options{})
	data := randomSectors(9, 3)
	require.NoError(t, d.WriteSectors(ctx, 10, data))
	assert.Equal(t, 3, m.Dirty())
	assert.NotEqual(t, data[:512], m.Durable(10))
	require.NoError(t, d.Flush(ctx))
	assert.Zero(t, m.Dirty())
	assert.Equal(t, data[1024:], m.Durable(12))
	require.NoError(t, d.WriteSectorsFUA(ctx, 20, data[:512]))
	assert.Equal(t, data[:512], m.Durable(20))
	assert.Empty(t, m.Violations())
}

// Errors the device reports, each typed: UNC on a bad sector, DF on a
// fault, ABRT on a command it refuses.
func TestHandwrittenDeviceErrors(t *testing.T) {
	ctx := context.Background()
	m, d := newDisk(t, ata.Options{Unreadable: []uint64{7}})
	m.Fill(0, randomSectors(3, 10))
	err := d.ReadSectors(ctx, 5, make([]byte, 4*block.SectorSize))
	assert.ErrorIs(t, err, ata.ErrMedia)
	require.NoError(t, d.ReadSectors(ctx, 0, make([]byte, 7*block.SectorSize)), "the sectors before it read")

	// Init issues IDENTIFY (command 1); the write is command 2.
	m = ata.NewModel(ata.Options{FaultAfter: 2})
	d = ata.NewHandwrittenDriver(m.Command(), m.Control(), ata.HandwrittenConfig{})
	require.NoError(t, d.Init(ctx))
	err = d.WriteSectors(ctx, 0, make([]byte, block.SectorSize))
	assert.ErrorIs(t, err, ata.ErrDeviceFault)
	assert.Empty(t, m.Violations())

	// A disk older than FLUSH CACHE aborts it; so does any disk given an
	// unknown command.
	m, d = newDisk(t, ata.Options{NoFlushCache: true})
	err = d.Flush(ctx)
	assert.ErrorIs(t, err, ata.ErrAborted)
	var se *ata.StatusError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, uint8(0x41), se.Status, "DRDY|ERR")
	assert.Equal(t, uint8(0x04), se.ErrReg, "ABRT")
	m.Command().Write8(7, 0x99)
	assert.Equal(t, uint8(0x41), m.Control().Read8(0))
	assert.NoError(t, d.WriteSectors(ctx, 0, make([]byte, block.SectorSize)), "a new command clears the error")
	assert.Empty(t, m.Violations())
}

// A device whose BSY never clears gives ErrTimeout; nothing hangs.
func TestHandwrittenStuckBSY(t *testing.T) {
	ctx := context.Background()
	cfg := ata.HandwrittenConfig{Timeout: 100 * time.Millisecond}
	m := ata.NewModel(ata.Options{StuckBSY: true})
	d := ata.NewHandwrittenDriver(m.Command(), m.Control(), cfg)
	assert.ErrorIs(t, d.Init(ctx), driver.ErrTimeout)

	m = ata.NewModel(ata.Options{HangAfter: 2})
	d = ata.NewHandwrittenDriver(m.Command(), m.Control(), cfg)
	require.NoError(t, d.Init(ctx))
	assert.ErrorIs(t, d.ReadSectors(ctx, 0, make([]byte, block.SectorSize)), driver.ErrTimeout)
	// A reset recovers a hung command.
	require.NoError(t, d.Init(ctx))
	assert.NoError(t, d.ReadSectors(ctx, 0, make([]byte, block.SectorSize)))

	// The caller's context ends a wait before the timeout does.
	m = ata.NewModel(ata.Options{HangAfter: 2})
	d = ata.NewHandwrittenDriver(m.Command(), m.Control(), ata.HandwrittenConfig{Timeout: time.Hour})
	require.NoError(t, d.Init(ctx))
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, d.Flush(cctx), context.DeadlineExceeded)
}

// A device slow to show BSY after a command (up to the standard's 400 ns,
// modelled as stale status reads) does not fool the driver.
func TestHandwrittenBSYDelay(t *testing.T) {
	ctx := context.Background()
	for delay := 0; delay <= 4; delay++ {
		m, d := newDisk(t, ata.Options{BSYDelay: delay, BusyTicks: 7})
		data := randomSectors(uint64(delay), 5)
		require.NoError(t, d.WriteSectors(ctx, 3, data), "delay %d", delay)
		got := make([]byte, len(data))
		require.NoError(t, d.ReadSectors(ctx, 3, got), "delay %d", delay)
		assert.Equal(t, data, got)
		assert.Empty(t, m.Violations())
	}
}

// The split wrapper carries requests larger than 256 sectors.
func TestHandwrittenSplit(t *testing.T) {
	m, d := newDisk(t, ata.Options{})
	testSplit(t, m, d)
}

// testSplit writes and reads back 600 sectors through block.Split(d), on
// the model m behind d.
func testSplit(t *testing.T, m *ata.Model, d block.Device) {
	ctx := context.Background()
	dev := block.Split(d)
	data := randomSectors(77, 600)
	require.NoError(t, dev.WriteSectors(ctx, 100, data))
	got := make([]byte, len(data))
	require.NoError(t, dev.ReadSectors(ctx, 100, got))
	assert.True(t, bytes.Equal(data, got))
	assert.Empty(t, m.Violations())
}

// INTRQ: pending after a command, shown only with nIEN clear, held while
// masked and shown when unmasked, acknowledged by reading STATUS (not
// ALTSTATUS).
func TestModelInterrupt(t *testing.T) {
	m := ata.NewModel(ata.Options{BusyTicks: 1})
	cmd, ctl := m.Command(), m.Control()
	cmd.Write8(6, 0xE0)
	cmd.Write8(7, 0xE7) // FLUSH CACHE, nIEN clear
	for ctl.Read8(0)&0x80 != 0 {
	}
	assert.True(t, m.IRQ())
	assert.True(t, m.IRQ(), "ALTSTATUS does not acknowledge")
	cmd.Read8(7)
	assert.False(t, m.IRQ())

	ctl.Write8(0, 0x02) // nIEN
	cmd.Write8(7, 0xE7)
	for ctl.Read8(0)&0x80 != 0 {
	}
	assert.False(t, m.IRQ(), "masked")
	assert.Equal(t, 1, m.IRQs())
	ctl.Write8(0, 0x00)
	assert.True(t, m.IRQ(), "pending, shown once unmasked")
	assert.Equal(t, 2, m.IRQs())
}

// The model catches a careless host: command block written while busy,
// data port used without DRQ.
func TestModelCatchesCarelessHost(t *testing.T) {
	m := ata.NewModel(ata.Options{BusyTicks: 50})
	cmd := m.Command()
	cmd.Write8(6, 0xE0)
	cmd.Write8(2, 1)
	cmd.Write8(7, 0x20)
	cmd.Write8(3, 5) // busy
	cmd.Read16(0)    // no DRQ yet
	var kinds []ata.ViolationKind
	for _, v := range m.Violations() {
		kinds = append(kinds, v.Kind)
	}
	assert.Equal(t, []ata.ViolationKind{ata.WriteWhileBusy, ata.DataWithoutDRQ}, kinds)
}
