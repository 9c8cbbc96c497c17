package guest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// KernelVar overrides where the guest kernel is (default: .cache/guest/vmlinuz
// under the repository root, where .ci/install-qemu puts it).
const KernelVar = "DRVSYNTH_GUEST_KERNEL"

// InitPackage is the guest program every boot runs as /init.
const InitPackage = "./internal/guest/initprog"

// Root is the repository root: the directory of the go.mod above the
// working directory (a test runs in its package's folder).
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("guest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Kernel is the path of the guest kernel, or an error saying how to get it.
func Kernel() (string, error) {
	path := os.Getenv(KernelVar)
	if path == "" {
		root, err := Root()
		if err != nil {
			return "", err
		}
		path = filepath.Join(root, ".cache", "guest", "vmlinuz")
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("guest kernel %s missing: run %s", path, InstallHint)
	}
	return path, nil
}

// BuildInit compiles the guest program as a static Linux/amd64 binary
// (CGO_ENABLED=0) and returns it. Overlay replaces files of the build by
// others, without touching the tree (go build -overlay): path in the
// repository, relative to the root, to the replacement's content. The
// negative controls build a deliberately broken driver this way.
func BuildInit(overlay map[string][]byte) ([]byte, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "drvsynth-init-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "init")
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", out}
	if len(overlay) > 0 {
		replace := map[string]string{}
		for rel, content := range overlay {
			p := filepath.Join(dir, fmt.Sprintf("overlay%d.go", len(replace)))
			if err := os.WriteFile(p, content, 0o644); err != nil {
				return nil, err
			}
			replace[filepath.Join(root, rel)] = p
		}
		js, err := json.Marshal(map[string]any{"Replace": replace})
		if err != nil {
			return nil, err
		}
		ov := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(ov, js, 0o644); err != nil {
			return nil, err
		}
		args = append(args, "-overlay", ov)
	}
	args = append(args, InitPackage)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("guest: go build %s: %v\n%s", InitPackage, err, strings.TrimSpace(stderr.String()))
	}
	return os.ReadFile(out)
}

// InitramfsFor packs a guest program as /init, with /dev/console for its
// standard streams (the kernel opens it before anything mounts devtmpfs).
func InitramfsFor(init []byte) ([]byte, error) {
	r := NewInitramfs()
	if err := r.CharDev("dev/console", 0o600, 5, 1); err != nil {
		return nil, err
	}
	if err := r.Dir("proc"); err != nil {
		return nil, err
	}
	if err := r.File("init", 0o755, init); err != nil {
		return nil, err
	}
	return r.Bytes(), nil
}
