package gen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// expr writes a term as a uint64 Go expression. field, when set, is the
// field the value goes into, so constants print as its enum names.
func (g *gen) expr(t *term.T, field *model.Field) (*jen.Statement, error) {
	switch t.Kind {
	case term.Const:
		return jen.Add(g.constFor(t.Val, field)), nil
	case term.Param:
		if t.Width == 0 {
			return nil, fmt.Errorf("buffer %s used as a value", t.Name)
		}
		return jen.Uint64().Parens(jen.Id(t.Name)), nil
	case term.Read:
		return jen.Id(t.Name), nil
	case term.Slice:
		x, err := g.expr(t.Args[0], nil)
		if err != nil {
			return nil, err
		}
		if t.Lo > 0 {
			x = jen.Parens(x.Op(">>").Lit(t.Lo))
		}
		if t.Args[0].Width == 0 || t.Hi+1 < t.Args[0].Width {
			x = jen.Parens(x.Op("&").Id(fmt.Sprintf("%#x", uint64(1)<<uint(t.Hi-t.Lo+1)-1)))
		}
		return x, nil
	case term.Concat:
		var out *jen.Statement
		shift := t.Width
		for _, p := range t.Args {
			shift -= p.Width
			x, err := g.expr(p, nil)
			if err != nil {
				return nil, err
			}
			if shift > 0 {
				x = jen.Parens(x.Op("<<").Lit(shift))
			}
			if out == nil {
				out = x
			} else {
				out = out.Op("|").Add(x)
			}
		}
		return jen.Parens(out), nil
	case term.Op:
		if t.Name == "match" {
			return g.matchCall(t, field)
		}
		if t.Name == "len" && t.Args[0].Kind == term.Param {
			return jen.Uint64().Parens(jen.Len(jen.Id(t.Args[0].Name))), nil
		}
		return g.arith(t)
	}
	return nil, fmt.Errorf("value %s is not known to the driver", t)
}

var goOps = map[string]bool{"+": true, "-": true, "*": true, "/": true, "%": true, "&": true, "|": true, "^": true, "<<": true, ">>": true}

func (g *gen) arith(t *term.T) (*jen.Statement, error) {
	if !goOps[t.Name] || len(t.Args) != 2 {
		return nil, fmt.Errorf("operation %s has no Go form", t.Name)
	}
	var xs [2]*jen.Statement
	for i, a := range t.Args {
		if a.Kind == term.Const {
			xs[i] = g.namedConst(a.Val)
			continue
		}
		if a.Kind == term.Param && a.Width == 0 {
			return nil, fmt.Errorf("buffer %s used as a number", a.Name)
		}
		x, err := g.expr(a, nil)
		if err != nil {
			return nil, err
		}
		xs[i] = x
	}
	return jen.Parens(xs[0].Op(t.Name).Add(xs[1])), nil
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

// matchCall writes a lookup of a class enum through the binding's match as
// a call of a generated helper function.
func (g *gen) matchCall(t *term.T, field *model.Field) (*jen.Statement, error) {
	scrut := t.Args[0]
	if scrut.Kind != term.Param {
		return nil, fmt.Errorf("match over %s", scrut)
	}
	if g.matches == nil {
		g.matches = map[string]matchHelper{}
	}
	name := "valueFor" + strings.ToUpper(scrut.Name[:1]) + scrut.Name[1:]
	if field != nil {
		name = strings.ToLower(field.Reg.Name) + field.Name + "For" + strings.ToUpper(scrut.Name[:1]) + scrut.Name[1:]
	}
	if old, ok := g.matches[name]; ok && old.t.Key() != t.Key() {
		name += fmt.Sprint(len(g.matches))
	}
	g.matches[name] = matchHelper{t: t, param: scrut.Name, field: field}
	return jen.Id(name).Call(jen.Id(scrut.Name)), nil
}

func (g *gen) matchHelpers(f *jen.File) {
	names := make([]string, 0, len(g.matches))
	for n := range g.matches {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h := g.matches[n]
		typ := g.paramType(h.param)
		var cases []jen.Code
		for _, c := range h.t.Cases {
			cases = append(cases, jen.Case(jen.Qual(g.classPkg, typ+c.Label)).Block(jen.Return(g.constFor(c.Result.Val, h.field))))
		}
		cases = append(cases, jen.Default().Block(jen.Panic(jen.Qual("fmt", "Sprintf").Call(jen.Lit("unknown "+typ+" %d"), jen.Id(h.param)))))
		target := "the device's value"
		if h.field != nil {
			target = h.field.Qual()
		}
		f.Commentf("%s maps %s to %s, as the class binding says.", n, h.param, target)
		f.Func().Id(n).Params(jen.Id(h.param).Qual(g.classPkg, typ)).Uint64().Block(jen.Switch(jen.Id(h.param)).Block(cases...))
	}
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

// contractExpr writes a precondition over the method's parameters.
func (g *gen) contractExpr(e *dsl.Expr) (*jen.Statement, error) {
	switch e.Kind {
	case dsl.NumberExpr:
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
		return jen.Op(e.Op).Parens(x), nil
	case dsl.BinaryExpr:
		x, err := g.contractExpr(e.X)
		if err != nil {
			return nil, err
		}
		y, err := g.contractExpr(e.Y)
		if err != nil {
			return nil, err
		}
		return jen.Parens(x.Op(e.Op).Add(y)), nil
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
