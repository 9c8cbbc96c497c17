// Package wire is what the guest program and the host test agree on: the
// verdict port and its codes, and the report lines /init prints on the
// console for the host to judge.
//
// A report line is "@drvsynth KEY JSON" on a line of its own. The guest
// reports what it observed (register values read back, bytes received); the
// host decides whether that is right. The guest's exit code only says
// whether it ran its scenario to the end.
package wire

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// DebugExitPort is QEMU's isa-debug-exit device: a byte v written there ends
// the emulator with exit status 2v+1. That status is the only verdict the
// host trusts, because a kernel panic, a crash of /init and a clean
// power-off all end QEMU with status 0.
const DebugExitPort = 0xf4

// Exit codes the guest writes to DebugExitPort.
const (
	ExitDone   = 0x31 // /init ran its scenario to the end
	ExitFailed = 0x0f // /init stopped early, after reporting why ("error")
)

// Status is QEMU's exit status after the guest wrote code to DebugExitPort.
func Status(code uint8) int { return int(code)<<1 | 1 }

// ScenarioVar is the kernel command-line parameter (and so the environment
// variable of /init) that names the scenario to run.
const ScenarioVar = "drvsynth_scenario"

const prefix = "@drvsynth "

// Write prints one report line: key and v as JSON.
func Write(w io.Writer, key string, v any) error {
	if key == "" || strings.ContainsAny(key, " \n") {
		return fmt.Errorf("wire: report key %q must be one word", key)
	}
	js, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("wire: report %s: %w", key, err)
	}
	_, err = fmt.Fprintf(w, "%s%s %s\n", prefix, key, js)
	return err
}

// Reports are the report lines of one boot: for each key, the JSON values
// in the order printed.
type Reports map[string][]json.RawMessage

// Parse collects the report lines of a console log. Lines that do not start
// with the prefix (kernel messages) are skipped; a kernel message that
// interrupts a report line makes its JSON invalid, and Get then says so.
func Parse(console string) Reports {
	r := Reports{}
	for _, line := range strings.Split(console, "\n") {
		line = strings.TrimRight(line, "\r")
		i := strings.Index(line, prefix)
		if i < 0 {
			continue
		}
		key, js, ok := strings.Cut(line[i+len(prefix):], " ")
		if !ok {
			continue
		}
		r[key] = append(r[key], json.RawMessage(js))
	}
	return r
}

// Get decodes the single report of key into v.
func (r Reports) Get(key string, v any) error {
	vals := r[key]
	switch len(vals) {
	case 0:
		return fmt.Errorf("the guest reported no %s", key)
	case 1:
	default:
		return fmt.Errorf("the guest reported %s %d times", key, len(vals))
	}
	if err := json.Unmarshal(vals[0], v); err != nil {
		return fmt.Errorf("report %s: %w (line: %.80s)", key, err, vals[0])
	}
	return nil
}

// TextSize is the size of the serial transfers: 4 KiB each way.
const TextSize = 4096

// ReadyLine is what the guest sends on the line under test when its driver
// is reading; the host starts sending after it.
const ReadyLine = "drvsynth ready\n"

// Text is the text the guest writes on the serial line: n bytes of
// numbered lines of printable ASCII, the same on both sides.
func Text(n int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%04d the quick brown fox jumps over the lazy dog; 0123456789 %c\n", i, 'A'+i%26)
	}
	return []byte(b.String()[:n])
}

// Pattern is what the host sends: n bytes in which every byte value occurs
// (n >= 256), in an order where neighbours differ (167 is odd, so i*167 mod
// 256 walks through all values in each run of 256).
func Pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*167 + i/256)
	}
	return p
}

// ProbeVar is the kernel parameter naming the probe the "probe" scenario
// runs.
const ProbeVar = "drvsynth_probe"

// Sector is the 512 bytes the guest writes to sector lba in the port-I/O
// test: every byte depends on the sector and its offset, so a sector that
// lands elsewhere, or a unit written in the wrong order, shows.
func Sector(lba int) []byte {
	b := make([]byte, 512)
	for i := range b {
		b[i] = byte(i*7 + lba*31 + i>>8)
	}
	return b
}
