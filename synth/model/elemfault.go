package model

import (
	"fmt"
	"sort"
	"strings"

	"github.com/drvsynth/drvsynth/dsl"
)

// ElemFault is an error the class lets a for-each method report about one
// element (serial's parity error on a received byte), with the field of a
// readable register that shows it on this device. The driver learns it
// from the value it read, so it is a property of a read, not of a state:
// the read may clear the bit (reading the 16550's LSR does).
type ElemFault struct {
	Name    string
	Message string
	Pos     dsl.Pos // the class declaration
	BindPos dsl.Pos // the device binding
	Field   *Field  // one bit, 1 while the device reports the fault
}

// MethodFaults lists the faults meth's contract declares that this device
// binds, in declaration order. A fault the device does not bind is one it
// never reports.
func (m *Model) MethodFaults(meth *dsl.Method) []*ElemFault {
	var out []*ElemFault
	var walk func([]*dsl.Clause)
	walk = func(cls []*dsl.Clause) {
		for _, c := range cls {
			switch {
			case c.For != nil:
				walk(c.For.Clauses)
			case c.Fault != nil:
				if f := m.elemFaults[c.Fault.Name]; f != nil {
					out = append(out, f)
				}
			}
		}
	}
	walk(meth.Clauses)
	return out
}

// ElemFaults lists every class fault the device binds, by name.
func (m *Model) ElemFaults() []*ElemFault {
	out := make([]*ElemFault, 0, len(m.elemFaults))
	for _, f := range m.elemFaults {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// classFaults lists the names of the faults the class's methods declare,
// with their first declaration.
func classFaults(c *dsl.Class) map[string]*dsl.ClassFault {
	out := map[string]*dsl.ClassFault{}
	var walk func([]*dsl.Clause)
	walk = func(cls []*dsl.Clause) {
		for _, c := range cls {
			switch {
			case c.For != nil:
				walk(c.For.Clauses)
			case c.Fault != nil:
				if out[c.Fault.Name] == nil {
					out[c.Fault.Name] = c.Fault
				}
			}
		}
	}
	for _, it := range c.Items {
		if it.Method != nil {
			walk(it.Method.Clauses)
		}
	}
	return out
}

// faultBinding is a class fault and the device's binding of it.
type faultBinding struct {
	decl *dsl.ClassFault
	pb   *dsl.PredBinding
}

// bindElemFault lowers the binding of class fault decl (checked: REG.FIELD
// or REG.FIELD == 1, a one-bit field).
func (m *Model) bindElemFault(decl *dsl.ClassFault, pb *dsl.PredBinding) error {
	f := &ElemFault{Name: decl.Name, Pos: decl.Pos, BindPos: pb.Pos}
	if decl.Message != nil {
		f.Message = *decl.Message
	}
	e := pb.Body
	if e.Kind == dsl.BinaryExpr {
		e = e.X
	}
	if r := m.Reg(e.Path[0]); r != nil {
		for _, fl := range r.Fields {
			if fl.Name == e.Path[1] {
				f.Field = fl
			}
		}
	}
	if f.Field == nil || f.Field.Width != 1 {
		return fmt.Errorf("%s: fault %s: %s is not a one-bit field", posString(pb.Pos), decl.Name, strings.Join(e.Path, "."))
	}
	if m.elemFaults == nil {
		m.elemFaults = map[string]*ElemFault{}
	}
	m.elemFaults[decl.Name] = f
	return nil
}
