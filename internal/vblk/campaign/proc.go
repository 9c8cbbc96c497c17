package campaign

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/drvsynth/drvsynth/internal/vblk/transport"
)

// Backend is a running "serve" child.
type Backend struct {
	cmd    *exec.Cmd
	Shm    string
	stderr *syncBuffer
	done   chan error
}

// syncBuffer collects a child's stderr for error messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ServeOpts are the backend's command-line options.
type ServeOpts struct {
	Image         string
	Policy        string
	Shm           string
	Sectors       uint64
	Holdup        time.Duration
	Detect        time.Duration
	Margin        time.Duration
	Bandwidth     float64 // MB/s; 0 = let the backend measure
	SyncLat       time.Duration
	ExcludeStalls bool // -exclude-stalls
	// DiskLatency is added to every fdatasync of the image (-disk-latency).
	DiskLatency time.Duration
	CrashSeed   uint64 // -crash-seed: the medium's fates at a cut
	CPUProfile  string // -cpuprofile: the backend's CPU profile
}

func (o ServeOpts) args() []string {
	a := []string{"-image", o.Image, "-policy", o.Policy, "-shm", o.Shm}
	if o.ExcludeStalls {
		a = append(a, "-exclude-stalls")
	}
	if o.Sectors > 0 {
		a = append(a, "-create-sectors", fmt.Sprint(o.Sectors))
	}
	if o.Holdup > 0 {
		a = append(a, "-holdup", o.Holdup.String())
	}
	if o.Detect > 0 {
		a = append(a, "-detect", o.Detect.String())
	}
	if o.Margin > 0 {
		a = append(a, "-margin", o.Margin.String())
	}
	if o.DiskLatency > 0 {
		a = append(a, "-disk-latency", o.DiskLatency.String())
	}
	if o.CPUProfile != "" {
		a = append(a, "-cpuprofile", o.CPUProfile)
	}
	if o.CrashSeed != 0 {
		a = append(a, "-crash-seed", fmt.Sprint(o.CrashSeed))
	}
	if o.Bandwidth > 0 {
		a = append(a, "-bandwidth", fmt.Sprint(o.Bandwidth))
		if o.SyncLat > 0 {
			a = append(a, "-fdatasync", o.SyncLat.String())
		}
	}
	return a
}

// StartBackend starts a backend and waits for its ready line.
func StartBackend(l Launcher, o ServeOpts) (*Backend, error) {
	cmd := l("serve", o.args()...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	b := &Backend{cmd: cmd, Shm: o.Shm, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = b.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan error, 1)
	go func() {
		r := bufio.NewReader(out)
		line, err := r.ReadString('\n')
		if err == nil && !strings.HasPrefix(line, "ready") {
			err = fmt.Errorf("unexpected first line %q", line)
		}
		ready <- err
		io.Copy(io.Discard, r)
	}()
	go func() { b.done <- cmd.Wait() }()
	select {
	case err := <-ready:
		if err != nil {
			b.Kill()
			return nil, fmt.Errorf("backend did not come up: %v\n%s", err, b.stderr.String())
		}
	case <-time.After(30 * time.Second):
		b.Kill()
		return nil, fmt.Errorf("backend did not come up in 30s\n%s", b.stderr.String())
	}
	return b, nil
}

// Cut cuts the power as of t0 by dropping the power-fail line in the
// backend's region (see transport.Region.PowerCut).
func (b *Backend) Cut(t0 time.Time) error {
	r, err := transport.Open(b.Shm)
	if err != nil {
		return err
	}
	r.PowerCut(t0)
	return r.Close()
}

// Wait waits for the backend to exit.
func (b *Backend) Wait(timeout time.Duration) error {
	select {
	case err := <-b.done:
		if err != nil {
			return fmt.Errorf("backend: %v\n%s", err, b.stderr.String())
		}
		return nil
	case <-time.After(timeout):
		b.Kill()
		return fmt.Errorf("backend did not exit within %v\n%s", timeout, b.stderr.String())
	}
}

// Stop is an orderly shutdown (SIGTERM: everything written back).
func (b *Backend) Stop() error {
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	return b.Wait(60 * time.Second)
}

// Kill ends the backend at once.
func (b *Backend) Kill() {
	_ = b.cmd.Process.Kill()
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
	}
}

// Log is what the backend wrote to stderr.
func (b *Backend) Log() string { return b.stderr.String() }

// shmPath returns a fresh region path in /dev/shm (tmpfs), or in dir when
// /dev/shm is not there.
func shmPath(dir, tag string) string {
	base := "/dev/shm"
	if st, err := os.Stat(base); err != nil || !st.IsDir() {
		base = dir
	}
	return fmt.Sprintf("%s/drvsynth-vblk-%d-%s", base, os.Getpid(), tag)
}
