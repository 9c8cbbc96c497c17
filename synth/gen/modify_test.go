package gen

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dave/jennifer/jen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/solve"
	"github.com/drvsynth/drvsynth/synth/term"
)

// TestReadThenKeepingWriteIsOneModify: a strategy that reads a register
// only to write it back with some fields kept is written as one
// driver.Modify, which also spares the register's write-1-to-clear bits.
func TestReadThenKeepingWriteIsOneModify(t *testing.T) {
	m, err := model.Load("../../devices/uart16550/uart16550.dev")
	require.NoError(t, err)
	mcr := m.Reg("MCR")
	require.NotNil(t, mcr)
	// Pretend LOOP is write-1-to-clear, as a status bit in a control
	// register would be.
	loop := mcr.Fields[4]
	require.Equal(t, "LOOP", loop.Name)
	loop.W1C = true
	defer func() { loop.W1C = false }()

	goal := &solve.Node{Goal: true}
	vals := make([]*solve.Cand, len(mcr.Fields))
	for i, f := range mcr.Fields {
		// Keep everything the driver read, except OUT2, which it sets.
		vals[i] = &solve.Cand{T: term.Sl(term.R("vMCR", mcr.Width), f.Lo+f.Width-1, f.Lo), Keep: true, Why: "keeps its value"}
	}
	vals[3] = &solve.Cand{T: term.C(1, 1)}
	write := &solve.Node{Best: &solve.Edge{Act: &solve.Action{Kind: solve.ActWrite, Reg: mcr, Vals: vals}, Outs: []*solve.Outcome{{Next: goal}}}}
	read := &solve.Node{Best: &solve.Edge{Act: &solve.Action{Kind: solve.ActRead, Reg: mcr, ReadVar: "vMCR"}, Outs: []*solve.Outcome{{Next: write}}}}

	g := &gen{m: m, classPkg: modulePath + "/os-interface/serial"}
	g.fn = &fnState{mode: wholeMethod, method: &dsl.Method{Name: "Init"}, rel: -1, declared: map[string]bool{}, values: map[string]string{}, regVals: map[*matcher]string{}}
	code, err := g.node(read)
	require.NoError(t, err)
	src := fmt.Sprintf("%#v", jen.Block(code...))
	assert.Contains(t, src, "driver.Modify(d.bus, RegMCR, 0xe8, MCR_OUT2, 0x10)")
	assert.Equal(t, 1, strings.Count(src, "driver."), "one access helper: no separate read")
	assert.Contains(t, src, "(read-modify-write)")
}
