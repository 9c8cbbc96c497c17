package dsl

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCarriedState(t *testing.T) {
	runCases(t, []ckCase{
		{name: "data", dev: `
	state $d: data<8> carried`, msgs: []string{"state d is data: only finite state (bool, uint, enum) can be carried between methods"}},
		{name: "buffer", dev: `
	state $b: []data<8> carried`, msgs: []string{"state b is data"}},
	})
	ds, _ := checkDev(t, testDevice(`
	state dirty: bool = false carried
	state level: uint<2> carried`), testClass)
	assert.Empty(t, ds, "%v", ds)
}

func TestFormatCarried(t *testing.T) {
	src := "device d implements c {\n\tstate dirty: bool = false carried\n\tstate n: uint<2> carried\n}\n"
	f, err := Parse("d.dev", []byte(src))
	require.NoError(t, err)
	require.True(t, f.Device.Items[0].State.Carried)
	assert.Equal(t, src, string(Format(f)))
}
