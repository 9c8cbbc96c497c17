package gen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// val writes a term as a uint64 Go expression. top: the expression stands
// alone (no parentheses around it).
func (g *gen) val(t *term.T, top bool) (*jen.Statement, error) {
	if name, ok := g.fn.values[opKey(t)]; ok {
		return jen.Id(name), nil
	}
	paren := func(s *jen.Statement) *jen.Statement {
		if top {
			return s
		}
		return jen.Parens(s)
	}
	switch t.Kind {
	case term.Const:
		return g.namedConst(t.Val), nil
	case term.Param:
		if t.Width == 0 {
			return nil, fmt.Errorf("buffer %s used as a value", t.Name)
		}
		return jen.Uint64().Parens(jen.Id(t.Name)), nil
	case term.Read:
		return jen.Uint64().Parens(jen.Id(g.readLocal(t.Name))), nil
	case term.Slice:
		x, err := g.val(t.Args[0], false)
		if err != nil {
			return nil, err
		}
		if t.Lo > 0 {
			x = x.Op(">>").Lit(t.Lo)
		}
		if t.Args[0].Width == 0 || t.Hi+1 < t.Args[0].Width {
			if t.Lo > 0 {
				x = jen.Parens(x)
			}
			x = x.Op("&").Id(fmt.Sprintf("%#x", uint64(1)<<uint(t.Hi-t.Lo+1)-1))
		}
		return paren(x), nil
	case term.Concat:
		var out *jen.Statement
		shift := t.Width
		for _, p := range t.Args {
			shift -= p.Width
			if p.IsConst() && p.Val == 0 && out == nil {
				continue // a zero extension: the high bits are 0 anyway
			}
			x, err := g.val(p, false)
			if err != nil {
				return nil, err
			}
			if shift > 0 {
				x = x.Op("<<").Lit(shift)
			}
			if out == nil {
				out = x
			} else {
				out = out.Op("|").Add(x)
			}
		}
		return paren(out), nil
	case term.Op:
		if t.Name == "len" && t.Args[0].Kind == term.Param {
			return jen.Uint64().Parens(jen.Len(jen.Id(t.Args[0].Name))), nil
		}
		if t.Name == "?:" {
			// Go has no conditional expression; the runtime's Select is one.
			c, err := g.truth(t.Args[0])
			if err != nil {
				return nil, err
			}
			y, err := g.val(t.Args[1], true)
			if err != nil {
				return nil, err
			}
			z, err := g.val(t.Args[2], true)
			if err != nil {
				return nil, err
			}
			return jen.Qual(driverPkg, "Select").Call(c, y, z), nil
		}
		if truthOps[t.Name] {
			c, err := g.truth(t)
			if err != nil {
				return nil, err
			}
			return jen.Qual(driverPkg, "Bit").Call(c), nil
		}
		x, err := g.arith(t)
		if err != nil {
			return nil, err
		}
		return paren(x), nil
	}
	return nil, fmt.Errorf("value %s is not known to the driver", t)
}

// valAs writes a term converted to typ; a value read converts directly.
func (g *gen) valAs(t *term.T, typ *jen.Statement) (*jen.Statement, error) {
	if t.Kind == term.Read {
		return typ.Clone().Parens(jen.Id(g.readLocal(t.Name))), nil
	}
	if t.Kind == term.Param && t.Width > 0 && t.Width <= 8 {
		return typ.Clone().Parens(jen.Id(t.Name)), nil
	}
	x, err := g.val(t, true)
	if err != nil {
		return nil, err
	}
	return typ.Clone().Parens(x), nil
}

// readLocal is the Go local of a read variable, found by the register it
// names.
func (g *gen) readLocal(readVar string) string {
	if r := g.readReg(readVar); r != nil {
		return g.local(readVar, r)
	}
	if name := g.layoutLocal(readVar); name != "" {
		return name
	}
	return readVar
}

// put writes the register value with x in field f: nil when x is 0.
func (g *gen) put(f *model.Field, t *term.T) (jen.Code, error) {
	if t.IsConst() {
		return g.fieldValue(f, t.Val), nil
	}
	whole := f.Lo == 0 && f.Width == f.Reg.Width
	if whole {
		// The conversion to the register's type keeps the low bits, so a
		// slice that ends at the field's width needs no mask.
		if t.Kind == term.Param && t.Width <= f.Width {
			return jen.Id(regType(f.Reg)).Parens(jen.Id(t.Name)), nil
		}
		if t.Kind == term.Slice && t.Hi-t.Lo+1 == f.Width {
			inner, err := g.val(t.Args[0], false)
			if err != nil {
				return nil, err
			}
			if t.Args[0].Kind == term.Param && t.Args[0].Width > 0 {
				inner = jen.Id(t.Args[0].Name)
			}
			if t.Lo > 0 {
				inner = inner.Op(">>").Lit(t.Lo)
			}
			return jen.Id(regType(f.Reg)).Parens(inner), nil
		}
		x, err := g.val(t, true)
		if err != nil {
			return nil, err
		}
		return jen.Id(regType(f.Reg)).Parens(x), nil
	}
	x, err := g.val(t, true)
	if err != nil {
		return nil, err
	}
	return jen.Qual(driverPkg, "Put").Call(jen.Id(fieldConst(f)), x), nil
}

// truthOps are the operations whose value is a truth value.
var truthOps = map[string]bool{"==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true, "&&": true, "||": true, "!": true}

// truth writes a one-bit term as a Go bool expression: a comparison or a
// connective as itself, any other value as "is not 0".
func (g *gen) truth(t *term.T) (*jen.Statement, error) {
	if t.Kind != term.Op || !truthOps[t.Name] {
		x, err := g.val(t, false)
		if err != nil {
			return nil, err
		}
		return x.Op("!=").Lit(0), nil
	}
	if t.Name == "!" {
		x, err := g.truth(t.Args[0])
		if err != nil {
			return nil, err
		}
		return jen.Op("!").Parens(x), nil
	}
	if len(t.Args) != 2 {
		return nil, fmt.Errorf("operation %s has no Go form", t.Name)
	}
	if bit := g.bitTest(t); bit != nil {
		return bit, nil
	}
	side := func(a *term.T) (*jen.Statement, error) {
		if t.Name == "&&" || t.Name == "||" {
			x, err := g.truth(a)
			if err != nil {
				return nil, err
			}
			return jen.Parens(x), nil
		}
		return g.val(a, false)
	}
	x, err := side(t.Args[0])
	if err != nil {
		return nil, err
	}
	y, err := side(t.Args[1])
	if err != nil {
		return nil, err
	}
	return x.Op(t.Name).Add(y), nil
}

var goOps = map[string]bool{"+": true, "-": true, "*": true, "/": true, "%": true, "&": true, "|": true, "^": true, "<<": true, ">>": true}

func (g *gen) arith(t *term.T) (*jen.Statement, error) {
	if !goOps[t.Name] || len(t.Args) != 2 {
		return nil, fmt.Errorf("operation %s has no Go form", t.Name)
	}
	var xs [2]*jen.Statement
	for i, a := range t.Args {
		if a.Kind == term.Param && a.Width == 0 {
			return nil, fmt.Errorf("buffer %s used as a number", a.Name)
		}
		x, err := g.val(a, false)
		if err != nil {
			return nil, err
		}
		xs[i] = x
	}
	return xs[0].Op(t.Name).Add(xs[1]), nil
}

// namedConst prints a constant in arithmetic by the spec's name for it, so
// the generated code carries no magic numbers. Only a value exactly one
// constant has is named; anything else would be a guess.
func (g *gen) namedConst(v uint64) *jen.Statement {
	var name string
	for _, c := range g.m.NamedConsts() {
		if c.Value.Val == v {
			if name != "" {
				return jen.Lit(int(v))
			}
			name = c.Name
		}
	}
	if name != "" {
		return jen.Id(name)
	}
	return jen.Lit(int(v))
}

// paramType is the class type name of a method parameter.
func (g *gen) paramType(name string) string {
	for _, meth := range g.m.Methods {
		for _, p := range meth.Params {
			if p.Name == name && p.Type.Named != "" {
				return p.Type.Named
			}
		}
	}
	return ""
}

var goPrec = map[string]int{
	"||": 1, "&&": 2,
	"==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
	"+": 4, "-": 4, "|": 4, "^": 4,
	"*": 5, "/": 5, "%": 5, "<<": 5, ">>": 5, "&": 5,
}

// contractExpr writes a precondition over the method's parameters.
func (g *gen) contractExpr(e *dsl.Expr) (*jen.Statement, error) {
	switch e.Kind {
	case dsl.NumberExpr:
		if e.Text != "" {
			return jen.Id(e.Text), nil
		}
		return jen.Lit(int(e.Value)), nil
	case dsl.BoolExpr:
		return jen.Lit(e.Value != 0), nil
	case dsl.NameExpr:
		return jen.Id(e.Name()), nil
	case dsl.UnaryExpr:
		x, err := g.contractExpr(e.X)
		if err != nil {
			return nil, err
		}
		if e.X.Kind == dsl.BinaryExpr {
			x = jen.Parens(x)
		}
		return jen.Op(e.Op).Add(x), nil
	case dsl.BinaryExpr:
		x, err := g.contractExpr(e.X)
		if err != nil {
			return nil, err
		}
		y, err := g.contractExpr(e.Y)
		if err != nil {
			return nil, err
		}
		// Parentheses only where Go's precedence would read the tree
		// differently.
		if e.X.Kind == dsl.BinaryExpr && goPrec[e.X.Op] < goPrec[e.Op] {
			x = jen.Parens(x)
		}
		if e.Y.Kind == dsl.BinaryExpr && goPrec[e.Y.Op] <= goPrec[e.Op] {
			y = jen.Parens(y)
		}
		return x.Op(e.Op).Add(y), nil
	case dsl.CallExpr:
		if e.Name() == "len" && len(e.Args) == 1 {
			x, err := g.contractExpr(e.Args[0])
			if err != nil {
				return nil, err
			}
			return jen.Len(x), nil
		}
	}
	return nil, fmt.Errorf("%s:%d: precondition %s has no Go form", e.Pos.Filename, e.Pos.Line, dsl.FormatExpr(e))
}

// termText is a short spec-like rendering of a term for comments.
func termText(t *term.T) string {
	switch t.Kind {
	case term.Const:
		return fmt.Sprint(t.Val)
	case term.Param, term.Read:
		return t.Name
	case term.Slice:
		return fmt.Sprintf("%s[%d:%d]", termText(t.Args[0]), t.Hi, t.Lo)
	}
	return t.String()
}

// bitTest writes a one-bit field of a value read compared with 0 or 1 as
// a mask test (regb&REGB_DM != 0), the way a driver tests a flag; nil when
// t is not such a comparison.
func (g *gen) bitTest(t *term.T) *jen.Statement {
	if t.Name != "==" && t.Name != "!=" {
		return nil
	}
	x, c := t.Args[0], t.Args[1]
	if !c.IsConst() || c.Val > 1 || x.Kind != term.Slice || x.Hi != x.Lo || x.Args[0].Kind != term.Read {
		return nil
	}
	f := g.readField(x.Args[0].Name, x.Lo)
	if f == nil {
		return nil
	}
	set := (t.Name == "==") == (c.Val == 1)
	op := "=="
	if set {
		op = "!="
	}
	return jen.Id(g.readLocal(x.Args[0].Name)).Op("&").Id(fieldConst(f)).Op(op).Lit(0)
}

// readField is the one-bit field at bit lo of the register whose read is
// readVar, or nil.
func (g *gen) readField(readVar string, lo int) *model.Field {
	r := g.readReg(readVar)
	if r == nil {
		return nil
	}
	for _, f := range r.Fields {
		if f.Lo == lo && f.Width == 1 {
			return f
		}
	}
	return nil
}

// readReg is the register a read variable (vLSR, vLSR2) holds a value of,
// or nil.
func (g *gen) readReg(readVar string) *model.Reg {
	for _, r := range g.m.Regs {
		if len(readVar) > len(r.Name) && readVar[1:1+len(r.Name)] == r.Name {
			rest := readVar[1+len(r.Name):]
			if rest == "" || (rest[0] >= '0' && rest[0] <= '9') {
				return r
			}
		}
	}
	return nil
}
