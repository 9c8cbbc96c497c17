package sim

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/synth/model"
)

const ataSpec = "../../devices/ata/ata.dev"

// ATA task-file offsets and bits (ATA/ATAPI-6), for a hand-scripted PIO
// driver.
const (
	ataData      = 0
	ataSecCnt    = 2
	ataLBALow    = 3
	ataLBAMid    = 4
	ataLBAHigh   = 5
	ataDevice    = 6
	ataStatus    = 7 // read
	ataCommand   = 7 // write
	ataDevCtl    = 0 // in region ctl
	ataAltStatus = 0 // in region ctl, read

	stERR  = 0x01
	stDRQ  = 0x08
	stDF   = 0x20
	stDRDY = 0x40
	stBSY  = 0x80

	devLBA  = 0x40
	devObs  = 0xA0
	ctlNIEN = 0x02

	cmdRead     = 0x20
	cmdWrite    = 0x30
	cmdFlush    = 0xE7
	cmdIdentify = 0xEC
)

var errDevice = errors.New("device error")

type ataDriver struct {
	cmd, ctl bus.Bus
}

// wait polls STATUS until BSY is clear, then checks the outcome.
func (a *ataDriver) wait(wantDRQ bool) error {
	for i := 1; i < 10000; i++ {
		s := a.cmd.Read8(ataStatus)
		if s&stBSY == 0 {
			switch {
			case s&(stERR|stDF) != 0:
				return fmt.Errorf("%w: status %#x", errDevice, s)
			case wantDRQ && s&stDRQ == 0:
				return fmt.Errorf("no DRQ: status %#x", s)
			}
			return nil
		}
		a.cmd.(bus.Poller).Pause(i)
	}
	return errPollLimit
}

func (a *ataDriver) init() error {
	a.ctl.Write8(ataDevCtl, ctlNIEN)
	for i := 1; a.cmd.Read8(ataStatus)&(stBSY|stDRDY) != stDRDY; i++ {
		if i > 10000 {
			return errPollLimit
		}
		a.cmd.(bus.Poller).Pause(i)
	}
	return nil
}

func (a *ataDriver) command(code uint8, lba uint32, count uint8) {
	a.cmd.Write8(ataDevice, devObs|devLBA|uint8(lba>>24&0x0F))
	a.cmd.Write8(ataSecCnt, count)
	a.cmd.Write8(ataLBALow, uint8(lba))
	a.cmd.Write8(ataLBAMid, uint8(lba>>8))
	a.cmd.Write8(ataLBAHigh, uint8(lba>>16))
	a.cmd.Write8(ataCommand, code)
	// The status shows the command only 400 ns later: one ALTSTATUS read
	// takes that long.
	a.ctl.Read8(ataAltStatus)
}

func (a *ataDriver) read(lba uint32, buf []byte) error {
	a.command(cmdRead, lba, uint8(len(buf)/512))
	for off := 0; off < len(buf); off += 512 {
		if err := a.wait(true); err != nil {
			return err
		}
		a.cmd.ReadStream(ataData, 2, buf[off:off+512])
	}
	return nil
}

func (a *ataDriver) write(lba uint32, buf []byte) error {
	a.command(cmdWrite, lba, uint8(len(buf)/512))
	for off := 0; off < len(buf); off += 512 {
		if err := a.wait(true); err != nil {
			return err
		}
		a.cmd.WriteStream(ataData, 2, buf[off:off+512])
	}
	return a.wait(false)
}

func (a *ataDriver) simple(code uint8) error {
	a.command(code, 0, 0)
	return a.wait(false)
}

// sectorPattern is what the simulated medium holds at lba.
func sectorPattern(lba uint64, buf []byte) {
	for i := range buf {
		buf[i] = byte(lba*7 + uint64(i)*3)
	}
}

func ataFill(stream string, v View, buf []byte) {
	lba, err := v.Value("lba")
	if err != nil {
		panic(err)
	}
	sectorPattern(lba, buf)
}

// ataScenario identifies the disk, writes two sectors, flushes, and reads
// them back, checking every event against what the driver moved.
func ataScenario(d *Device) error {
	a := &ataDriver{cmd: d.Bus(), ctl: d.Region("ctl")}
	if err := a.init(); err != nil {
		return err
	}
	id := make([]byte, 512)
	a.command(cmdIdentify, 0, 0)
	if err := a.wait(true); err != nil {
		return err
	}
	a.cmd.ReadStream(ataData, 2, id)
	out := make([]byte, 1024)
	for i := range out {
		out[i] = byte(i ^ 0x5A)
	}
	if err := a.write(0x0123456, out); err != nil {
		return err
	}
	if err := a.simple(cmdFlush); err != nil {
		return err
	}
	in := make([]byte, 1024)
	if err := a.read(0x0ABCDEF, in); err != nil {
		return err
	}
	want := []string{
		"capacity_reported(0x100000)",
		"sectors_written(0x123456, 0x1, 0x0)[512 bytes]",
		"sectors_written(0x123457, 0x1, 0x0)[512 bytes]",
		"sectors_read(0xabcdef, 0x1, 0x0)[512 bytes]",
		"sectors_read(0xabcdf0, 0x1, 0x0)[512 bytes]",
	}
	ev := d.Events()
	if len(ev) != len(want) {
		return fmt.Errorf("events %v, want %v", ev, want)
	}
	for i, e := range ev {
		if e.String() != want[i] {
			return fmt.Errorf("event %d is %s, want %s", i, e, want[i])
		}
	}
	if !bytes.Equal(ev[1].Bytes, out[:512]) || !bytes.Equal(ev[2].Bytes, out[512:]) {
		return fmt.Errorf("written events do not carry the bytes written")
	}
	for k, lba := range []uint64{0xABCDEF, 0xABCDF0} {
		sector := make([]byte, 512)
		sectorPattern(lba, sector)
		if !bytes.Equal(in[512*k:512*(k+1)], sector) || !bytes.Equal(ev[3+k].Bytes, sector) {
			return fmt.Errorf("sector %#x: the driver got other bytes than the medium holds", lba)
		}
	}
	if dirty, _ := d.Value("dirty"); dirty != 0 {
		return fmt.Errorf("cache dirty after FLUSH CACHE")
	}
	return nil
}

func TestATARandomSchedules(t *testing.T) {
	m, err := model.Load(ataSpec)
	require.NoError(t, err)
	for seed := uint64(0); seed < 300; seed++ {
		d, err := NewFromModel(m, Options{Seed: seed, Init: map[string]uint64{"total_sectors": 1 << 20}, Fill: ataFill})
		require.NoError(t, err)
		require.NoError(t, ataScenario(d), "seed %d", seed)
		require.NoError(t, d.Err())
		require.Empty(t, d.Violations(), "seed %d", seed)
	}
}

func TestATAExplore(t *testing.T) {
	m, err := model.Load(ataSpec)
	require.NoError(t, err)
	stats, err := Explore(m, Options{Init: map[string]uint64{"total_sectors": 1 << 20}, Fill: ataFill}, 6, ataScenario)
	require.NoError(t, err)
	t.Logf("%d schedules, %d reached the bound", stats.Schedules, stats.Truncated)
	assert.Greater(t, stats.Schedules, 10)
}

// With unfair transitions allowed, commands may end in the spec's error
// paths: the driver sees ERR or DF, the simulator shows the fault, and the
// driver still never breaks a require.
func TestATAUnfairErrorPaths(t *testing.T) {
	m, err := model.Load(ataSpec)
	require.NoError(t, err)
	failed := 0
	for seed := uint64(0); seed < 300; seed++ {
		d, err := NewFromModel(m, Options{Seed: seed, Unfair: true, Fill: ataFill})
		require.NoError(t, err)
		a := &ataDriver{cmd: d.Bus(), ctl: d.Region("ctl")}
		require.NoError(t, a.init())
		err = a.read(42, make([]byte, 512))
		if err != nil {
			require.ErrorIs(t, err, errDevice, "seed %d", seed)
			assert.NotEmpty(t, d.Faults(), "seed %d: an error status is a fault of the spec", seed)
			failed++
		}
		require.Empty(t, d.Violations(), "seed %d", seed)
		require.NoError(t, d.Err())
	}
	t.Logf("%d of 300 reads ended in an error path", failed)
	assert.Greater(t, failed, 0)
	assert.Less(t, failed, 300)
}

func TestATAStreamViolations(t *testing.T) {
	m, err := model.Load(ataSpec)
	require.NoError(t, err)
	d, err := NewFromModel(m, Options{Schedule: Lazy{}})
	require.NoError(t, err)
	b := d.Bus()
	buf := make([]byte, 512)
	b.ReadStream(ataData, 2, buf) // nothing requested: DRQ is clear
	v := d.Violations()
	require.Len(t, v, 1)
	assert.Equal(t, Require, v[0].Kind)
	assert.Equal(t, "DATA read while no data is ready (DRQ clear)", v[0].Msg)
	assert.Equal(t, bytes.Repeat([]byte{0xFF}, 512), buf, "a refused stream read floats")
	b.ReadStream(ataData, 2, make([]byte, 100)) // not a whole sector
	b.ReadStream(ataData, 4, buf)               // wrong unit
	b.Read16(ataData)                           // a stream port is not a register
	v = d.Violations()
	require.Len(t, v, 4)
	assert.Equal(t, []Kind{Require, Width, Width, Unmapped}, []Kind{v[0].Kind, v[1].Kind, v[2].Kind, v[3].Kind})
	assert.Panics(t, func() { d.Region("nosuch") })
}
