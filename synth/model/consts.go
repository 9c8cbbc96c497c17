package model

import (
	"sort"

	"github.com/drvsynth/drvsynth/synth/term"
)

// NamedConst is a constant the spec declares.
type NamedConst struct {
	Name  string
	Value *term.T
	Line  int
}

// NamedConsts lists the spec's constants in declaration order.
func (m *Model) NamedConsts() []NamedConst {
	var out []NamedConst
	for _, it := range m.Spec.Device.Device.Items {
		if it.Const != nil {
			if v, ok := m.Const(it.Const.Name); ok {
				out = append(out, NamedConst{it.Const.Name, v, it.Const.Pos.Line})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}
