// Package testspec loads the small device and class pairs the synthesizer's
// tests share (synth/solve/testdata/*.txtar): each archive holds one .dev
// and the .osi it implements, and optionally a "want" section.
package testspec

import (
	"fmt"
	"path/filepath"
	"runtime"

	"golang.org/x/tools/txtar"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
)

// Dir is the directory of the archives.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "solve", "testdata")
}

// Load parses and checks the pair in archive name (without .txtar).
func Load(name string) (*dsl.Spec, error) {
	ar, err := txtar.ParseFile(filepath.Join(Dir(), name+".txtar"))
	if err != nil {
		return nil, err
	}
	return FromArchive(ar)
}

// FromArchive parses and checks the pair in an archive.
func FromArchive(ar *txtar.Archive) (*dsl.Spec, error) {
	spec := &dsl.Spec{}
	for _, f := range ar.Files {
		var dst **dsl.File
		switch filepath.Ext(f.Name) {
		case ".dev":
			dst = &spec.Device
		case ".osi":
			dst = &spec.Class
			spec.ClassPath = f.Name
		default:
			continue
		}
		parsed, err := dsl.Parse(f.Name, f.Data)
		if err != nil {
			return nil, err
		}
		*dst = parsed
	}
	if spec.Device == nil || spec.Class == nil {
		return nil, fmt.Errorf("archive needs one .dev and one .osi file")
	}
	if ds := dsl.Check(spec); ds.HasErrors() {
		return nil, ds
	}
	return spec, nil
}

// Model loads an archive and lowers it.
func Model(name string) (*model.Model, error) {
	spec, err := Load(name)
	if err != nil {
		return nil, err
	}
	return model.Lower(spec)
}
