package dsl

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRareInternal(t *testing.T) {
	runCases(t, []ckCase{
		{name: "fair and rare", dev: `
	state s: bool = false
	internal $t fair rare when !s { s = true }`, msgs: []string{"internal t cannot be both fair and rare"}},
	})
	ds, _ := checkDev(t, testDevice(`
	state s: bool = false
	internal t rare when !s { s = true }
	internal u rare { s = false }`), testClass)
	assert.Empty(t, ds, "%v", ds)
}

func TestFormatRare(t *testing.T) {
	src := "device d implements c {\n\tinternal tick rare when !s {\n\t\ts = true\n\t}\n}\n"
	f, err := Parse("d.dev", []byte(src))
	require.NoError(t, err)
	in := f.Device.Items[0].Internal
	require.True(t, in.Rare)
	require.False(t, in.Fair)
	assert.Equal(t, src, string(Format(f)))
}

func TestBetweenInternal(t *testing.T) {
	runCases(t, []ckCase{
		{name: "fair and between", dev: `
	state s: bool = false
	internal $t fair between when !s { s = true }`, msgs: []string{"internal t cannot be between and also fair or rare"}},
		{name: "rare and between", dev: `
	state s: bool = false
	internal $t rare between when !s { s = true }`, msgs: []string{"internal t cannot be between and also fair or rare"}},
	})
	ds, _ := checkDev(t, testDevice(`
	state s: bool = false
	internal t between when !s { s = true }`), testClass)
	assert.Empty(t, ds, "%v", ds)
	src := "device d implements c {\n\tinternal tick between when !s {\n\t\ts = true\n\t}\n}\n"
	f, err := Parse("d.dev", []byte(src))
	require.NoError(t, err)
	require.True(t, f.Device.Items[0].Internal.Between)
	assert.Equal(t, src, string(Format(f)))
}
