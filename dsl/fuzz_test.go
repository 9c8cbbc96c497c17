package dsl

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The fuzz targets feed arbitrary text to the parser, the checker and the
// formatter. Whatever the input, nothing may panic; every error must be
// positioned inside the file; and whatever parses must format to text that
// parses back to the same tree and formats to itself.
//
//	go test ./dsl -run '^$' -fuzz FuzzParseCheckDevice -fuzztime 5m -fuzzminimizetime 20x
//	go test ./dsl -run '^$' -fuzz FuzzParseCheckClass -fuzztime 5m -fuzzminimizetime 20x
//
// (Parsing a 10 KB spec takes tens of milliseconds, so the default one
// minute of minimizing each new input dominates a run; bound it.)

const (
	serialClassPath = "../os-interface/serial/serial.osi"
	uartDevicePath  = "../devices/uart16550/uart16550.dev"
)

func addSeeds(f *testing.F, pattern string) {
	paths, err := filepath.Glob(pattern)
	require.NoError(f, err)
	require.NotEmpty(f, paths)
	for _, p := range paths {
		src, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(src)
	}
}

func FuzzParseCheckDevice(f *testing.F) {
	addSeeds(f, "../devices/*/*.dev")
	addSeeds(f, "testdata/format/*.in") // small ones, quick to mutate
	classSrc, err := os.ReadFile(serialClassPath)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, src []byte) {
		fuzzOne(t, "fuzz.dev", src, func(dev *File) {
			srcs := map[string][]byte{"fuzz.dev": src, serialClassPath: classSrc}
			if dev.Device == nil {
				requirePositioned(t, srcs, CheckClass(dev))
				return
			}
			// The class gets a fresh tree each time: the checker may
			// annotate it.
			class, err := Parse(serialClassPath, classSrc)
			require.NoError(t, err)
			requirePositioned(t, srcs, Check(&Spec{Device: dev, Class: class}))
		})
	})
}

func FuzzParseCheckClass(f *testing.F) {
	addSeeds(f, "../os-interface/*/*.osi")
	addSeeds(f, "testdata/format/*.in")
	devSrc, err := os.ReadFile(uartDevicePath)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, src []byte) {
		fuzzOne(t, "fuzz.osi", src, func(class *File) {
			srcs := map[string][]byte{"fuzz.osi": src, uartDevicePath: devSrc}
			requirePositioned(t, srcs, CheckClass(class))
			if class.Class != nil {
				dev, err := Parse(uartDevicePath, devSrc)
				require.NoError(t, err)
				requirePositioned(t, srcs, Check(&Spec{Device: dev, Class: class}))
			}
		})
	})
}

// fuzzOne parses src. Syntax errors must be positioned diagnostics.
// A tree is checked (by check), then formatted: the output must parse
// back to the same tree with the same comments and format to itself.
// (The comparison after checking also catches a checker that changes the
// tree.)
func fuzzOne(t *testing.T, name string, src []byte, check func(*File)) {
	f, err := Parse(name, src)
	if err != nil {
		ds, ok := err.(Diagnostics)
		require.True(t, ok, "Parse returned %T, not Diagnostics: %v", err, err)
		require.NotEmpty(t, ds)
		require.True(t, ds.HasErrors())
		requirePositioned(t, map[string][]byte{name: src}, ds)
		return
	}
	check(f)
	out := Format(f)
	g, err := Parse(name, out)
	require.NoError(t, err, "formatted text does not parse; input:\n%q\noutput:\n%s", src, out)
	require.Equal(t, commentTexts(f), commentTexts(g), "comments changed; input:\n%q\noutput:\n%s", src, out)
	again := Format(g)
	require.True(t, bytes.Equal(out, again), "Format is not idempotent; input:\n%q\nfirst:\n%s\nsecond:\n%s", src, out, again)
	require.Equal(t, stripPositions(f), stripPositions(g), "formatting changed the tree; input:\n%q\noutput:\n%s", src, out)
}
