package solve

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/spectest"
)

// TestSectorLoopShape: the ATA disk moves one sector per event, so its
// buffer methods are sector loops over 512-byte pieces at lba; vblk takes
// the whole count in one request and keeps its whole-buffer games; methods
// without a buffer are never sector loops.
func TestSectorLoopShape(t *testing.T) {
	ata := ataWith(t, "Init", "Capacity", "ReadSectors", "WriteSectors", "WriteSectorsFUA", "Flush")
	loops := map[string]*SectorLoop{}
	for _, meth := range ata.Methods {
		loops[meth.Name] = sectorLoop(ata, meth)
	}
	for _, name := range []string{"ReadSectors", "WriteSectors", "WriteSectorsFUA"} {
		sl := loops[name]
		require.NotNil(t, sl, name)
		assert.Equal(t, [4]any{"buf", 512, "lba", 28}, [4]any{sl.Buf, sl.Size, sl.Pos, sl.Bits},
			"%s: 512-byte pieces at lba, which the device zero-extends from 28 bits", name)
	}
	assert.Nil(t, loops["Init"])
	assert.Nil(t, loops["Capacity"])
	assert.Nil(t, loops["Flush"])

	vblk, err := model.Load("../../devices/vblk/vblk.dev")
	require.NoError(t, err)
	for _, meth := range vblk.Methods {
		assert.Nil(t, sectorLoop(vblk, meth), "vblk %s emits the count it was given", meth.Name)
	}

	// One emit with another count than 1 and the device no longer moves
	// one sector per event.
	dev := spectest.Edit(t, "../../devices/ata/ata.dev", [2]string{"emit sectors_read({0[35:0], lba}, 1, buf)", "emit sectors_read({0[35:0], lba}, {0[23:0], left}, buf)"})
	path := spectest.Tree(t, "../../os-interface/block/block.osi", "os-interface/block/block.osi", "devices/ata/ata.dev", dev)
	m, err := model.Load(path)
	require.NoError(t, err)
	for _, meth := range m.Methods {
		if meth.Name == "ReadSectors" {
			assert.Nil(t, sectorLoop(m, meth))
		}
		if meth.Name == "WriteSectors" {
			assert.NotNil(t, sectorLoop(m, meth), "the write's emits still move one sector")
		}
	}
}

// TestSectorLoopPiece: the one-piece contract is the method's with
// len(buf) the piece's size; the length requires are left to the method.
// A choice E || P (FUA: sectors_durable or durable) is left to the tail,
// which meets P once after the last piece.
func TestSectorLoopPiece(t *testing.T) {
	m := ataWith(t, "Init", "WriteSectorsFUA")
	var meth *dsl.Method
	for _, x := range m.Methods {
		if x.Name == "WriteSectorsFUA" {
			meth = x
		}
	}
	require.NotNil(t, meth)
	piece := sectorLoop(m, meth).piece(meth)
	var got []string
	for _, c := range piece.Clauses {
		require.Nil(t, c.Requires)
		got = append(got, dsl.FormatExpr(c.Ensures))
	}
	assert.Equal(t, []string{"sectors_written(lba, 1, buf)"}, got, "the piece emits; the choice is the tail's")
	tail := sectorLoop(m, meth).tailMethod(meth)
	require.NotNil(t, tail)
	got = nil
	for _, c := range tail.Clauses {
		got = append(got, dsl.FormatExpr(c.Ensures))
	}
	assert.Equal(t, []string{"durable"}, got, "sectors_durable(...) || durable: durable once at the end")
	assert.Empty(t, tail.Params)
	var orig []string
	for _, c := range meth.Clauses {
		if c.Ensures != nil {
			orig = append(orig, dsl.FormatExpr(c.Ensures))
		}
	}
	assert.Equal(t, []string{"sectors_written(lba, len(buf) / 512, buf)", "sectors_durable(lba, len(buf) / 512) || durable"}, orig, "the method's own contract is untouched")
	assert.Nil(t, sectorLoop(m, m.Methods[0]).tailMethod(m.Methods[0]), "Init is no sector loop")
}

// TestCopiedConsts: SECCOUNT.COUNT, copied whole into left on the command
// write, is offered 1, what left is compared with.
func TestCopiedConsts(t *testing.T) {
	m := ataWith(t, "Init")
	consts := specConsts(m)
	assert.NotContains(t, consts["SECCOUNT.COUNT"], uint64(1))
	copiedConsts(m, consts)
	assert.Equal(t, []uint64{1}, consts["SECCOUNT.COUNT"])
}
