package uart16550_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/internal/guest"
	"github.com/drvsynth/drvsynth/internal/guest/wire"
)

// The synthesized driver (generated/uart16550) in a QEMU guest, on QEMU's
// 16550A at COM2; the host holds the other end of COM2's line and judges
// what arrives there and what the guest reports.

// registers is the guest's raw read-back of COM2 after the driver ran
// (internal/guest/initprog, uart.go).
type registers struct {
	Baud uint32 `json:"baud"`
	Line string `json:"line"`
	LCR  uint8  `json:"lcr"`
	DLL  uint8  `json:"dll"`
	DLM  uint8  `json:"dlm"`
	IER  uint8  `json:"ier"`
	IIR  uint8  `json:"iir"`
	MCR  uint8  `json:"mcr"`
	LSR  uint8  `json:"lsr"`
}

// datasheetLCR is LCR for a framing per the PC16550D datasheet: WLS in
// bits 1:0 (data bits - 5), STB bit 2 (two stop bits), PEN bit 3, EPS bit
// 4 (even parity), DLAB bit 7 clear for traffic.
var datasheetLCR = map[string]uint8{
	"8N1": 0b0000_0011,
	"7E1": 0b0001_1010,
	"8N2": 0b0000_0111,
}

// checkRegisters compares a read-back with the datasheet: the divisor
// latch holds 1843200 / (16 × baud) (the 1.8432 MHz crystal, 16 clocks per
// bit), LCR the framing with DLAB clear, IER no interrupts and IIR bits
// 7:6 show the FIFOs Init enabled.
func checkRegisters(r registers) error {
	var errs []error
	div := uint16(r.DLM)<<8 | uint16(r.DLL)
	if want := 1843200 / (16 * r.Baud); uint32(div) != want {
		errs = append(errs, fmt.Errorf("divisor %d, want 1843200/(16*%d) = %d", div, r.Baud, want))
	}
	if want, ok := datasheetLCR[r.Line]; !ok || r.LCR != want {
		errs = append(errs, fmt.Errorf("LCR %#02x, want %#02x for %s", r.LCR, want, r.Line))
	}
	if r.IER != 0 {
		errs = append(errs, fmt.Errorf("IER %#02x, want 0 (the class's ready: no interrupts)", r.IER))
	}
	if r.IIR&0xc0 != 0xc0 {
		errs = append(errs, fmt.Errorf("IIR %#02x: FIFOs not enabled", r.IIR))
	}
	return errors.Join(errs...)
}

func TestQEMUConfigure(t *testing.T) {
	res := guest.Boot{Scenario: "uart-configure"}.Run(t)
	res.Expect(t)
	lines := res.Reports["registers"]
	require.Len(t, lines, 3, "one read-back per line setting")
	for i, want := range []struct {
		baud uint32
		line string
	}{{115200, "8N1"}, {9600, "7E1"}, {38400, "8N2"}} {
		var r registers
		require.NoError(t, jsonUnmarshal(lines[i], &r))
		assert.Equal(t, want.baud, r.Baud)
		assert.Equal(t, want.line, r.Line)
		assert.NoError(t, checkRegisters(r), "%d %s: %+v", r.Baud, r.Line, r)
	}
}

// receiver reads everything the guest sends on COM2 until QEMU closes the
// line or limit bytes arrived.
type receiver struct {
	mu    sync.Mutex
	got   []byte
	limit int
}

func (rc *receiver) peer(ctx context.Context, conn net.Conn) error {
	go func() { <-ctx.Done(); conn.Close() }()
	buf := make([]byte, 512)
	for {
		n, err := conn.Read(buf)
		rc.mu.Lock()
		rc.got = append(rc.got, buf[:n]...)
		full := len(rc.got) >= rc.limit
		rc.mu.Unlock()
		if err != nil || full {
			return nil // the guest ended (EOF) or the conversation is over
		}
	}
}

// judgeWrite is the verdict on a Write of the 4 KiB text: byte-exact.
func judgeWrite(res *guest.Result, got []byte) error {
	if !res.Passed() {
		return fmt.Errorf("guest did not finish (status %d)", res.Status)
	}
	want := wire.Text(wire.TextSize)
	if bytes.Equal(got, want) {
		return nil
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	return fmt.Errorf("COM2 carried %d bytes, want %d; first difference at byte %d", len(got), len(want), i)
}

func bootWrite(t *testing.T, overlay map[string][]byte) (*guest.Result, []byte) {
	rc := &receiver{limit: wire.TextSize + 1}
	res := guest.Boot{Scenario: "uart-write", COM2: rc.peer, Overlay: overlay}.Run(t)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return res, rc.got
}

func TestQEMUWrite4KiB(t *testing.T) {
	res, got := bootWrite(t, nil)
	res.Expect(t)
	require.NoError(t, judgeWrite(res, got))
	var r registers
	require.NoError(t, res.Reports.Get("registers", &r))
	r.Baud, r.Line = 115200, "8N1"
	assert.NoError(t, checkRegisters(r))
}

func TestQEMURead4KiB(t *testing.T) {
	send := wire.Pattern(wire.TextSize)
	seen := map[byte]bool{}
	for _, b := range send {
		seen[b] = true
	}
	require.Len(t, seen, 256, "the pattern covers every byte value")

	peer := func(ctx context.Context, conn net.Conn) error {
		go func() { <-ctx.Done(); conn.Close() }()
		// Wait for the guest's ready line: its driver is reading now.
		var line []byte
		one := make([]byte, 1)
		for !bytes.HasSuffix(line, []byte(wire.ReadyLine)) {
			if _, err := conn.Read(one); err != nil {
				return fmt.Errorf("no ready line (got %q): %w", line, err)
			}
			line = append(line, one[0])
		}
		_, err := conn.Write(send)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, conn) // until the guest ends
		return nil
	}
	res := guest.Boot{Scenario: "uart-read", COM2: peer}.Run(t)
	res.Expect(t)
	var got []byte
	require.NoError(t, res.Reports.Get("received", &got))
	require.Equal(t, send, got, "the guest's Read must deliver every byte the host sent, in order")
}

// The negative control: the same boot with a broken driver must fail the
// same judgement. The broken driver is the synthesized one with one change
// in a copy built only for this test: Configure's last LCR write leaves
// DLAB set, so every later THR write lands in the divisor latch and no byte
// reaches the line.
func TestQEMUNegativeControlDLABLeftSet(t *testing.T) {
	root, err := guest.Root()
	require.NoError(t, err)
	const rel = "generated/uart16550/uart16550.go"
	src, err := os.ReadFile(filepath.Join(root, rel))
	require.NoError(t, err)
	broken, n := breakDLAB(string(src))
	require.Equal(t, 1, n, "the generated Configure no longer has the LCR write this control patches; update breakDLAB")

	res, got := bootWrite(t, map[string][]byte{rel: []byte(broken)})
	res.Expect(t) // the broken driver runs to the end: nothing in the guest notices
	err = judgeWrite(res, got)
	require.Error(t, err, "a driver that leaves DLAB set must fail the Write judgement")
	assert.Contains(t, err.Error(), "COM2 carried 0 bytes")
	var r registers
	require.NoError(t, res.Reports.Get("registers", &r))
	r.Baud, r.Line = 115200, "8N1"
	assert.ErrorContains(t, checkRegisters(r), "LCR 0x83", "the register check sees DLAB too")
	t.Logf("negative control failed as it must: %v", err)
}

// breakDLAB rewrites Configure's final LCR write (the one that restores
// traffic framing with DLAB clear) to set DLAB, and says how many writes it
// changed.
func breakDLAB(src string) (string, int) {
	const marker = "// Write LCR (uart16550.dev:"
	lines := strings.Split(src, "\n")
	n := 0
	for i := 0; i+1 < len(lines); i++ {
		l, next := lines[i], strings.TrimRight(lines[i+1], " \t")
		if !strings.Contains(l, marker) || strings.Contains(l, "DLAB=1") ||
			!strings.Contains(next, "driver.Write(d.bus, RegLCR, ") || strings.Contains(next, "LCR_DLAB") ||
			!strings.HasSuffix(next, ")") {
			continue
		}
		// The value is everything between "RegLCR, " and the closing ")".
		lines[i+1] = next[:len(next)-1] + "|LCR_DLAB)"
		n++
	}
	return strings.Join(lines, "\n"), n
}

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }
