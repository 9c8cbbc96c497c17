// Package synth is the synthesis pipeline's one entry point. A device spec
// goes through four stages, each its own package:
//
//	dsl    parse and check the device spec and the class it implements
//	model  lower the checked spec to an executable model
//	solve  play one game per class method and keep the winning strategies
//	gen    write the strategies as a Go package
//
// Build runs the first three; callers that want source pass its result to
// gen.Generate. The simulator (synth/sim) needs only the model, and loads it
// with model.Load.
package synth

import (
	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/solve"
)

// Build loads, checks, lowers and solves the device spec at path.
// Diagnostics come back as a dsl.Diagnostics error; a method without a
// winning strategy as a *solve.Unrealizable.
func Build(path string, opts solve.Options) (*solve.Result, error) {
	return BuildFrom(path, dsl.DefaultClassPath(), opts)
}

// BuildFrom is Build with the device's class found by classes.
func BuildFrom(path string, classes dsl.ClassFinder, opts solve.Options) (*solve.Result, error) {
	spec, diags := dsl.LoadDeviceFrom(path, classes)
	if spec == nil || diags.HasErrors() {
		return nil, diags
	}
	m, err := model.Lower(spec)
	if err != nil {
		return nil, err
	}
	return solve.SynthesizeWith(m, opts)
}
