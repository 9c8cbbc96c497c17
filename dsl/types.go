package dsl

import "fmt"

// This file holds the checker's view of types: what an expression evaluates
// to, and the width rules of the language (see docs/language.md):
//
//   - numbers are untyped constants that must fit the width they meet;
//   - bool and 1-bit values interconvert;
//   - arithmetic results are unsized;
//   - comparing or assigning two sized operands of different widths is an
//     error.

// ckKind classifies a checked type.
type ckKind uint8

const (
	ckInvalid ckKind = iota // an error was already reported; accept anything
	ckBool
	ckBits  // sized unsigned value: uint<N>, data<N>, a field, a register
	ckConst // untyped number constant with a known value
	ckInt   // unsized integer: the result of arithmetic
	ckEnum  // a member of an enum
	ckSlice // []T: class method parameters
	ckBuf   // the buffer moved by a stream action
	ckPred  // a class predicate or event: only callable, not a value
)

// ckType is the type of an expression or a declaration.
type ckType struct {
	kind  ckKind
	width int         // ckBits
	data  bool        // ckBits: a data<N> (symbolic) value
	val   uint64      // ckConst: the value (the largest one for a join)
	enum  *ckEnumType // ckEnum
	elem  *ckType     // ckSlice
}

// ckEnumType is an enum type: a named type, a class type or a field's inline
// enum.
type ckEnumType struct {
	name    string // for messages: "DataBits", "LCR.WLS"
	members []*EnumMember
	vals    map[string]uint64
	body    *EnumBody // the declaration
	// width is the field width for a field enum, the bits needed for the
	// largest value otherwise.
	width int
	// field marks a field's inline enum: it names values of a bit field,
	// so it mixes with sized values of the field's width and with
	// constants that fit.
	field bool
}

var (
	ckInvalidType = &ckType{kind: ckInvalid}
	ckBoolType    = &ckType{kind: ckBool}
	ckIntType     = &ckType{kind: ckInt}
	ckBufType     = &ckType{kind: ckBuf}
)

func ckBitsType(w int, data bool) *ckType { return &ckType{kind: ckBits, width: w, data: data} }
func ckConstType(v uint64) *ckType        { return &ckType{kind: ckConst, val: v} }

func (t *ckType) String() string {
	switch t.kind {
	case ckBool:
		return "bool"
	case ckBits:
		if t.data {
			return fmt.Sprintf("data<%d>", t.width)
		}
		return fmt.Sprintf("uint<%d>", t.width)
	case ckConst:
		return "untyped constant"
	case ckInt:
		return "unsized integer"
	case ckEnum:
		return "enum " + t.enum.name
	case ckSlice:
		return "[]" + t.elem.String()
	case ckBuf:
		return "stream buffer"
	case ckPred:
		return "predicate"
	}
	return "invalid type"
}

// sized reports whether values of t have a fixed width, and which.
func (t *ckType) sized() (int, bool) {
	switch t.kind {
	case ckBits:
		return t.width, true
	case ckBool:
		return 1, true
	case ckEnum:
		if t.enum.field {
			return t.enum.width, true
		}
	}
	return 0, false
}

// numeric reports whether arithmetic applies to t.
func (t *ckType) numeric() bool {
	switch t.kind {
	case ckBits, ckConst, ckInt, ckInvalid:
		return true
	case ckEnum:
		return t.enum.field
	}
	return false
}

// boolish reports whether t can be a condition: bool or a 1-bit value.
func (t *ckType) boolish() bool {
	switch t.kind {
	case ckBool, ckInvalid:
		return true
	case ckBits:
		return t.width == 1
	}
	return false
}

// ckFits reports whether v fits in w bits.
func ckFits(v uint64, w int) bool {
	if w >= 64 {
		return true
	}
	if w <= 0 {
		return false
	}
	return v < 1<<uint(w)
}

// ckBitsFor is the number of bits needed to hold v (at least 1).
func ckBitsFor(v uint64) int {
	n := 1
	for n < 64 && v >= 1<<uint(n) {
		n++
	}
	return n
}

// ckAssignable reports whether a value of type src may be stored in dst (or
// passed where dst is expected). When it may not, why says so.
func ckAssignable(dst, src *ckType) (ok bool, why string) {
	if dst.kind == ckInvalid || src.kind == ckInvalid {
		return true, ""
	}
	switch dst.kind {
	case ckBool:
		if src.kind == ckBool || (src.kind == ckBits && src.width == 1) {
			return true, ""
		}
	case ckBits:
		switch src.kind {
		case ckBits:
			if src.width == dst.width {
				return true, ""
			}
			return false, fmt.Sprintf("width mismatch: %d bits and %d bits", dst.width, src.width)
		case ckBool:
			if dst.width == 1 {
				return true, ""
			}
		case ckConst:
			if ckFits(src.val, dst.width) {
				return true, ""
			}
			return false, fmt.Sprintf("constant %d does not fit in %d bits", src.val, dst.width)
		case ckInt:
			return true, ""
		case ckEnum:
			if src.enum.field {
				if src.enum.width == dst.width {
					return true, ""
				}
				return false, fmt.Sprintf("width mismatch: %d bits and %d bits", dst.width, src.enum.width)
			}
		}
	case ckEnum:
		if src.kind == ckEnum && src.enum == dst.enum {
			return true, ""
		}
		if dst.enum.field {
			switch src.kind {
			case ckBits:
				if src.width == dst.enum.width {
					return true, ""
				}
				return false, fmt.Sprintf("width mismatch: %d bits and %d bits", dst.enum.width, src.width)
			case ckConst:
				if ckFits(src.val, dst.enum.width) {
					return true, ""
				}
				return false, fmt.Sprintf("constant %d does not fit in %d bits", src.val, dst.enum.width)
			case ckInt:
				return true, ""
			case ckBool:
				if dst.enum.width == 1 {
					return true, ""
				}
			}
		}
	case ckSlice:
		if src.kind == ckBuf {
			return true, ""
		}
		if src.kind == ckSlice {
			if ok, _ := ckAssignable(dst.elem, src.elem); ok && ckIdentical(dst.elem, src.elem) {
				return true, ""
			}
		}
	case ckConst, ckInt:
		// Untyped on the left: anything numeric goes.
		if src.numeric() {
			return true, ""
		}
	case ckBuf:
		if src.kind == ckBuf || src.kind == ckSlice {
			return true, ""
		}
	}
	return false, ""
}

// ckIdentical reports whether two types are the same type.
func ckIdentical(a, b *ckType) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case ckBits:
		return a.width == b.width
	case ckEnum:
		return a.enum == b.enum
	case ckSlice:
		return ckIdentical(a.elem, b.elem)
	}
	return true
}

// ckComparable reports whether == and != apply to a and b.
func ckComparable(a, b *ckType) (bool, string) {
	// Put the sized or typed side first so ckAssignable sees it as the
	// destination.
	if a.kind == ckConst || a.kind == ckInt {
		a, b = b, a
	}
	if a.kind == ckPred || b.kind == ckPred || a.kind == ckBuf || b.kind == ckBuf {
		return false, ""
	}
	if ok, why := ckAssignable(a, b); ok || why != "" {
		return ok, why
	}
	return ckAssignable(b, a)
}

// ckJoin is the type of a value that is either a or b (both arms of a
// conditional or a match); ok is false when they do not mix.
func ckJoin(a, b *ckType) (*ckType, bool) {
	switch {
	case a.kind == ckInvalid:
		return b, true
	case b.kind == ckInvalid:
		return a, true
	case a.kind == ckConst && b.kind == ckConst:
		// Keep the larger value: it is the one that must fit.
		if b.val > a.val {
			return b, true
		}
		return a, true
	case a.kind == ckConst || a.kind == ckInt:
		a, b = b, a
	}
	// a is now the more specific side.
	if ok, _ := ckAssignable(a, b); ok {
		return a, true
	}
	if ok, _ := ckAssignable(b, a); ok {
		return b, true
	}
	return ckInvalidType, false
}
