package wire

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReportsSurviveKernelNoise(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("[    2.4] Run /init as init process\r\n")
	require.NoError(t, Write(&b, "registers", map[string]int{"lcr": 3}))
	b.WriteString("[    2.5] random: crng init done\r\n")
	require.NoError(t, Write(&b, "registers", map[string]int{"lcr": 26}))
	require.NoError(t, Write(&b, "received", []byte{0, 255}))
	r := Parse(b.String())
	assert.Len(t, r["registers"], 2)
	var got []byte
	require.NoError(t, r.Get("received", &got))
	assert.Equal(t, []byte{0, 255}, got)
	assert.ErrorContains(t, r.Get("registers", &got), "2 times")
	assert.ErrorContains(t, r.Get("error", &got), "no error")
	assert.Error(t, Write(&b, "two words", 1))
}

func TestStatusAndPatterns(t *testing.T) {
	assert.Equal(t, 99, Status(ExitDone))
	assert.Equal(t, 31, Status(ExitFailed))
	assert.Len(t, Text(TextSize), TextSize)
	p := Pattern(TextSize)
	for run := 0; run < TextSize/256; run++ {
		seen := map[byte]bool{}
		for _, c := range p[run*256 : run*256+256] {
			seen[c] = true
		}
		assert.Len(t, seen, 256, "run %d covers every byte value", run)
	}
}
