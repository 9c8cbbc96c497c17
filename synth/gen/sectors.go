package gen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/drvsynth/drvsynth/synth/solve"
)

// sectorMethod writes a method solved as a sector loop (solve.SectorLoop):
// the method checks its contract's requires and calls, once per piece of
// the buffer with the position advanced by one, a function holding the
// one-piece strategy.
func (g *gen) sectorMethod(f *jen.File, st *solve.Strategy, params, results, checks []jen.Code) error {
	meth, sl := st.Method, st.Sectors
	pieceName := lowerFirst(meth.Name) + "Piece"
	var args []jen.Code
	for _, p := range meth.Params {
		switch p.Name {
		case sl.Pos:
			args = append(args, jen.Id(sl.Pos).Op("+").Add(g.goType(p.Type)).Call(jen.Id("i")))
		case sl.Buf:
			args = append(args, jen.Id(sl.Buf).Index(jen.Id("i").Op("*").Lit(sl.Size).Op(":").Parens(jen.Id("i").Op("+").Lit(1)).Op("*").Lit(sl.Size)))
		default:
			args = append(args, jen.Id(p.Name))
		}
	}
	if sl.Bits > 0 && sl.Bits < 64 {
		// The device takes Bits of the position: every piece must fit.
		limit := jen.Lit(1).Op("<<").Lit(sl.Bits)
		checks = append(checks,
			jen.Comment(fmt.Sprintf("The %s takes %d bits of %s: every piece must lie below 1<<%d.", g.m.Name, sl.Bits, sl.Pos, sl.Bits)),
			jen.If(jen.Id(sl.Pos).Op(">=").Add(limit).Op("||").Uint64().Call(jen.Len(jen.Id(sl.Buf)).Op("/").Lit(sl.Size)).Op(">").Add(jen.Lit(1).Op("<<").Lit(sl.Bits)).Op("-").Id(sl.Pos)).Block(
				jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("%%w: %s: %s %%d and %%d pieces reach past 1<<%d", meth.Name, sl.Pos, sl.Bits)), jen.Qual(driverPkg, "ErrInvalidArgument"), jen.Id(sl.Pos), jen.Len(jen.Id(sl.Buf)).Op("/").Lit(sl.Size))),
			),
		)
	}
	body := append(checks,
		jen.Comment(fmt.Sprintf("The %s moves one %d-byte piece per command: one piece at a time.", g.m.Name, sl.Size)),
		jen.For(jen.Id("i").Op(":=").Lit(0), jen.Id("i").Op("<").Len(jen.Id(sl.Buf)).Op("/").Lit(sl.Size), jen.Id("i").Op("++")).Block(
			jen.If(jen.Err().Op(":=").Id("d").Dot(pieceName).Call(append([]jen.Code{jen.Id("ctx")}, args...)...), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
		),
	)
	tailName := lowerFirst(meth.Name) + "Tail"
	if sl.Tail != nil {
		body = append(body,
			jen.Comment("Then, once after the last piece, what the contract lets hold at the end."),
			jen.Return(jen.Id("d").Dot(tailName).Call(jen.Id("ctx"))))
	} else {
		body = append(body, jen.Return(jen.Nil()))
	}
	comment(f, g.methodDoc(st))
	f.Func().Params(jen.Id("d").Op("*").Id("Driver")).Id(meth.Name).Params(params...).Params(results...).Block(body...)

	inner := g.windowChecks(st)
	pre, err := g.computeOnce(st)
	if err != nil {
		return err
	}
	inner = append(inner, pre...)
	code, err := g.node(st.Starts[0])
	if err != nil {
		return err
	}
	if g.fn.waits {
		inner = append(inner, jen.Id("w").Op(":=").Qual(driverPkg, "NewWaiter").Call(jen.Id("ctx"), g.busOf(0), jen.Id("d").Dot("timeout")))
	}
	inner = append(inner, code...)
	commentf(f, "%s is %s for the %d-byte piece of %s at %s: %s at most, besides repeated polls.", pieceName, meth.Name, sl.Size, sl.Buf, sl.Pos, accesses(st.Stats.Rank))
	f.Func().Params(jen.Id("d").Op("*").Id("Driver")).Id(pieceName).Params(params...).Params(results...).Block(inner...)
	if sl.Tail == nil {
		return nil
	}
	return g.sectorTail(f, sl.Tail, tailName, results)
}

// sectorTail writes the strategy a sector loop plays once after its last
// piece (solve.SectorLoop.Tail).
func (g *gen) sectorTail(f *jen.File, ts *solve.Strategy, name string, results []jen.Code) error {
	g.fn = &fnState{mode: wholeMethod, method: ts.Method, rel: -1, declared: map[string]bool{}, values: map[string]string{}, regVals: map[*matcher]string{}}
	code, err := g.node(ts.Starts[0])
	if err != nil {
		return err
	}
	var body []jen.Code
	if g.fn.waits {
		body = append(body, jen.Id("w").Op(":=").Qual(driverPkg, "NewWaiter").Call(jen.Id("ctx"), g.busOf(0), jen.Id("d").Dot("timeout")))
	}
	body = append(body, code...)
	commentf(f, "%s is the end of %s: it returns once %s. On the %s it %s: %s at most%s, besides repeated polls.",
		name, ts.Method.Name, g.tailPromises(ts), g.m.Name, g.stepsText(ts.Starts[0]), accesses(ts.Stats.Rank), g.faultExtra(ts))
	f.Func().Params(jen.Id("d").Op("*").Id("Driver")).Id(name).Params(jen.Id("ctx").Qual("context", "Context")).Params(results...).Block(body...)
	return nil
}

// tailPromises says what a tail's contract promises.
func (g *gen) tailPromises(ts *solve.Strategy) string {
	var out []string
	for _, c := range ts.Method.Clauses {
		if c.Ensures != nil {
			out = append(out, g.promiseText(c.Ensures))
		}
	}
	return strings.Join(out, ", and ")
}
