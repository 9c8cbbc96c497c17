package dsl

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repoRoot finds the module root (the directory holding go.mod) above the
// test's working directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "go.mod not found")
		dir = parent
	}
}

// TestBundledSpecsCheck checks every bundled device and class spec: they
// must have no errors (warnings are allowed and logged).
func TestBundledSpecsCheck(t *testing.T) {
	root := repoRoot(t)
	devs, err := filepath.Glob(filepath.Join(root, "devices", "*", "*.dev"))
	require.NoError(t, err)
	classes, err := filepath.Glob(filepath.Join(root, "os-interface", "*", "*.osi"))
	require.NoError(t, err)
	require.NotEmpty(t, devs)
	require.NotEmpty(t, classes)
	for _, p := range classes {
		rel, _ := filepath.Rel(root, p)
		t.Run(rel, func(t *testing.T) {
			f, ds := LoadClass(p)
			require.NotNil(t, f, "%v", ds)
			logWarnings(t, ds)
			assert.False(t, ds.HasErrors(), "%v", ds)
		})
	}
	for _, p := range devs {
		rel, _ := filepath.Rel(root, p)
		t.Run(rel, func(t *testing.T) {
			s, ds := LoadDevice(p)
			require.NotNil(t, s, "%v", ds)
			logWarnings(t, ds)
			assert.False(t, ds.HasErrors(), "%v", ds)
		})
	}
}

func logWarnings(t *testing.T, ds Diagnostics) {
	for _, d := range ds {
		if d.Severity == Warning {
			t.Log(d.Error())
		}
	}
}
