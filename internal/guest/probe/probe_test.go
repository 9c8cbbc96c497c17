package probe

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseScripts(t *testing.T) {
	s, err := Parse("t", "r 5 // LSR\nr 5 0x9f\nw ctl+0 0x06\npoll 7 0x80 0\nsettle\nstream 0 512\n")
	require.NoError(t, err)
	require.Len(t, s.Steps, 6)
	assert.Equal(t, Step{Op: Read, Off: 5, Width: 1, Mask: 0xff, Line: 1, Text: "r 5 // LSR"}, s.Steps[0])
	assert.Equal(t, uint64(0x9f), s.Steps[1].Mask)
	assert.Equal(t, "ctl", s.Steps[2].Region)
	assert.Equal(t, uint64(6), s.Steps[2].Value)
	assert.Equal(t, [2]uint64{0x80, 0}, [2]uint64{s.Steps[3].Value, s.Steps[3].Want})
	assert.Equal(t, Settle, s.Steps[4].Op)
	assert.Equal(t, uint64(512), s.Steps[5].Value)

	for src, msg := range map[string]string{
		"x 1":        "t:1: unknown step",
		"\nw 3":      "t:2: w takes 2 operands",
		"w 3 0x100":  "does not fit 8 bits",
		"stream 0 3": "even number of bytes",
		"r zz":       `offset "zz"`,
	} {
		_, err := Parse("t", src)
		assert.ErrorContains(t, err, msg, src)
	}
	for name, d := range Devices {
		assert.NotEmpty(t, d.Script.Steps, name)
	}
}
