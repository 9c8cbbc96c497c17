package ata_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/devices/ata"
	"github.com/drvsynth/drvsynth/os-interface/block"
	"github.com/drvsynth/drvsynth/os-interface/driver"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/sim"
)

// These tests hold ata.dev against the reference model: the hand-written
// driver, which passes on the model, runs on the spec's simulator, and the
// spec must accept everything it does and say the same things happened.

const specSectors = 1 << 20

// specFill delivers IDENTIFY data as the reference model lays it out, and
// a pattern for sectors.
func specFill(identify []byte) func(string, sim.View, []byte) {
	return func(_ string, v sim.View, buf []byte) {
		if op, _ := v.Value("op"); op == 4 { // Op.Identify
			copy(buf, identify)
			return
		}
		lba, _ := v.Value("lba")
		for i := range buf {
			buf[i] = byte(lba*5 + uint64(i))
		}
	}
}

var (
	specOnce sync.Once
	specM    *model.Model
	specErr  error
)

func newSpecDisk(t *testing.T, seed uint64, unfair bool) (*sim.Device, *ata.HandwrittenDriver) {
	t.Helper()
	specOnce.Do(func() { specM, specErr = model.Load("ata.dev") })
	require.NoError(t, specErr)
	spec := specM
	id := ata.NewModel(ata.Options{Sectors: specSectors}).Identify()
	dev, err := sim.NewFromModel(spec, sim.Options{Seed: seed, Unfair: unfair,
		Init: map[string]uint64{"total_sectors": specSectors}, Fill: specFill(id)})
	require.NoError(t, err)
	return dev, ata.NewHandwrittenDriver(dev.Bus(), dev.Region("ctl"), ata.HandwrittenConfig{})
}

// TestSpecAcceptsTheBaseline: on 300 schedules without device errors, the
// baseline breaks no require of the spec, and the spec's events are the
// transfers the driver made.
func TestSpecAcceptsTheBaseline(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 300; seed++ {
		dev, d := newSpecDisk(t, seed, false)
		require.NoError(t, d.Init(ctx), "seed %d", seed)
		n, err := d.Capacity(ctx)
		require.NoError(t, err)
		require.Equal(t, uint64(specSectors), n)
		out := randomSectors(seed, 3)
		require.NoError(t, d.WriteSectors(ctx, 0x0FEDCB, out))
		require.NoError(t, d.Flush(ctx))
		in := make([]byte, 2*block.SectorSize)
		require.NoError(t, d.ReadSectors(ctx, 77, in))
		require.NoError(t, dev.Err())
		require.Empty(t, dev.Violations(), "seed %d", seed)

		var written, read [][]byte
		for _, e := range dev.Events() {
			switch e.Name {
			case "sectors_written":
				written = append(written, e.Bytes)
			case "sectors_read":
				read = append(read, e.Bytes)
			}
		}
		require.Len(t, written, 3)
		assert.True(t, bytes.Equal(bytes.Join(written, nil), out))
		require.Len(t, read, 2)
		assert.True(t, bytes.Equal(bytes.Join(read, nil), in))
		dirty, err := dev.Value("dirty")
		require.NoError(t, err)
		assert.Zero(t, dirty, "seed %d: FLUSH CACHE empties the cache", seed)
	}
}

// TestSpecFaultsAreTyped: with the spec's error paths taken, every error
// the baseline returns is the typed one for the fault the spec shows.
func TestSpecFaultsAreTyped(t *testing.T) {
	ctx := context.Background()
	want := map[string]error{
		"OUT_OF_RANGE": ata.ErrOutOfRange,
		"ABORTED":      ata.ErrAborted,
		"MEDIA_ERROR":  ata.ErrMedia,
		"DEVICE_FAULT": ata.ErrDeviceFault,
	}
	seen := map[string]int{}
	for seed := uint64(1); seed <= 400; seed++ {
		dev, d := newSpecDisk(t, seed, true)
		err := d.Init(ctx)
		if err == nil {
			err = d.ReadSectors(ctx, 5, make([]byte, 4*block.SectorSize))
		}
		if err == nil {
			err = d.WriteSectors(ctx, 9, make([]byte, 2*block.SectorSize))
		}
		require.NoError(t, dev.Err())
		require.Empty(t, dev.Violations(), "seed %d", seed)
		if err == nil {
			continue
		}
		faults := dev.Faults()
		require.Len(t, faults, 1, "seed %d: %v", seed, err)
		seen[faults[0]]++
		assert.True(t, errors.Is(err, want[faults[0]]), "seed %d: fault %s, error %v", seed, faults[0], err)
		assert.False(t, errors.Is(err, driver.ErrUnexpected))
	}
	t.Logf("faults seen: %v", seen)
	for _, f := range []string{"OUT_OF_RANGE", "MEDIA_ERROR", "DEVICE_FAULT"} {
		assert.Positive(t, seen[f], f)
	}
}
