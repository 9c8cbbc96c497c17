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
//	go test ./dsl -run '^$' -fuzz FuzzParseCheckDevice -fuzztime 5m
//	go test ./dsl -run '^$' -fuzz FuzzParseCheckClass -fuzztime 5m

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
	classSrc, err := os.ReadFile(serialClassPath)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, src []byte) {
		dev := fuzzParse(t, "fuzz.dev", src)
		if dev == nil {
			return
		}
		// The checker gets fresh trees each time: it may annotate them.
		class, err := Parse(serialClassPath, classSrc)
		require.NoError(t, err)
		srcs := map[string][]byte{"fuzz.dev": src, serialClassPath: classSrc}
		if dev.Device != nil {
			requirePositioned(t, srcs, Check(&Spec{Device: dev, Class: class}))
		} else {
			requirePositioned(t, srcs, CheckClass(dev))
		}
	})
}

func FuzzParseCheckClass(f *testing.F) {
	addSeeds(f, "../os-interface/*/*.osi")
	devSrc, err := os.ReadFile(uartDevicePath)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, src []byte) {
		class := fuzzParse(t, "fuzz.osi", src)
		if class == nil {
			return
		}
		srcs := map[string][]byte{"fuzz.osi": src, uartDevicePath: devSrc}
		requirePositioned(t, srcs, CheckClass(class))
		if class.Class != nil {
			dev, err := Parse(uartDevicePath, devSrc)
			require.NoError(t, err)
			requirePositioned(t, srcs, Check(&Spec{Device: dev, Class: class}))
		}
	})
}

// fuzzParse parses src; on a syntax error it checks the error's position
// and returns nil. On success it checks the formatter's contract and
// returns a fresh tree.
func fuzzParse(t *testing.T, name string, src []byte) *File {
	f, err := Parse(name, src)
	if err != nil {
		ds, ok := err.(Diagnostics)
		require.True(t, ok, "Parse returned %T, not Diagnostics: %v", err, err)
		requirePositioned(t, map[string][]byte{name: src}, ds)
		require.True(t, ds.HasErrors())
		return nil
	}
	out := Format(f)
	g, err := Parse(name, out)
	require.NoError(t, err, "formatted text does not parse; input:\n%q\noutput:\n%s", src, out)
	require.Equal(t, commentTexts(f), commentTexts(g), "comments changed; input:\n%q\noutput:\n%s", src, out)
	again := Format(g)
	require.True(t, bytes.Equal(out, again), "Format is not idempotent; input:\n%q\nfirst:\n%s\nsecond:\n%s", src, out, again)
	require.Equal(t, stripPositions(f), stripPositions(g), "formatting changed the tree; input:\n%q\noutput:\n%s", src, out)

	f, err = Parse(name, src)
	require.NoError(t, err)
	return f
}
