package dsl

import "fmt"

// This file resolves declared types (Type in the AST) to checker types.

// maxEnumerated is the widest uint<N> the synthesizer enumerates; wider
// values must be data<N>, which it tracks symbolically.
const maxEnumerated = 16

// resolveType turns a declared type into a checker type. name labels an
// inline enum in messages; allowSlice is true for class parameters and
// device state (a buffer a data window holds).
func (c *checker) resolveType(t *Type, name string, allowSlice, inClass bool) *ckType {
	if t == nil {
		return ckInvalidType
	}
	if t.Slice {
		if !allowSlice {
			c.errorf(t.Pos, "slice types are only allowed for class parameters and device state")
			return ckInvalidType
		}
		elem := *t
		elem.Slice = false
		elem.Pos = c.tokenAt(t.Pos, 2) // past "[" "]"
		et := c.resolveType(&elem, name, false, inClass)
		if et.kind == ckInvalid {
			return ckInvalidType
		}
		return &ckType{kind: ckSlice, elem: et}
	}
	switch {
	case t.Bool:
		return ckBoolType
	case t.Uint != nil:
		n := *t.Uint
		switch {
		case n <= 0:
			c.errorf(c.tokenAt(t.Pos, 2), "uint<%d> has no bits", n)
			return ckInvalidType
		case n > maxEnumerated:
			c.errorf(c.tokenAt(t.Pos, 2), "uint<%d> is too wide to enumerate (at most %d bits): use data<%d> for a wide value", n, maxEnumerated, n)
			return ckInvalidType
		}
		return ckBitsType(n, false)
	case t.Data != nil:
		if *t.Data <= 0 {
			c.errorf(c.tokenAt(t.Pos, 2), "data<%d> has no bits", *t.Data)
			return ckInvalidType
		}
		return ckBitsType(*t.Data, true)
	case t.Enum != nil:
		en := c.enum(t.Enum, name, 0)
		return &ckType{kind: ckEnum, enum: en}
	case t.Named != "":
		pos := c.identAt(t.Pos, 0)
		var nt *ckNamed
		if inClass {
			if c.cls != nil {
				nt = c.cls.types[t.Named]
				if nt != nil {
					c.resolveNamed(nt, true)
				}
			}
		} else {
			nt = c.namedType(t.Named)
		}
		if nt == nil {
			c.errorf(pos, "undefined type %s", t.Named)
			return ckInvalidType
		}
		if nt.state == ckResolving {
			c.errorf(pos, "type %s is defined in terms of itself", t.Named)
			return ckInvalidType
		}
		if nt.t == nil {
			return ckInvalidType
		}
		return nt.t
	}
	return ckInvalidType
}

// resolveNamed resolves a type declaration once.
func (c *checker) resolveNamed(nt *ckNamed, inClass bool) {
	if nt.state != ckUnresolved {
		return
	}
	nt.state = ckResolving
	nt.t = c.resolveType(nt.decl.Type, nt.decl.Name, false, inClass)
	nt.state = ckResolved
}

// enum builds an enum type, checking its members. fieldWidth is the width
// of the field it names values of, or 0 for a type or state enum.
func (c *checker) enum(b *EnumBody, name string, fieldWidth int) *ckEnumType {
	en := &ckEnumType{name: name, vals: map[string]uint64{}, body: b, field: fieldWidth > 0, width: fieldWidth}
	seen := map[string]Pos{}
	var max uint64
	for i, m := range b.Members {
		if prev, dup := seen[m.Name]; dup {
			c.errorf(m.Pos, "duplicate enum member %s (first declared at %s)", m.Name, where(prev))
			c.related(prev, "%s first declared here", m.Name)
			continue
		}
		seen[m.Name] = m.Pos
		v := uint64(i)
		if m.Value != nil {
			if *m.Value < 0 {
				c.errorf(m.Pos, "enum value of %s is negative", m.Name)
				continue
			}
			v = uint64(*m.Value)
		}
		if fieldWidth > 0 && !ckFits(v, fieldWidth) {
			pos := m.Pos
			if m.Value != nil {
				pos = c.tokenAt(m.Pos, 2) // the value after "="
			}
			c.errorf(pos, "enum value %d of %s does not fit in the %d-bit field %s", v, m.Name, fieldWidth, name)
		}
		if v > max {
			max = v
		}
		en.members = append(en.members, m)
		en.vals[m.Name] = v
	}
	if fieldWidth == 0 {
		en.width = ckBitsFor(max)
	}
	return en
}

// addMembers records the members of an enum for bare-name lookup.
func addMembers(table map[string][]*ckEnumType, en *ckEnumType) {
	for _, m := range en.members {
		list := table[m.Name]
		dup := false
		for _, e := range list {
			dup = dup || e == en
		}
		if !dup {
			table[m.Name] = append(list, en)
		}
	}
}

// ckTypeText prints a declared type for messages.
func ckTypeText(t *Type) string {
	if t == nil {
		return ""
	}
	s := ""
	if t.Slice {
		s = "[]"
	}
	switch {
	case t.Bool:
		return s + "bool"
	case t.Uint != nil:
		return s + fmt.Sprintf("uint<%d>", *t.Uint)
	case t.Data != nil:
		return s + fmt.Sprintf("data<%d>", *t.Data)
	case t.Enum != nil:
		return s + "enum"
	}
	return s + t.Named
}
