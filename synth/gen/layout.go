package gen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/solve"
)

// layoutRead writes a stream read into a scratch buffer and the layout
// fields the rest of the strategy uses, each decoded from its bytes.
func (g *gen) layoutRead(n *solve.Node, a *solve.Action) []jen.Code {
	s := a.Stream
	lay := a.Learn[0].Layout
	buf := g.scratchLocal(lay)
	code := []jen.Code{
		jen.Comment(fmt.Sprintf("Read one transfer of the %s port (%s) into %s: the %s layout (%s).",
			s.Name, g.at(s.Decl.Pos), buf, lay.Name, g.at(lay.Decl.Pos))),
	}
	if g.fn.declared[buf] {
		code = append(code, jen.Id(buf).Op("=").Index(jen.Lit(s.Size)).Byte().Values())
	} else {
		g.fn.declared[buf] = true
		code = append(code, jen.Var().Id(buf).Index(jen.Lit(s.Size)).Byte())
	}
	code = append(code, g.busOf(s.Region).Dot("ReadStream").Call(jen.Id("Stream"+s.Name), jen.Lit(s.Width/8), jen.Id(buf).Index(jen.Empty(), jen.Empty())))
	for _, lr := range a.Learn {
		if !g.varUsedBelow(n, lr.Var) {
			continue
		}
		f := lr.Field
		order := "little-endian"
		if f.BigEndian {
			order = "big-endian"
		}
		name := g.readLocal(lr.Var)
		op := ":="
		if g.fn.declared[name] {
			op = "="
		}
		g.fn.declared[name] = true
		code = append(code,
			jen.Comment(fmt.Sprintf("%s: bytes %d to %d, %s (%s).", f.Name, f.Offset, f.Offset+f.Bytes-1, order, g.at(f.Decl.Pos))),
			jen.Id(name).Op(op).Add(decodeField(buf, f)))
	}
	return code
}

// decodeField reads a layout field out of buffer buf:
// binary.LittleEndian.Uint32(buf[120:124]) for four bytes, buf[7] for one.
func decodeField(buf string, f *model.LayoutField) *jen.Statement {
	if f.Bytes == 1 {
		return jen.Id(buf).Index(jen.Lit(f.Offset))
	}
	order := "LittleEndian"
	if f.BigEndian {
		order = "BigEndian"
	}
	return jen.Qual("encoding/binary", order).Dot(fmt.Sprintf("Uint%d", 8*f.Bytes)).Call(
		jen.Id(buf).Index(jen.Lit(f.Offset), jen.Lit(f.Offset+f.Bytes)))
}

// scratchLocal is the Go name of a layout's scratch buffer: the layout's
// name in lower camel case (IDENTIFY is identify).
func (g *gen) scratchLocal(l *model.Layout) string {
	name := camel(l.Name)
	if reserved[name] || g.isParam(name) {
		name += "Data"
	}
	return name
}

// layoutLocal is the Go local of a read variable that holds a layout
// field ("vIDENTIFY_LBA28_SECTORS" is identifyLba28Sectors), or "".
func (g *gen) layoutLocal(readVar string) string {
	for _, s := range g.m.Streams {
		for _, l := range s.Layouts {
			for _, f := range l.Fields {
				base := "v" + l.Name + "_" + f.Name
				rest, ok := strings.CutPrefix(readVar, base)
				if !ok || (rest != "" && (rest[0] < '0' || rest[0] > '9')) {
					continue
				}
				name := camel(l.Name+"_"+f.Name) + rest
				if reserved[name] || g.isParam(name) {
					name += "Field"
				}
				return name
			}
		}
	}
	return ""
}
