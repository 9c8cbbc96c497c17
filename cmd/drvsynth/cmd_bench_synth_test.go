package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/dsl"
)

// benchTree writes generated specs where they find the repository's
// classes, as bench synth does.
func benchTree(t *testing.T) (root, dir string) {
	t.Helper()
	root, err := repoRoot()
	require.NoError(t, err)
	dir = t.TempDir()
	require.NoError(t, os.Symlink(filepath.Join(root, "os-interface"), filepath.Join(dir, "os-interface")))
	return root, dir
}

func TestBenchFamiliesCheck(t *testing.T) {
	root, dir := benchTree(t)
	uart, err := os.ReadFile(filepath.Join(root, "devices", "uart16550", "uart16550.dev"))
	require.NoError(t, err)
	srcs := map[string]string{"channels8": channelSpec("channels8", 8), "channels128": channelSpec("channels128", 128)}
	for _, k := range []int{0, 3, 1000} {
		name := fmt.Sprintf("uart_spare%d", k)
		src, err := spareSpec(string(uart), name, k)
		require.NoError(t, err)
		srcs[name] = src
	}
	for name, src := range srcs {
		p, err := writeBenchSpec(dir, name, src)
		require.NoError(t, err)
		spec, diags := dsl.LoadDevice(p)
		require.NotNil(t, spec, name)
		require.False(t, diags.HasErrors(), "%s: %v", name, diags)
	}
	_, err = spareSpec("device x implements serial {}", "x", 1)
	require.Error(t, err, "a UART spec without SCR")
}

// TestBenchChild runs the child's side in this process on the bundled
// UART with spare registers and reads its result.
func TestBenchChild(t *testing.T) {
	root, dir := benchTree(t)
	uart, err := os.ReadFile(filepath.Join(root, "devices", "uart16550", "uart16550.dev"))
	require.NoError(t, err)
	src, err := spareSpec(string(uart), "uart_spare20", 20)
	require.NoError(t, err)
	p, err := writeBenchSpec(dir, "uart_spare20", src)
	require.NoError(t, err)
	var out, errb bytes.Buffer
	require.Equal(t, 0, benchChild(p, 0, 1<<30, &out, &errb), errb.String())
	var spec BenchSpec
	require.NoError(t, json.Unmarshal(out.Bytes(), &spec))
	require.Empty(t, spec.Error)
	require.Equal(t, 32, spec.Registers)
	names := map[string]BenchMethod{}
	for _, m := range spec.Methods {
		names[m.Name] = m
	}
	require.Contains(t, names, "Write")
	require.Positive(t, names["Write"].Beliefs)
	require.Positive(t, names["Write"].Expanded)
	require.LessOrEqual(t, names["Write"].Expanded, names["Write"].Beliefs)
	require.Equal(t, 2, names["Write"].Accesses, "the spare registers change nothing the UART's Write needs")
	require.Positive(t, spec.PeakHeap)

	// The table shows every method and the family's growth.
	var table bytes.Buffer
	printBench(&table, &BenchReport{Specs: []BenchSpec{spec, spec}})
	require.Contains(t, table.String(), "Configure")
	require.Contains(t, table.String(), "1.00")
}

func TestBenchFlags(t *testing.T) {
	code, _, stderr := runCLI("bench", "synth", "-channels", "4")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "outside 8..128")
	code, _, stderr = runCLI("bench", "nothing")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "drvsynth bench synth")
	code, _, stderr = runCLI("bench", "synth", "-mem", "lots")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "-mem")
	code, _, stderr = runCLI("bench", "synth", "-count", "0")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "-count")
}

// TestBenchMedianRun: the median run by CPU, with the median memory of all
// runs, unless a run failed.
func TestBenchMedianRun(t *testing.T) {
	runs := []BenchSpec{
		{CPU: 3, PeakHeap: 10, PeakRSS: 300, Beliefs: 1},
		{CPU: 1, PeakHeap: 30, PeakRSS: 100, Beliefs: 2},
		{CPU: 2, PeakHeap: 20, PeakRSS: 200, Beliefs: 3},
	}
	got := medianRun(runs)
	require.Equal(t, 2.0, got.CPU)
	require.Equal(t, 3, got.Beliefs, "the other figures come from the median run")
	require.Equal(t, uint64(20), got.PeakHeap)
	require.Equal(t, uint64(200), got.PeakRSS)
	require.Equal(t, runs[0], medianRun(runs[:1]))
	runs[1].Error = "stopped after the time limit"
	require.Equal(t, runs[1], medianRun(runs))
}

// TestBenchBundledTotal: the bundled drivers' row sums them, after the
// last of them, and is left out when one of them failed.
func TestBenchBundledTotal(t *testing.T) {
	specs := []BenchSpec{
		{Name: "uart16550", Family: "bundled", CPU: 0.25, Beliefs: 100},
		{Name: "ata", Family: "bundled", CPU: 0.5, Beliefs: 2000},
		{Name: "channels8", Family: "channels", Size: 8, CPU: 4, Beliefs: 30000},
	}
	total := bundledTotal(specs)
	require.Equal(t, &BenchTotal{Specs: 2, Beliefs: 2100, CPU: 0.75}, total)
	var table bytes.Buffer
	printBench(&table, &BenchReport{Specs: specs, Bundled: total})
	var rows []string
	for _, line := range strings.Split(table.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 && len(f) < 8 {
			rows = append(rows, strings.Join(f, " "))
		}
	}
	require.Contains(t, rows, "2 bundled 2100 750ms")
	require.Less(t, strings.Index(table.String(), "ata  "), strings.Index(table.String(), "2 bundled"))
	require.Less(t, strings.Index(table.String(), "2 bundled"), strings.Index(table.String(), "channels8  "))

	specs[1].Error = "stopped after the time limit of 2m0s"
	require.Nil(t, bundledTotal(specs))
	require.Nil(t, bundledTotal(specs[2:]), "no bundled spec, no total")
}
