package campaign

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The test binary doubles as the child processes: with VBLK_ROLE set it
// runs that role instead of the tests.
func TestMain(m *testing.M) {
	if role := os.Getenv("VBLK_ROLE"); role != "" {
		var args []string
		if a := os.Getenv("VBLK_ARGS"); a != "" {
			args = strings.Split(a, "\x1f")
		}
		if role == "echo-socket" {
			os.Exit(echoSocket(args[0]))
		}
		os.Exit(RunRole(role, args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// selfLauncher re-executes the test binary in a role.
func selfLauncher(role string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VBLK_ROLE="+role, "VBLK_ARGS="+strings.Join(args, "\x1f"))
	return cmd
}
