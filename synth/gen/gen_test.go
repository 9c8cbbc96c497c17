package gen_test

import (
	"os"
	"os/exec"
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

// generate synthesizes the device spec at dev (relative to the repository
// root) after the given edits, in a tree of its own, and returns its Go
// source.
func generate(t *testing.T, dev, class string, edits ...[2]string) string {
	t.Helper()
	path := spectest.Tree(t, filepath.Join("../..", class), class, dev, spectest.Edit(t, filepath.Join("../..", dev), edits...))
	res, err := synth.Build(path, solve.Options{})
	require.NoError(t, err)
	out, err := gen.Generate(res, dev)
	require.NoError(t, err)
	return string(out)
}

// vet compiles and vets generated source as a package of the module.
func vet(t *testing.T, name, src string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to compile the generated source")
	}
	dir, err := os.MkdirTemp("../../generated", "variant-")
	require.NoError(t, err)
	defer os.RemoveAll(dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".go"), []byte(src), 0o644))
	cmd := exec.Command(goTool, "vet", "./"+filepath.Join("generated", filepath.Base(dir)))
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
}

// TestDriverFollowsTheSpec: move a status bit and renumber a command in
// the spec, and the regenerated driver uses the new bit and code, because
// every mask and value comes from the spec.
func TestDriverFollowsTheSpec(t *testing.T) {
	src := generate(t, "devices/vblk/vblk.dev", "os-interface/block/block.osi",
		[2]string{"field BUSY [0] = busy", "field BUSY [3] = busy"},
		[2]string{"READ = 1, WRITE = 2", "READ = 5, WRITE = 2"},
		[2]string{"require CODE >= READ && CODE <= WRITE_FUA", "require CODE >= WRITE && CODE <= READ"})
	assert.Contains(t, src, "STATUS_BUSY  STATUS             = 0x08")
	assert.Contains(t, src, "CMD_CODE_READ      CMD             = 0x05")
	assert.Contains(t, src, "driver.Poll(w, d.bus, RegSTATUS, STATUS_ERR|STATUS_BUSY, STATUS_BUSY)")
	assert.Equal(t, 3, strings.Count(src, "return d.awaitStatus(w)"), "the writes and Flush end alike: one helper")
	vet(t, "vblk", src)
}

// TestUARTReadsLikeHandwritten: what a reviewer checks first.
func TestUARTReadsLikeHandwritten(t *testing.T) {
	src := generate(t, "devices/uart16550/uart16550.dev", "os-interface/serial/serial.osi")
	assert.NotContains(t, src, "panic(")
	assert.NotContains(t, src, "1 bus accesses")
	assert.Equal(t, 1, strings.Count(src, "BAUD_CLOCK / uint64(baud)"), "the divisor is computed once")
	assert.Equal(t, 1, strings.Count(src, "lcrFor(bits, parity, stop)"), "the framing bits are computed once")
	assert.Contains(t, src, "driver.Write(d.bus, RegLCR, lcr|LCR_DLAB)")
	assert.Contains(t, src, "driver.Write(d.bus, RegLCR, lcr)")
	assert.Contains(t, src, "\t\"time\"\n\n\t\"github.com/drvsynth/drvsynth/os-interface/bus\"", "standard library first, then the module")
	assert.NotRegexp(t, regexp.MustCompile(`(?m)^\s+\w+ "github.com/`), src, "no import aliases")
	assert.Regexp(t, `RegLSR\s+driver.Reg\[LSR\] = 0x05`, src, "offsets carry their register's type")
	assert.Regexp(t, `LSR_THRE LSR\s+= 0x20`, src, "fields are constants of their register's type")
	assert.Contains(t, src, "if _, err := driver.Poll(w, d.bus, RegLSR, LSR_TEMT, 0); err != nil {")
	assert.Contains(t, src, "// Configure returns once the line runs at baud with the given framing\n// (serial.osi:21). On the uart16550 it polls LSR while TEMT == 0")
	vet(t, "uart16550", src)
}

// TestFieldOfAnotherRegisterDoesNotCompile: a field mask is a constant of
// its register's type, so writing it into another register is a type
// error, not a silent bug.
func TestFieldOfAnotherRegisterDoesNotCompile(t *testing.T) {
	src := generate(t, "devices/uart16550/uart16550.dev", "os-interface/serial/serial.osi")
	bad := strings.Replace(src, "driver.Write(d.bus, RegLCR, lcr)", "driver.Write(d.bus, RegLCR, LSR_DR)", 1)
	require.NotEqual(t, src, bad)
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	dir, err := os.MkdirTemp("../../generated", "variant-")
	require.NoError(t, err)
	defer os.RemoveAll(dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "uart.go"), []byte(bad), 0o644))
	cmd := exec.Command(goTool, "build", "./"+filepath.Join("generated", filepath.Base(dir)))
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "type LSR of LSR_DR does not match inferred type LCR")
}

// TestFaultDecodesItsReason: when the register the fault names has an
// enum, the error carries the name of the code the device showed.
func TestFaultDecodesItsReason(t *testing.T) {
	// The bundled spec names ERRCODE's values; renumber one, as a
	// revision of the backend might, and the decoding follows.
	src := generate(t, "devices/vblk/vblk.dev", "os-interface/block/block.osi",
		[2]string{"RANGE = 2,", "RANGE = 12,"})
	assert.Contains(t, src, "code := driver.Read(d.bus, RegERRCODE)")
	assert.Contains(t, src, "switch code & ERRCODE_CODE {\n\tcase ERRCODE_CODE_NONE:\n\t\te.CodeName = \"NONE\"")
	assert.Regexp(t, `ERRCODE_CODE_RANGE\s+ERRCODE\s+= 0x0c`, src)
	assert.Contains(t, src, "case ERRCODE_CODE_RANGE:\n\t\te.CodeName = \"RANGE\"")
	vet(t, "vblk", src)
}
