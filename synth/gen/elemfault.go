package gen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/solve"
)

// The faults a class lets a for-each method report about an element (a
// received byte's parity error) are shown by bits the driver reads, and
// reading may clear them. So every read the solver marks as showing them
// keeps those bits in a local (lsrSeen), polls included, and once the
// element has met its contract the method returns the faults the kept bits
// show, for this element: a *driver.ElementError wrapping the class's
// errors (serial.ErrParity).

// faultRegs lists the registers whose reads in st show element faults, in
// the device's register order. They are the strategy's own registers: a
// counted strategy was solved on a model of its own (solve.Counted), so
// they are matched to the device's by name.
func (g *gen) faultRegs(st *solve.Strategy) []*model.Reg {
	byName := map[string]*model.Reg{}
	walkStrategy(st, func(n *solve.Node) {
		if n.Best != nil && len(n.Best.Act.Reports) > 0 {
			byName[n.Best.Act.Reg.Name] = n.Best.Act.Reg
		}
	})
	var out []*model.Reg
	for _, r := range g.m.Regs {
		if sr := byName[r.Name]; sr != nil {
			out = append(out, sr)
		}
	}
	return out
}

// errName is the Go error of class fault f in the class's package: parity
// is ErrParity.
func errName(f *model.ElemFault) string {
	c := camel(f.Name)
	return "Err" + strings.ToUpper(c[:1]) + c[1:]
}

// seenVar is the local that keeps the fault bits read from r.
func seenVar(r *model.Reg) string { return camel(r.Name) + "Seen" }

// faultsFunc is the helper that turns the bits kept from r into the faults
// of method meth.
func faultsFunc(meth *dsl.Method, r *model.Reg) string {
	return lowerFirst(meth.Name) + r.Name + "Faults"
}

// elemFaultsOf are the faults of st shown in r's fields.
func elemFaultsOf(st *solve.Strategy, r *model.Reg) []*model.ElemFault {
	var out []*model.ElemFault
	for _, f := range st.Faults {
		if f.Field.Reg == r {
			out = append(out, f)
		}
	}
	return out
}

// faultMask is the mask of the bits of a that show faults.
func faultMask(a *solve.Action) jen.Code {
	var masks []jen.Code
	for _, f := range a.Reports {
		masks = append(masks, jen.Id(fieldConst(f.Field)))
	}
	return joinOr(masks)
}

func joinOr(xs []jen.Code) jen.Code {
	x := jen.Add(xs[0])
	for _, y := range xs[1:] {
		x = x.Op("|").Add(y)
	}
	return x
}

// startFaults declares, at the start of an element, the locals that keep
// fault bits; it returns nothing for a method without element faults.
func (g *gen) startFaults(st *solve.Strategy) []jen.Code {
	g.fn.seen = map[*model.Reg]string{}
	var code []jen.Code
	for _, r := range g.faultRegs(st) {
		name := seenVar(r)
		g.fn.seen[r] = name
		g.fn.declared[name] = true
		code = append(code, jen.Var().Id(name).Id(r.Name).Comment(fmt.Sprintf("the fault bits of every %s read for this element", r.Name)))
		if g.elemFaultFns == nil {
			g.elemFaultFns = map[string]*elemFaultFn{}
		}
		g.elemFaultFns[faultsFunc(st.Method, r)] = &elemFaultFn{st: st, reg: r}
	}
	return code
}

// keepFaults is the statement after a plain read (into name) that keeps
// the fault bits it showed, or nil.
func (g *gen) keepFaults(a *solve.Action, name string) jen.Code {
	seen := g.fn.seen[a.Reg]
	if len(a.Reports) == 0 || seen == "" {
		return nil
	}
	return jen.Id(seen).Op("|=").Id(name).Op("&").Parens(faultMask(a))
}

// reportFaults returns, once the element met its contract, the faults
// the kept bits show.
func (g *gen) reportFaults() ([]jen.Code, error) {
	if len(g.fn.seen) == 0 {
		return nil, nil
	}
	if g.fn.mode != loopBody {
		// A step function does not know the element's index; the method
		// fails to generate if it needs one (see forEachMethod).
		g.fn.unreported = true
		return nil, nil
	}
	var regs []*model.Reg
	for r := range g.fn.seen {
		regs = append(regs, r)
	}
	sort.Slice(regs, func(i, j int) bool { return regs[i].Name < regs[j].Name })
	var code []jen.Code
	for _, r := range regs {
		code = append(code, jen.If(
			jen.Err().Op(":=").Id("d").Dot(faultsFunc(g.fn.method, r)).Call(jen.Id("i"), jen.Id(g.fn.seen[r])),
			jen.Err().Op("!=").Nil(),
		).Block(jen.Return(g.zeroResults(jen.Err()))))
	}
	return code, nil
}

// elemFaultFn is a helper that decodes the fault bits kept from one
// register for one method.
type elemFaultFn struct {
	st  *solve.Strategy
	reg *model.Reg
}

func (g *gen) writeElemFaults(f *jen.File) {
	var names []string
	for name := range g.elemFaultFns {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fn := g.elemFaultFns[name]
		meth, r := fn.st.Method, fn.reg
		faults := elemFaultsOf(fn.st, r)
		var shown []string
		body := []jen.Code{jen.Var().Id("errs").Index().Error()}
		for _, fl := range faults {
			shown = append(shown, fmt.Sprintf("%s when %s is set (%s)", fl.Name, fl.Field.Name, g.at(fl.BindPos)))
			body = append(body, jen.If(jen.Id("seen").Op("&").Id(fieldConst(fl.Field)).Op("!=").Lit(0)).Block(
				jen.Comment(fmt.Sprintf("%s (%s): %s", fl.Name, g.at(fl.Pos), fl.Message)),
				jen.Id("errs").Op("=").Append(jen.Id("errs"), jen.Qual(g.classPkg, errName(fl))),
			))
		}
		body = append(body,
			jen.If(jen.Len(jen.Id("errs")).Op("==").Lit(0)).Block(jen.Return(jen.Nil())),
			jen.Return(jen.Op("&").Qual(driverPkg, "ElementError").Values(jen.Dict{
				jen.Id("Device"): jen.Lit(g.m.Name), jen.Id("Method"): jen.Lit(meth.Name),
				jen.Id("Index"): jen.Id("index"), jen.Id("Errs"): jen.Id("errs"),
				jen.Id("Reg"): jen.Lit(r.Name), jen.Id("Status"): jen.Uint64().Parens(jen.Id("seen")),
			})))
		commentf(f, "%s returns the faults %s's contract lets it report about element index that the %s bits kept while handling it show: %s; nil when they show none.",
			name, meth.Name, r.Name, listText(shown))
		f.Func().Params(jen.Id("d").Op("*").Id("Driver")).Id(name).Params(jen.Id("index").Int(), jen.Id("seen").Id(r.Name)).Error().Block(body...)
	}
}

// faultsText is what the method doc says about element faults.
func (g *gen) faultsText(st *solve.Strategy) string {
	var parts []string
	for _, r := range g.faultRegs(st) {
		var names []string
		for _, fl := range elemFaultsOf(st, r) {
			names = append(names, fmt.Sprintf("%s (%s.%s)", fl.Field.Name, g.m.Class, errName(fl)))
		}
		parts = append(parts, fmt.Sprintf("%s shows %s", r.Name, orList(names)))
	}
	text := ""
	if len(parts) > 0 {
		text = fmt.Sprintf("When %s while it handles an element, the element is still taken, and the method then returns those errors in a *driver.ElementError with the element's index.", orList(parts))
	}
	// A fault bound to a register the strategy never reads is one this
	// driver cannot see: say so, rather than let it pass unnoticed.
	read := map[*model.Reg]bool{}
	for _, r := range g.faultRegs(st) {
		read[r] = true
	}
	var unseen []string
	for _, fl := range st.Faults {
		if !read[fl.Field.Reg] {
			unseen = append(unseen, fmt.Sprintf("%s (%s.%s)", fl.Name, fl.Field.Reg.Name, fl.Field.Name))
		}
	}
	if len(unseen) > 0 {
		what := "it"
		if len(unseen) > 1 {
			what = "them"
		}
		text = strings.TrimSpace(text + fmt.Sprintf(" It never reads the register that shows %s, so it never reports %s.", listText(unseen), what))
	}
	return text
}

// orList joins xs as "a, b or c".
func orList(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}
