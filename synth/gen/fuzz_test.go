package gen_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/gen"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/solve"
)

// FuzzSynthesize feeds mutated device and class specs through the whole
// pipeline. A pair that checks must lower, solve and generate, or fail with
// an error; it may never panic, and it must finish within its belief
// budget (the watchdog below turns a hang into a failure).
//
//	go test ./synth/gen -run '^$' -fuzz FuzzSynthesize -fuzztime 10m -fuzzminimizetime 20x
func FuzzSynthesize(f *testing.F) {
	paths, err := filepath.Glob("../solve/testdata/*.txtar")
	require.NoError(f, err)
	require.NotEmpty(f, paths)
	for _, p := range paths {
		ar, err := txtar.ParseFile(p)
		require.NoError(f, err)
		var dev, class []byte
		for _, file := range ar.Files {
			switch filepath.Ext(file.Name) {
			case ".dev":
				dev = file.Data
			case ".osi":
				class = file.Data
			}
		}
		f.Add(dev, class)
	}
	uart, err := os.ReadFile("../../devices/uart16550/uart16550.dev")
	require.NoError(f, err)
	serial, err := os.ReadFile("../../os-interface/serial/serial.osi")
	require.NoError(f, err)
	f.Add(uart, serial)

	f.Fuzz(func(t *testing.T, devSrc, classSrc []byte) {
		dev, err := dsl.Parse("fuzz.dev", devSrc)
		if err != nil {
			return
		}
		class, err := dsl.Parse("fuzz.osi", classSrc)
		if err != nil {
			return
		}
		spec := &dsl.Spec{Device: dev, Class: class}
		if dev.Device == nil || class.Class == nil || dsl.Check(spec).HasErrors() {
			return
		}
		done := make(chan error, 1)
		go func() { done <- synthesize(spec) }()
		select {
		case err := <-done:
			if err != nil {
				require.NotEmpty(t, err.Error())
			}
		case <-time.After(2 * time.Minute):
			t.Fatalf("synthesis did not finish within its belief budget:\n%s\n%s", devSrc, classSrc)
		}
	})
}

// synthesize runs lowering, solving and generation, and checks that what
// comes out is Go.
func synthesize(spec *dsl.Spec) error {
	m, err := model.Lower(spec)
	if err != nil {
		return err
	}
	res, err := solve.SynthesizeWith(m, solve.Options{MaxBeliefs: 2000})
	if err != nil {
		return err
	}
	src, err := gen.Generate(res, "fuzz.dev")
	if err != nil {
		return err
	}
	_, err = parser.ParseFile(token.NewFileSet(), "fuzz.go", src, parser.AllErrors)
	if err != nil {
		panic("generated code does not parse: " + err.Error())
	}
	return nil
}
