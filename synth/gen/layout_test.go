package gen_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth"
	"github.com/drvsynth/drvsynth/synth/gen"
	"github.com/drvsynth/drvsynth/synth/solve"
	"github.com/drvsynth/drvsynth/synth/spectest"
)

// TestLayoutFieldIsDecoded: the ATA Capacity reads the IDENTIFY data into
// a scratch buffer and decodes words 60-61 with encoding/binary, not a
// loop.
func TestLayoutFieldIsDecoded(t *testing.T) {
	cls, err := os.ReadFile("../../os-interface/block/block.osi")
	require.NoError(t, err)
	// Only Init and Capacity: the layout is what this test is about.
	re := regexp.MustCompile(`(?ms)^\tmethod (ReadSectors|WriteSectors|WriteSectorsFUA|Flush)\(.*?^\t}\n`)
	classPath := filepath.Join(t.TempDir(), "block.osi")
	require.NoError(t, os.WriteFile(classPath, re.ReplaceAll(cls, nil), 0o644))
	path := spectest.Tree(t, classPath, "os-interface/block/block.osi", "devices/ata/ata.dev", spectest.Edit(t, "../../devices/ata/ata.dev"))
	res, err := synth.Build(path, solve.Options{})
	require.NoError(t, err)
	out, err := gen.Generate(res, "devices/ata/ata.dev")
	require.NoError(t, err)
	src := string(out)
	assert.Contains(t, src, "var identify [512]byte")
	assert.Contains(t, src, "d.bus.ReadStream(StreamDATA, 2, identify[:])")
	assert.Contains(t, src, "identifyLba28Sectors := binary.LittleEndian.Uint32(identify[120:124])")
	assert.Contains(t, src, "return uint64(identifyLba28Sectors), nil")
	// The cut-down class is not block.Device; the rest must compile.
	const assertion = "var _ block.Device = (*Driver)(nil)\n"
	require.Contains(t, src, assertion)
	vet(t, "ata", strings.Replace(src, assertion, "", 1))
}
