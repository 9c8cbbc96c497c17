package dsl

import (
	"fmt"
	"strings"
)

// expr checks an expression and returns its type. want is the type the
// context expects (nil when it expects nothing in particular); it only
// decides which enum a bare member name belongs to, and which width a match
// or conditional's arms meet. The caller checks the result against want.
func (c *checker) expr(sc *ckScope, e *Expr, want *ckType) *ckType {
	if e == nil {
		return ckInvalidType
	}
	switch e.Kind {
	case NumberExpr:
		return ckConstType(e.Value)
	case BoolExpr:
		return ckBoolType
	case NameExpr:
		sym := c.lookup(sc, e.Path, e.Pos, want)
		if sym == nil {
			return ckInvalidType
		}
		c.use(e, sym)
		if sym.kind == symSig {
			if len(sym.sig.params) > 0 {
				c.errorf(e.Pos, "%s %s takes %s: write %s(...)", sym.sig.kind, sym.name, ckPlural(len(sym.sig.params), "argument"), sym.name)
				return ckInvalidType
			}
			return ckBoolType
		}
		if sym.kind == symField && sym.field.has("trigger") && sc.writing != sym.field.reg {
			c.warnf(e.Pos, "%s is a trigger: it reads as 0 outside the on write handler of %s", sym.name, sym.field.reg.name)
		}
		if sym.kind == symReg && sym.reg.stream != nil {
			c.errorf(e.Pos, "stream %s is not a value", sym.name)
			return ckInvalidType
		}
		return sym.t
	case CallExpr:
		return c.call(sc, e)
	case UnaryExpr:
		return c.unary(sc, e)
	case BinaryExpr:
		return c.binary(sc, e)
	case CondExpr:
		c.cond(sc, e.X, "condition of ?:")
		if want != nil && want.kind != ckInvalid {
			c.expect(sc, e.Y, want, "")
			c.expect(sc, e.Z, want, "")
			return want
		}
		y, z := c.expr(sc, e.Y, nil), c.expr(sc, e.Z, nil)
		t, ok := ckJoin(y, z)
		if !ok {
			c.errorf(e.Y.Pos, "the arms of ?: do not mix: %s and %s", y, z)
		}
		return t
	case SliceExpr:
		return c.slice(sc, e)
	case ConcatExpr:
		width, data := 0, false
		for _, a := range e.Args {
			t := c.expr(sc, a, nil)
			if t.kind == ckInvalid {
				return ckInvalidType
			}
			w, ok := t.sized()
			if !ok {
				c.errorf(a.Pos, "cannot concatenate %s: %s has no width", ckText(a), t)
				return ckInvalidType
			}
			width += w
			data = data || t.data
		}
		return ckBitsType(width, data)
	case MatchExpr:
		return c.match(sc, e, want)
	}
	return ckInvalidType
}

// expect checks e against the type its context requires.
func (c *checker) expect(sc *ckScope, e *Expr, want *ckType, context string) *ckType {
	t := c.expr(sc, e, want)
	if e == nil || e.Kind == CondExpr || e.Kind == MatchExpr {
		// The arms were checked against want one by one, at their own
		// positions.
		if t.kind == ckInvalid || want.kind == ckInvalid || t == want {
			return t
		}
	}
	if ok, why := ckAssignable(want, t); !ok {
		msg := fmt.Sprintf("cannot use %s (%s) as %s", ckText(e), t, want)
		if context != "" {
			msg += " in " + context
		}
		if why != "" {
			msg += ": " + why
		}
		if w, ok := t.sized(); ok && want.kind == ckBits && w < want.width && t.kind != ckBool {
			// Widening is never implicit; say how to write it.
			msg += fmt.Sprintf(" (zero-extend it explicitly: {0[%d:0], %s})", want.width-w-1, ckText(e))
		}
		c.errorf(e.Pos, "%s", msg)
	}
	return t
}

// cond checks a condition: it must be boolean (or a 1-bit value).
func (c *checker) cond(sc *ckScope, e *Expr, what string) {
	if e == nil {
		return
	}
	t := c.expr(sc, e, ckBoolType)
	if !t.boolish() {
		c.errorf(e.Pos, "%s must be boolean, but %s is %s", what, ckText(e), t)
	}
}

func (c *checker) call(sc *ckScope, e *Expr) *ckType {
	name := e.Name()
	if name == "len" && len(e.Path) == 1 {
		// len(buf): the length in bytes of a buffer, an unsized integer.
		if len(e.Args) != 1 {
			c.errorf(e.Pos, "len takes one buffer")
			return ckInvalidType
		}
		if c.info != nil {
			c.info.Uses[e] = &Object{Kind: ObjBuiltin, Name: name}
		}
		// The length of an out buffer is known before the method fills it:
		// the caller allocated it.
		requires := sc.requires
		sc.requires = false
		t := c.expr(sc, e.Args[0], nil)
		sc.requires = requires
		if t.kind != ckInvalid && t.kind != ckSlice && t.kind != ckBuf {
			c.errorf(e.Args[0].Pos, "len of %s: only buffers have a length", t)
			return ckInvalidType
		}
		return ckIntType
	}
	var sig *ckSig
	if sc.contract && c.cls != nil && len(e.Path) == 1 {
		if p, ok := c.cls.preds[name]; ok {
			sig = p
		} else if ev, ok := c.cls.events[name]; ok {
			sig = ev
		}
	}
	if sig == nil {
		for _, a := range e.Args {
			c.expr(sc, a, nil)
		}
		switch {
		case sc.contract && c.cls != nil:
			c.errorf(e.Pos, "class %s has no predicate or event %s", c.cls.name, name)
		case c.cls != nil && (c.cls.preds[name] != nil || c.cls.events[name] != nil):
			c.errorf(e.Pos, "%s of class %s cannot be called here: class predicates and events are named only in method contracts (a device emits events with emit)", name, c.cls.name)
		default:
			c.errorf(e.Pos, "%s is not a function: there are no function calls in a device spec", name)
		}
		return ckInvalidType
	}
	c.use(e, &ckSym{kind: symSig, sig: sig, name: name})
	c.args(sc, e.Pos, sig, e.Args)
	return ckBoolType
}

// args checks the arguments of an event or predicate against its
// parameters.
func (c *checker) args(sc *ckScope, pos Pos, sig *ckSig, args []*Expr) {
	if len(args) != len(sig.params) {
		c.errorf(pos, "%s %s takes %s, got %d", sig.kind, sig.name, ckPlural(len(sig.params), "argument"), len(args))
		for _, a := range args {
			c.expr(sc, a, nil)
		}
		return
	}
	for i, a := range args {
		p := sig.params[i]
		c.expect(sc, a, p.t, fmt.Sprintf("argument %s of %s", p.name, sig.name))
	}
}

func ckPlural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func (c *checker) unary(sc *ckScope, e *Expr) *ckType {
	x := c.expr(sc, e.X, nil)
	switch e.Op {
	case "!":
		if !x.boolish() {
			c.errorf(e.X.Pos, "operator ! needs a boolean operand, but %s is %s", ckText(e.X), x)
		}
		return ckBoolType
	case "~":
		if !x.numeric() {
			c.errorf(e.X.Pos, "operator ~ needs a number, but %s is %s (use ! for bool)", ckText(e.X), x)
			return ckInvalidType
		}
		if w, ok := x.sized(); ok {
			return ckBitsType(w, x.data)
		}
		return ckIntType
	default: // "-"
		if !x.numeric() {
			c.errorf(e.X.Pos, "operator - needs a number, but %s is %s", ckText(e.X), x)
			return ckInvalidType
		}
		if x.kind == ckConst && x.val == 0 {
			return x
		}
		return ckIntType
	}
}

// needsContext reports whether e can only be typed from the other side of
// a comparison: a bare enum member, or a match or conditional whose arms
// are.
func (c *checker) needsContext(sc *ckScope, e *Expr) bool {
	switch e.Kind {
	case NameExpr:
		if len(e.Path) != 1 {
			return false
		}
		sym := c.lookupQuiet(sc, e.Path, nil)
		return sym == nil || sym.kind == symMember
	case MatchExpr:
		for _, mc := range e.Cases {
			if c.needsContext(sc, mc.Value) {
				return true
			}
		}
	case CondExpr:
		return c.needsContext(sc, e.Y) || c.needsContext(sc, e.Z)
	}
	return false
}

func (c *checker) binary(sc *ckScope, e *Expr) *ckType {
	switch e.Op {
	case "&&", "||":
		for _, o := range []*Expr{e.X, e.Y} {
			if t := c.expr(sc, o, ckBoolType); !t.boolish() {
				c.errorf(o.Pos, "operator %s needs boolean operands, but %s is %s", e.Op, ckText(o), t)
			}
		}
		return ckBoolType
	case "==", "!=", "<", "<=", ">", ">=":
		var x, y *ckType
		if c.needsContext(sc, e.X) && !c.needsContext(sc, e.Y) {
			y = c.expr(sc, e.Y, nil)
			x = c.expr(sc, e.X, y)
		} else {
			x = c.expr(sc, e.X, nil)
			y = c.expr(sc, e.Y, x)
		}
		if x.kind == ckInvalid || y.kind == ckInvalid {
			return ckBoolType
		}
		if e.Op != "==" && e.Op != "!=" {
			for i, t := range []*ckType{x, y} {
				if !t.numeric() {
					o := []*Expr{e.X, e.Y}[i]
					c.errorf(o.Pos, "operator %s needs numbers, but %s is %s", e.Op, ckText(o), t)
					return ckBoolType
				}
			}
		}
		if ok, why := ckComparable(x, y); !ok {
			if why == "" {
				why = fmt.Sprintf("mismatched types %s and %s", x, y)
			}
			c.errorf(e.Pos, "cannot compare %s (%s) with %s (%s): %s", ckText(e.X), x, ckText(e.Y), y, why)
		}
		return ckBoolType
	}
	// Arithmetic and bitwise operators.
	x, y := c.expr(sc, e.X, nil), c.expr(sc, e.Y, nil)
	for i, t := range []*ckType{x, y} {
		if !t.numeric() {
			o := []*Expr{e.X, e.Y}[i]
			hint := ""
			if t.kind == ckBool && (e.Op == "&" || e.Op == "|") {
				hint = fmt.Sprintf(" (use %s%s for bool)", e.Op, e.Op)
			}
			c.errorf(o.Pos, "operator %s needs numbers, but %s is %s%s", e.Op, ckText(o), t, hint)
			return ckInvalidType
		}
	}
	if x.kind == ckInvalid || y.kind == ckInvalid {
		return ckInvalidType
	}
	if x.kind == ckConst && y.kind == ckConst {
		if v, ok := ckFold(e.Op, x.val, y.val); ok {
			return ckConstType(v)
		}
		if (e.Op == "/" || e.Op == "%") && y.val == 0 {
			c.errorf(e.Y.Pos, "division by zero")
			return ckInvalidType
		}
		return ckIntType
	}
	if e.Op == "/" || e.Op == "%" {
		if y.kind == ckConst && y.val == 0 {
			c.errorf(e.Y.Pos, "division by zero")
		}
	}
	switch e.Op {
	case "&", "|", "^":
		// A bitwise combination keeps the width of its sized operand.
		wx, okx := x.sized()
		wy, oky := y.sized()
		switch {
		case okx && oky && wx == wy:
			return ckBitsType(wx, x.data || y.data)
		case okx && !oky:
			return ckBitsType(wx, x.data)
		case oky && !okx:
			return ckBitsType(wy, y.data)
		}
	}
	return ckIntType
}

// ckFold computes a binary operator on two constants; ok is false when the
// result is not a non-negative 64-bit constant.
func ckFold(op string, a, b uint64) (uint64, bool) {
	switch op {
	case "+":
		return a + b, a+b >= a
	case "-":
		return a - b, a >= b
	case "*":
		if a != 0 && (a*b)/a != b {
			return 0, false
		}
		return a * b, true
	case "/":
		if b == 0 {
			return 0, false
		}
		return a / b, true
	case "%":
		if b == 0 {
			return 0, false
		}
		return a % b, true
	case "<<":
		if b >= 64 || (a<<b)>>b != a {
			return 0, false
		}
		return a << b, true
	case ">>":
		if b >= 64 {
			return 0, true
		}
		return a >> b, true
	case "&":
		return a & b, true
	case "|":
		return a | b, true
	case "^":
		return a ^ b, true
	}
	return 0, false
}

func (c *checker) slice(sc *ckScope, e *Expr) *ckType {
	x := c.expr(sc, e.X, nil)
	if e.Hi < e.Lo {
		c.errorf(e.Pos, "bit range [%d:%d] is reversed: write [high:low]", e.Hi, e.Lo)
		return ckInvalidType
	}
	w := e.Hi - e.Lo + 1
	switch x.kind {
	case ckInvalid:
		return ckInvalidType
	case ckConst, ckInt:
		// A slice has the width of its bit range, even of a number:
		// {0[3:0], x} zero-extends x by four bits.
		return ckBitsType(w, false)
	}
	xw, ok := x.sized()
	if !ok || x.kind == ckBool {
		c.errorf(e.X.Pos, "cannot take bits of %s: it is %s", ckText(e.X), x)
		return ckInvalidType
	}
	if e.Hi >= xw {
		c.errorf(e.Pos, "bit %d is out of range: %s has %s", e.Hi, ckText(e.X), ckPlural(xw, "bit"))
		return ckInvalidType
	}
	return ckBitsType(w, x.data)
}

func (c *checker) match(sc *ckScope, e *Expr, want *ckType) *ckType {
	x := c.expr(sc, e.X, nil)
	var members []string
	vals := map[string]bool{}
	switch x.kind {
	case ckInvalid:
	case ckEnum:
		for _, m := range x.enum.members {
			members = append(members, m.Name)
			vals[m.Name] = true
		}
	case ckBool:
		members = []string{"false", "true"}
		vals["false"], vals["true"] = true, true
	default:
		c.errorf(e.X.Pos, "cannot match on %s: it is %s, not an enum or bool", ckText(e.X), x)
		x = ckInvalidType
	}
	seen := map[string]Pos{}
	hasDefault := false
	var result *ckType
	for _, mc := range e.Cases {
		if prev, dup := seen[mc.Pattern]; dup {
			c.errorf(mc.Pos, "duplicate match arm %s (first at %s)", mc.Pattern, where(prev))
			c.related(prev, "first arm %s", mc.Pattern)
		}
		seen[mc.Pattern] = mc.Pos
		if mc.Pattern == "_" {
			hasDefault = true
		} else if x.kind != ckInvalid && !vals[mc.Pattern] {
			c.errorf(mc.Pos, "%s is not a member of %s", mc.Pattern, x)
		}
		if want != nil && want.kind != ckInvalid {
			c.expect(sc, mc.Value, want, "")
			continue
		}
		t := c.expr(sc, mc.Value, nil)
		if result == nil {
			result = t
			continue
		}
		j, ok := ckJoin(result, t)
		if !ok {
			c.errorf(mc.Value.Pos, "match arms do not mix: %s and %s", result, t)
		}
		result = j
	}
	if x.kind != ckInvalid && !hasDefault {
		var missing []string
		for _, m := range members {
			if _, ok := seen[m]; !ok {
				missing = append(missing, m)
			}
		}
		if len(missing) > 0 {
			c.errorf(e.Pos, "match on %s misses %s (add the arms or a default arm _ => ...)", ckText(e.X), strings.Join(missing, ", "))
		}
	}
	if want != nil && want.kind != ckInvalid {
		return want
	}
	if result == nil {
		return ckInvalidType
	}
	return result
}

// ckText prints an expression for a diagnostic, with the parentheses its
// structure needs.
func ckText(e *Expr) string {
	if e == nil {
		return ""
	}
	var b strings.Builder
	ckWrite(&b, e, 0)
	return b.String()
}

func ckWrite(b *strings.Builder, e *Expr, outer int) {
	switch e.Kind {
	case NumberExpr, BoolExpr:
		if e.Text != "" {
			b.WriteString(e.Text)
		} else {
			fmt.Fprint(b, e.Value)
		}
	case NameExpr:
		b.WriteString(e.Name())
	case CallExpr, ConcatExpr:
		if e.Kind == CallExpr {
			b.WriteString(e.Name() + "(")
		} else {
			b.WriteString("{")
		}
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			ckWrite(b, a, 0)
		}
		if e.Kind == CallExpr {
			b.WriteString(")")
		} else {
			b.WriteString("}")
		}
	case UnaryExpr:
		b.WriteString(e.Op)
		ckWrite(b, e.X, 100)
	case BinaryExpr:
		p := binaryPrec[e.Op]
		if p < outer {
			b.WriteString("(")
		}
		ckWrite(b, e.X, p)
		b.WriteString(" " + e.Op + " ")
		ckWrite(b, e.Y, p+1)
		if p < outer {
			b.WriteString(")")
		}
	case CondExpr:
		if outer > 0 {
			b.WriteString("(")
		}
		ckWrite(b, e.X, 1)
		b.WriteString(" ? ")
		ckWrite(b, e.Y, 0)
		b.WriteString(" : ")
		ckWrite(b, e.Z, 0)
		if outer > 0 {
			b.WriteString(")")
		}
	case SliceExpr:
		ckWrite(b, e.X, 100)
		if e.Hi == e.Lo {
			fmt.Fprintf(b, "[%d]", e.Hi)
		} else {
			fmt.Fprintf(b, "[%d:%d]", e.Hi, e.Lo)
		}
	case MatchExpr:
		if outer > 0 {
			b.WriteString("(")
		}
		b.WriteString("match ")
		ckWrite(b, e.X, 1)
		b.WriteString(" { ")
		for i, mc := range e.Cases {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(mc.Pattern + " => ")
			ckWrite(b, mc.Value, 0)
		}
		b.WriteString(" }")
		if outer > 0 {
			b.WriteString(")")
		}
	}
}
