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
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/solve"
)

// Build loads, checks, lowers and solves the device spec at path.
// Diagnostics come back as a dsl.Diagnostics error; a method without a
// winning strategy as a *solve.Unrealizable.
func Build(path string, opts solve.Options) (*solve.Result, error) {
	m, err := model.Load(path)
	if err != nil {
		return nil, err
	}
	return solve.SynthesizeWith(m, opts)
}
