package sim

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
)

// TestLayoutShowsInTheData: a stream read delivers the fill, with the
// active layout's values put over it (the IDENTIFY count in words 60-61),
// and no layout on a sector read.
func TestLayoutShowsInTheData(t *testing.T) {
	m, err := model.Load(ataSpec)
	require.NoError(t, err)
	d, err := NewFromModel(m, Options{Seed: 3, Init: map[string]uint64{"total_sectors": 0x0A0B0C0D}, Fill: ataFill})
	require.NoError(t, err)
	a := &ataDriver{cmd: d.Bus(), ctl: d.Region("ctl")}
	require.NoError(t, a.init())
	a.command(cmdIdentify, 0, 0)
	require.NoError(t, a.wait(true))
	id := make([]byte, 512)
	a.cmd.ReadStream(ataData, 2, id)
	assert.Equal(t, uint32(0x0A0B0C0D), binary.LittleEndian.Uint32(id[120:124]), "words 60-61")
	lba, err := d.Value("lba")
	require.NoError(t, err)
	fill := make([]byte, 512)
	sectorPattern(lba, fill)
	assert.Equal(t, fill[:120], id[:120], "the rest is the fill")
	assert.Equal(t, fill[124:], id[124:])

	in := make([]byte, 512)
	require.NoError(t, a.read(7, in))
	want := make([]byte, 512)
	sectorPattern(7, want)
	assert.Equal(t, want, in, "a sector read has no layout")
	require.Empty(t, d.Violations())
}
