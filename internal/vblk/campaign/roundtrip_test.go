package campaign

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/drvsynth/drvsynth/internal/vblk/attach"
)

// BenchmarkRoundTrip measures one request across the process boundary:
// doorbell, backend wake-up, completion, driver wake-up. Sub-benchmarks
// vary the spin budget on both sides (0 = futex only; 10s = spin only).
func BenchmarkRoundTrip(b *testing.B) {
	for _, spin := range []time.Duration{0, 5 * time.Microsecond, 20 * time.Microsecond, 50 * time.Microsecond, 10 * time.Second} {
		for _, op := range []string{"flush", "write8k"} {
			b.Run(fmt.Sprintf("spin=%v/%s", spin, op), func(b *testing.B) {
				dir := b.TempDir()
				o := ServeOpts{Image: filepath.Join(dir, "img"), Policy: "unsafe", Shm: shmPath(dir, "rt"), Sectors: 4096}
				be, err := StartBackend(func(role string, args ...string) *exec.Cmd {
					return selfLauncher(role, append(args, "-spin", spin.String())...)
				}, o)
				if err != nil {
					b.Fatal(err)
				}
				defer func() {
					be.Kill()
					os.Remove(o.Shm)
				}()
				ctx := context.Background()
				conn, err := attach.Open(ctx, o.Shm)
				if err != nil {
					b.Fatal(err)
				}
				defer conn.Close()
				conn.Bus.Spin = spin
				conn.Region.Spin = spin
				buf := make([]byte, 8192)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if op == "flush" {
						err = conn.Flush(ctx)
					} else {
						err = conn.WriteSectors(ctx, 0, buf)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// echoSocket answers every 16-byte message on a unix socket with 16 bytes:
// the request/response shape of a socket transport, for comparison.
func echoSocket(path string) int {
	l, err := net.Listen("unix", path)
	if err != nil {
		return 1
	}
	fmt.Println("ready")
	c, err := l.Accept()
	if err != nil {
		return 1
	}
	buf := make([]byte, 16)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			return 0
		}
		if _, err := c.Write(buf); err != nil {
			return 0
		}
	}
}

// BenchmarkRoundTripSocket is the same round trip over a unix socket (the
// alternative transport), with the payload already in shared memory.
func BenchmarkRoundTripSocket(b *testing.B) {
	path := filepath.Join(b.TempDir(), "sock")
	cmd := selfLauncher("echo-socket", path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Process.Kill()
	line := make([]byte, 6)
	if _, err := io.ReadFull(out, line); err != nil {
		b.Fatal(err)
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 16)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommit is one SQLite commit (WAL, synchronous=FULL, one
// 100-byte row) per iteration, through the driver, the VFS and a backend
// process under each policy, and on the OS file system for reference.
func BenchmarkCommit(b *testing.B) {
	cfg := BenchConfig{Launcher: selfLauncher, Sectors: 1 << 17, Holdup: 10 * time.Millisecond,
		Detect: time.Millisecond, Margin: time.Millisecond, Bandwidth: 500, SyncLat: time.Millisecond}
	for _, name := range []string{"sync", "buffered", "unsafe", "os-full", "os-off"} {
		b.Run(name, func(b *testing.B) {
			cfg.Dir = b.TempDir()
			var r *benchRun
			var err error
			switch name {
			case "os-full":
				r, err = openOS(cfg, "FULL")
			case "os-off":
				r, err = openOS(cfg, "OFF")
			default:
				r, err = openVblk(cfg, name)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer r.close()
			if err := r.prepare(100); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			if err := r.commits(b.N); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			res := r.result()
			b.ReportMetric(res.P99us, "p99-µs")
		})
	}
}
