package campaign

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestServeRefusesASupplyWithoutBound(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	var out, errb bytes.Buffer
	code := ServeMain([]string{"-image", img, "-policy", "buffered", "-bandwidth", "500", "-fdatasync", "20ms", "-holdup", "10ms"}, &out, &errb)
	assert.Equal(t, 2, code)
	assert.Contains(t, errb.String(), "no flush budget")
	assert.Contains(t, errb.String(), "fdatasync 20ms", "the error names the measurement")
	assert.Empty(t, out.String(), "no ready line")

	errb.Reset()
	assert.Equal(t, 2, ServeMain([]string{"-image", img, "-disk-latency", "-1ms"}, &out, &errb))
	assert.Contains(t, errb.String(), "-disk-latency")
}

func TestServeOptsPassTheMediumSettings(t *testing.T) {
	a := ServeOpts{Image: "i", Policy: "sync", Shm: "s", DiskLatency: time.Millisecond, CrashSeed: 42}.args()
	assert.Contains(t, strings.Join(a, " "), "-disk-latency 1ms")
	assert.Contains(t, strings.Join(a, " "), "-crash-seed 42")
	assert.NotContains(t, strings.Join(ServeOpts{Image: "i"}.args(), " "), "-disk-latency", "off by default")
}
