package guest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/drvsynth/drvsynth/internal/guest/wire"
)

// QEMU is the emulator the guest tests boot.
const QEMU = "qemu-system-x86_64"

// InstallHint is what to run when QEMU or the guest kernel is missing.
const InstallHint = "bash .ci/install-qemu (installs qemu-system-x86 with apt-get and unpacks Debian's cloud kernel into .cache/guest)"

// Kernel line of every boot. The devices under test must be left alone by
// the guest kernel's own drivers:
//   - console=ttyS0 with 8250.nr_uarts=1: the kernel's 8250 driver takes
//     COM1 only, so COM2 (the UART under test) is ours;
//   - pnpacpi=off: ACPI lists COM2 before COM1, so with ACPI's PnP
//     enumeration the one port the 8250 driver takes would be COM2, and the
//     console would be silent;
//   - initcall_blacklist=cmos_init: the RTC driver stays off the CMOS;
//   - the IDE controller needs no option: ata_piix is a module in Debian's
//     cloud kernel, and the initramfs has no modules.
//
// panic=-1 reboots at once on a panic and -no-reboot turns that into an
// exit, so a dead guest ends QEMU (with status 0) instead of hanging.
const kernelLine = "console=ttyS0 8250.nr_uarts=1 pnpacpi=off initcall_blacklist=cmos_init panic=-1 quiet loglevel=4"

// Machine is one boot of a guest.
type Machine struct {
	// Kernel is the bzImage to boot; Initramfs holds /init.
	Kernel    string
	Initramfs []byte
	// Env is passed to /init as environment variables on the kernel command
	// line (the kernel hands unknown name=value parameters to init), e.g.
	// the scenario to run. Values must not contain spaces.
	Env map[string]string
	// Disk, when set, is a raw image attached as the primary IDE master
	// (ports 0x1f0-0x1f7, 0x3f6).
	Disk string
	// COM2 is called with the host end of the guest's second serial port
	// (I/O 0x2f8, IRQ 3) once QEMU has started; QEMU does not run the guest
	// until the connection is open. It runs concurrently with the guest
	// and should return when its conversation is over or ctx ends; its error
	// is returned by Run. Nil leaves COM2 without a peer (a null line: what
	// the guest writes is dropped, nothing arrives).
	COM2 func(ctx context.Context, conn net.Conn) error
	// Timeout bounds the boot (default 2 minutes).
	Timeout time.Duration
}

// Result is how a boot ended.
type Result struct {
	// Status is QEMU's exit status: wire.Status(wire.ExitDone) when /init
	// finished.
	Status int
	// Console is everything the guest wrote to COM1: the kernel's messages
	// and /init's output, including its report lines.
	Console string
	// Reports are /init's report lines, by key.
	Reports wire.Reports
	// Stderr is what QEMU itself printed (its own errors: status 1 is both
	// "the guest wrote 0" and "QEMU refused to start").
	Stderr string
	// Elapsed is the wall-clock time from starting QEMU to its exit.
	Elapsed time.Duration
}

// Passed reports whether /init ran its scenario to the end.
func (r *Result) Passed() bool { return r.Status == wire.Status(wire.ExitDone) }

// Run boots the machine and waits for QEMU to exit. It returns an error
// when QEMU could not run or the COM2 peer failed; a guest that ends
// without wire.ExitDone is not an error here (see Result.Passed), so callers can
// inspect what it printed.
func Run(ctx context.Context, m Machine) (*Result, error) {
	if m.Timeout == 0 {
		m.Timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, m.Timeout)
	defer cancel()

	dir, err := os.MkdirTemp("", "drvsynth-guest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	initrd := filepath.Join(dir, "initramfs.cpio")
	if err := os.WriteFile(initrd, m.Initramfs, 0o644); err != nil {
		return nil, err
	}
	console := filepath.Join(dir, "console.log")
	sock := filepath.Join(dir, "com2.sock")

	line := kernelLine
	keys := make([]string, 0, len(m.Env))
	for k := range m.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same machine, the same command line
	for _, k := range keys {
		v := m.Env[k]
		if strings.ContainsAny(k+v, " \t\n\"") || strings.Contains(k, "=") {
			return nil, fmt.Errorf("guest: environment %s=%q cannot go on the kernel command line", k, v)
		}
		line += " " + k + "=" + v
	}
	args := []string{
		"-M", "pc", "-accel", "tcg", "-m", "256", "-smp", "1",
		"-display", "none", "-no-reboot", "-nodefaults",
		"-kernel", m.Kernel, "-initrd", initrd, "-append", line,
		// COM1: the console, to a file the host reads afterwards.
		"-chardev", "file,id=con,path=" + console,
		"-serial", "chardev:con",
		"-device", fmt.Sprintf("isa-debug-exit,iobase=%#x,iosize=1", wire.DebugExitPort),
	}
	if m.COM2 != nil {
		// server=on,wait=on: QEMU listens and waits for the host to connect
		// before it starts the guest, so no byte is lost to a late peer.
		args = append(args, "-chardev", "socket,id=com2,path="+sock+",server=on,wait=on")
	} else {
		// The UART is there all the same, with nobody on the line.
		args = append(args, "-chardev", "null,id=com2")
	}
	args = append(args, "-serial", "chardev:com2")
	if m.Disk != "" {
		args = append(args, "-drive", "file="+m.Disk+",format=raw,if=ide,index=0,media=disk,cache=writethrough")
	}

	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, QEMU, args...)
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("guest: start %s: %w", QEMU, err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()

	peerErr := make(chan error, 1)
	if m.COM2 != nil {
		go func() {
			conn, err := dialUntil(ctx, sock, exited)
			if err != nil {
				peerErr <- err
				return
			}
			defer conn.Close()
			peerErr <- m.COM2(ctx, conn)
		}()
	} else {
		peerErr <- nil
	}

	<-exited
	res := &Result{Elapsed: time.Since(start)}
	cancel() // the guest is gone: end the peer's conversation
	perr := <-peerErr
	out, _ := os.ReadFile(console)
	res.Console = string(out)
	res.Reports = wire.Parse(res.Console)
	res.Stderr = stderr.String()

	var exit *exec.ExitError
	switch {
	case waitErr == nil:
		res.Status = 0
	case errors.As(waitErr, &exit) && exit.Exited():
		res.Status = exit.ExitCode()
	case ctx.Err() != nil && res.Elapsed >= m.Timeout:
		return res, fmt.Errorf("guest: no verdict within %v (QEMU killed)\n%s", m.Timeout, tail(res.Console, 40))
	default:
		return res, fmt.Errorf("guest: %s: %v\n%s", QEMU, waitErr, stderr.String())
	}
	if res.Status != 0 && res.Status&1 == 0 {
		return res, fmt.Errorf("guest: %s failed with status %d: %s", QEMU, res.Status, strings.TrimSpace(stderr.String()))
	}
	if perr != nil && !errors.Is(perr, context.Canceled) {
		return res, fmt.Errorf("guest: COM2 peer: %w", perr)
	}
	return res, nil
}

// dialUntil connects to QEMU's socket once it exists, or gives up when QEMU
// exits or ctx ends.
func dialUntil(ctx context.Context, sock string, exited <-chan struct{}) (net.Conn, error) {
	for {
		conn, err := net.Dial("unix", sock)
		if err == nil {
			return conn, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-exited:
			return nil, errors.New("QEMU exited before COM2 was connected")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
