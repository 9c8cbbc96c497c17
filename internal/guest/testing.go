package guest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drvsynth/drvsynth/internal/guest/probe"
	"github.com/drvsynth/drvsynth/internal/guest/wire"
)

// Boot is one guest test's boot: the scenario /init runs, and what the host
// does on COM2 and the disk.
type Boot struct {
	Scenario string
	// Env adds kernel parameters for /init (e.g. the probe to run).
	Env map[string]string
	// COM2 is the host's end of the UART under test (see Machine.COM2).
	COM2 func(ctx context.Context, conn net.Conn) error
	// Disk is a raw image for the primary IDE master.
	Disk string
	// Overlay builds /init with files replaced (see BuildInit).
	Overlay map[string][]byte
}

// Available skips t, naming the install command, when QEMU or the guest
// kernel is missing, and returns the kernel's path otherwise.
func Available(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath(QEMU); err != nil {
		t.Skipf("%s not found: run %s", QEMU, InstallHint)
	}
	k, err := Kernel()
	if err != nil {
		t.Skip(err)
	}
	return k
}

var (
	initMu    sync.Mutex
	initCache = map[[32]byte][]byte{} // initramfs by overlay
)

// initramfs builds /init once per overlay for the whole test binary.
func initramfs(t testing.TB, overlay map[string][]byte) []byte {
	t.Helper()
	h := sha256.New()
	for k, v := range overlay {
		h.Write([]byte(k))
		h.Write(v)
	}
	var key [32]byte
	copy(key[:], h.Sum(nil))
	initMu.Lock()
	defer initMu.Unlock()
	if img, ok := initCache[key]; ok {
		return img
	}
	bin, err := BuildInit(overlay)
	if err != nil {
		t.Fatal(err)
	}
	img, err := InitramfsFor(bin)
	if err != nil {
		t.Fatal(err)
	}
	initCache[key] = img
	return img
}

// Run boots the guest for b and returns how it ended; QEMU failing to run
// or the COM2 peer failing ends the test. Whether the guest passed is the
// caller's to judge (Result.Passed, Reports). The console goes to the test
// log when the test fails.
func (b Boot) Run(t testing.TB) *Result {
	t.Helper()
	kernel := Available(t)
	img := initramfs(t, b.Overlay)
	env := map[string]string{wire.ScenarioVar: b.Scenario}
	for k, v := range b.Env {
		env[k] = v
	}
	res, err := Run(context.Background(), Machine{
		Kernel: kernel, Initramfs: img, Env: env, Disk: b.Disk, COM2: b.COM2,
		Timeout: 3 * time.Minute,
	})
	if res != nil {
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("guest console (%s, %v):\n%s", b.Scenario, res.Elapsed.Round(time.Millisecond), tail(res.Console, 60))
				if res.Stderr != "" {
					t.Logf("QEMU's stderr:\n%s", res.Stderr)
				}
			}
		})
		t.Logf("boot %s: QEMU exit status %d after %v", b.Scenario, res.Status, res.Elapsed.Round(time.Millisecond))
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Expect ends the test unless the guest ran its scenario to the end.
func (r *Result) Expect(t testing.TB) {
	t.Helper()
	if !r.Passed() {
		var msg string
		_ = r.Reports.Get("error", &msg)
		t.Fatalf("guest did not finish its scenario: QEMU exit status %d (want %d); guest error: %q",
			r.Status, wire.Status(wire.ExitDone), msg)
	}
}

// ProbeVar names the probe the "probe" scenario runs (probe.Devices).
const ProbeVar = wire.ProbeVar

// CheckProbe boots the guest to run device's probe script on QEMU's model,
// runs the same script on the simulator of the device's spec, and checks
// that they disagree exactly where known says (keyed by the step's comment;
// the value says where docs/qemu.md explains it). A new disagreement, or a
// known one that is gone, fails the test: either the spec or QEMU changed,
// and docs/qemu.md must follow. b supplies the disk, if the device needs one.
// It returns what the guest observed, for checks of the caller's own.
func CheckProbe(t *testing.T, b Boot, device string, known map[string]string) []probe.Observation {
	t.Helper()
	dev := probe.Devices[device]
	if dev == nil {
		t.Fatalf("no probe %q", device)
	}
	Available(t)
	spec, err := AskSpec(dev)
	if err != nil {
		t.Fatal(err)
	}
	b.Scenario = "probe"
	b.Env = map[string]string{ProbeVar: device}
	res := b.Run(t)
	res.Expect(t)
	var obs []probe.Observation
	if err := res.Reports.Get("probe", &obs); err != nil {
		t.Fatal(err)
	}
	diffs, err := Compare(obs, spec)
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	for i, o := range obs {
		fmt.Fprintf(&table, "  %2d  %-40s %#04x\n", i, o.Text, o.Value)
	}
	t.Logf("%s on QEMU:\n%s", device, table.String())
	found := map[string]bool{}
	for _, d := range diffs {
		found[d.Note()] = true
		if why, ok := known[d.Note()]; ok {
			t.Logf("known: %v\n        see docs/qemu.md, %s", d, why)
		} else {
			t.Errorf("new disagreement: %v", d)
		}
	}
	for note := range known {
		if !found[note] {
			t.Errorf("known disagreement %q (docs/qemu.md, %s) no longer occurs: update the list and the doc", note, known[note])
		}
	}
	return obs
}
