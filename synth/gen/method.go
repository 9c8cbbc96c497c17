package gen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/solve"
	"github.com/drvsynth/drvsynth/synth/term"
)

// goType is the Go type of a class parameter.
func (g *gen) goType(t *dsl.Type) jen.Code {
	switch {
	case t.Slice:
		return jen.Index().Byte()
	case t.Bool:
		return jen.Bool()
	case t.Named != "":
		return jen.Qual(g.classPkg, t.Named)
	case t.Data != nil:
		return uintType(*t.Data)
	case t.Uint != nil:
		return uintType(*t.Uint)
	}
	return jen.Uint64()
}

func uintType(w int) *jen.Statement {
	switch {
	case w <= 8:
		return jen.Uint8()
	case w <= 16:
		return jen.Uint16()
	case w <= 32:
		return jen.Uint32()
	}
	return jen.Uint64()
}

func (g *gen) method(f *jen.File, st *solve.Strategy) error {
	meth := st.Method
	params := []jen.Code{jen.Id("ctx").Qual("context", "Context")}
	for _, p := range meth.Params {
		params = append(params, jen.Id(p.Name).Add(g.goType(p.Type)))
	}
	var results []jen.Code
	for _, r := range meth.Results {
		results = append(results, jen.Id(r.Name).Add(g.goType(r.Type)))
	}
	results = append(results, jen.Err().Error())

	var body []jen.Code
	for _, req := range st.Requires {
		cond, err := g.contractExpr(req)
		if err != nil {
			return err
		}
		body = append(body,
			jen.Comment(fmt.Sprintf("The contract requires %s (%s).", dsl.FormatExpr(req), g.at(req.Pos))),
			jen.If(jen.Op("!").Parens(cond)).Block(jen.Return(g.zeroResults(meth, jen.Qual("fmt", "Errorf").Call(jen.Lit("%w: "+meth.Name+" requires "+strings.ReplaceAll(dsl.FormatExpr(req), "%", "%%")), jen.Qual(driverPkg, "ErrInvalidArgument"))))),
		)
	}
	checks, err := g.rangeChecks(st)
	if err != nil {
		return err
	}
	body = append(body, checks...)
	newWaiter := jen.Id("w").Op(":=").Qual(driverPkg, "NewWaiter").Call(jen.Id("ctx"), jen.Id("d").Dot(g.busOf(0)), jen.Id("d").Dot("timeout"))

	doc := fmt.Sprintf("%s implements the %s class method of the same name (%s).", meth.Name, g.m.Class, g.at(meth.Pos))
	if st.Elem == nil {
		g.fn = &fnState{method: meth, outs: meth.Results, vars: map[string]bool{}}
		code, err := g.node(st.Starts[0])
		if err != nil {
			return err
		}
		if g.fn.waits {
			body = append(body, newWaiter)
		}
		body = append(body, g.declareVars()...)
		body = append(body, code...)
		comment(f, doc+fmt.Sprintf("\nWorst case: %d bus accesses, not counting repeated polls.", st.Stats.Rank))
		f.Func().Params(jen.Id("d").Op("*").Id("Driver")).Id(meth.Name).Params(params...).Params(results...).Block(body...)
		return nil
	}
	return g.forEachMethod(f, st, params, results, append(body, newWaiter), doc)
}

// forEachMethod writes a method whose contract is per element: the method
// loops over the slice, and a step function handles one element starting
// from each belief the driver can be in between elements.
func (g *gen) forEachMethod(f *jen.File, st *solve.Strategy, params, results []jen.Code, body []jen.Code, doc string) error {
	meth := st.Method
	elem := st.Elem
	var over *dsl.Param
	for _, p := range meth.Params {
		if p.Name == elem.Over.Name {
			over = p
		}
	}
	stepName := strings.ToLower(meth.Name[:1]) + meth.Name[1:] + "Element"
	elemOut := over.Out
	loopBody := []jen.Code{}
	if elemOut {
		loopBody = append(loopBody,
			jen.List(jen.Id("state"), jen.Id(over.Name).Index(jen.Id("i")), jen.Err()).Op("=").Id("d").Dot(stepName).Call(jen.Id("w"), jen.Id("state")),
		)
	} else {
		loopBody = append(loopBody,
			jen.List(jen.Id("state"), jen.Err()).Op("=").Id("d").Dot(stepName).Call(jen.Id("w"), jen.Id("state"), jen.Id(over.Name).Index(jen.Id("i"))),
		)
	}
	loopBody = append(loopBody, jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())))
	body = append(body,
		jen.Comment("state is what the driver knows about the device between two elements."),
		jen.Id("state").Op(":=").Lit(0),
		jen.For(jen.Id("i").Op(":=").Range().Id(over.Name)).Block(loopBody...),
		jen.Return(jen.Nil()),
	)
	f.Comment(doc)
	f.Func().Params(jen.Id("d").Op("*").Id("Driver")).Id(meth.Name).Params(params...).Params(results...).Block(body...)

	g.fn = &fnState{method: meth, step: true, elem: elem.Var, vars: map[string]bool{}, next: map[*solve.Node]int{}}
	if elemOut {
		g.fn.outs = []*dsl.Param{{Name: elem.Var, Type: &dsl.Type{Data: intPtr(8)}}}
	}
	for k, v := range st.Next {
		g.fn.next[k] = v
	}
	var cases []jen.Code
	for i, start := range st.Starts {
		code, err := g.node(start)
		if err != nil {
			return err
		}
		cases = append(cases, jen.Case(jen.Lit(i)).Block(append([]jen.Code{jen.Comment(g.beliefSummary(start.B, st.Starts[0].B))}, code...)...))
	}
	stepParams := []jen.Code{jen.Id("w").Op("*").Qual(driverPkg, "Waiter"), jen.Id("state").Int()}
	stepResults := []jen.Code{jen.Int()}
	if elemOut {
		stepResults = append(stepResults, jen.Byte())
	} else {
		stepParams = append(stepParams, jen.Id(elem.Var).Byte())
	}
	stepResults = append(stepResults, jen.Error())
	stepBody := append(g.declareVars(), jen.Switch(jen.Id("state")).Block(cases...))
	stepBody = append(stepBody, jen.Return(g.stepErr(jen.Qual("fmt", "Errorf").Call(jen.Lit("%w: no element state %d"), jen.Qual(driverPkg, "ErrUnexpected"), jen.Id("state")))...))
	commentf(f, "%s handles one element of %s, starting from what the driver knows\n(state) and returning what it knows afterwards. Worst case per element: %d bus\naccesses, not counting repeated polls.", stepName, meth.Name, st.Stats.Rank)
	f.Func().Params(jen.Id("d").Op("*").Id("Driver")).Id(stepName).Params(stepParams...).Params(stepResults...).Block(stepBody...)
	return nil
}

func intPtr(i int) *int { return &i }

// beliefSummary describes a between-elements belief by the finite state
// that sets it apart from the first one.
func (g *gen) beliefSummary(b, first *solve.Belief) string {
	var parts []string
	for i, v := range g.m.Vars {
		if !v.Finite {
			continue
		}
		vals := distinct(b, i)
		if strings.Join(vals, ",") == strings.Join(distinct(first, i), ",") && b != first {
			continue
		}
		if len(vals) > 6 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s ∈ {%s}", v.Name, strings.Join(vals, ", ")))
	}
	if b == first {
		return "Whatever idle state the device is in."
	}
	if len(parts) == 0 {
		return "The device is as after the previous element."
	}
	return "Known: " + strings.Join(parts, "; ") + "."
}

func distinct(b *solve.Belief, vi int) []string {
	set := map[uint64]bool{}
	for _, s := range b.States {
		if v := s.Val(vi); v.IsConst() {
			set[v.Val] = true
		}
	}
	var vals []uint64
	for v := range set {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = fmt.Sprint(v)
	}
	return out
}

func (g *gen) declareVars() []jen.Code {
	var names []string
	for n := range g.fn.vars {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil
	}
	ids := make([]jen.Code, len(names))
	for i, n := range names {
		ids[i] = jen.Id(n)
	}
	return []jen.Code{jen.Var().List(ids...).Uint64().Comment("values read from the device")}
}

// zeroResults returns from a whole method with err.
func (g *gen) zeroResults(meth *dsl.Method, err jen.Code) jen.Code {
	var vals []jen.Code
	for range meth.Results {
		vals = append(vals, jen.Lit(0))
	}
	return jen.List(append(vals, err)...)
}

func (g *gen) stepErr(err jen.Code) []jen.Code {
	vals := []jen.Code{jen.Lit(0)}
	if len(g.fn.outs) > 0 {
		vals = append(vals, jen.Lit(0))
	}
	return append(vals, err)
}

// retErr returns err from the current function.
func (g *gen) retErr(err jen.Code) jen.Code {
	if g.fn.step {
		return jen.Return(g.stepErr(err)...)
	}
	return jen.Return(g.zeroResults(g.fn.method, err))
}

// node writes the strategy from n on.
func (g *gen) node(n *solve.Node) ([]jen.Code, error) {
	switch {
	case n.Goal:
		return g.finish(n)
	case n.Fault != nil:
		return []jen.Code{
			jen.Comment(fmt.Sprintf("The device shows fault %s (%s).", n.Fault.Name, g.at(n.Fault.Pos))),
			g.retErr(jen.Op("&").Qual(driverPkg, "DeviceError").Values(jen.Dict{
				jen.Id("Device"): jen.Lit(g.m.Name), jen.Id("Fault"): jen.Lit(n.Fault.Name),
				jen.Id("Detail"): jen.Lit(n.Fault.Message), jen.Id("Status"): g.lastRead(),
			})),
		}, nil
	case n.Best == nil:
		return nil, fmt.Errorf("belief %d has no strategy", n.ID)
	}
	e := n.Best
	switch e.Act.Kind {
	case solve.ActWrite:
		code, err := g.write(e.Act)
		if err != nil {
			return nil, err
		}
		rest, err := g.node(e.Outs[0].Next)
		return append(code, rest...), err
	case solve.ActStreamRead, solve.ActStreamWrite:
		code := g.stream(e.Act)
		rest, err := g.node(e.Outs[0].Next)
		return append(code, rest...), err
	}
	return g.read(n, e)
}

// lastRead is the status value a fault reports: the most recent read.
func (g *gen) lastRead() jen.Code {
	if g.fn.lastVar == "" {
		return jen.Lit(0)
	}
	return jen.Id(g.fn.lastVar)
}

func (g *gen) finish(n *solve.Node) ([]jen.Code, error) {
	var vals []jen.Code
	if g.fn.step {
		vals = append(vals, jen.Lit(g.fn.next[n]))
	}
	for _, out := range g.fn.outs {
		t := n.Results[out.Name]
		if t == nil {
			return nil, fmt.Errorf("the strategy does not bind %s", out.Name)
		}
		x, err := g.expr(t, nil)
		if err != nil {
			return nil, err
		}
		if g.fn.step {
			vals = append(vals, jen.Byte().Parens(x))
		} else {
			vals = append(vals, g.goType(out.Type).(*jen.Statement).Clone().Parens(x))
		}
	}
	vals = append(vals, jen.Nil())
	comment := "The contract holds."
	if g.fn.step {
		comment = fmt.Sprintf("This element is done; the next starts from state %d.", g.fn.next[n])
	}
	return []jen.Code{jen.Comment(comment), jen.Return(vals...)}, nil
}

func accessSuffix(width int) string {
	switch {
	case width <= 8:
		return "8"
	case width <= 16:
		return "16"
	}
	return "32"
}

func (g *gen) write(a *solve.Action) ([]jen.Code, error) {
	r := a.Reg
	var parts []jen.Code
	var why []string
	byReason := map[string][]string{}
	var reasons []string
	for i, c := range a.Vals {
		f := r.Fields[i]
		if c.T.IsConst() && c.T.Val == 0 {
			continue
		}
		x, err := g.expr(c.T, f)
		if err != nil {
			return nil, err
		}
		parts = append(parts, jen.Id(fieldVar(f)).Dot("Put").Call(x))
		reason := c.Why
		switch {
		case c.Keep:
			reason = "kept"
		case reason == "":
			why = append(why, fmt.Sprintf("%s=%s", f.Name, valueText(c.T, f)))
			continue
		}
		if _, ok := byReason[reason]; !ok {
			reasons = append(reasons, reason)
		}
		byReason[reason] = append(byReason[reason], f.Name)
	}
	for _, r := range reasons {
		why = append(why, strings.Join(byReason[r], ", ")+": "+r)
	}
	val := jen.Lit(0)
	if len(parts) > 0 {
		val = jen.Add(parts[0])
		for _, p := range parts[1:] {
			val = val.Op("|").Add(p)
		}
	}
	call := jen.Id("d").Dot(g.busOf(r.Region)).Dot("Write"+accessSuffix(r.Width)).Call(jen.Id(regConst(r)), uintType(r.Width).Parens(val))
	comment := fmt.Sprintf("Write %s (%s)", r.Name, g.at(r.Decl.Pos))
	if len(why) > 0 {
		comment += ": " + strings.Join(why, "; ")
	}
	return []jen.Code{jen.Comment(comment + "."), call}, nil
}

func (g *gen) stream(a *solve.Action) []jen.Code {
	s := a.Stream
	method, verb := "WriteStream", "Move %s out through"
	if a.Kind == solve.ActStreamRead {
		method, verb = "ReadStream", "Fill %s from"
	}
	return []jen.Code{
		jen.Comment(fmt.Sprintf(verb+" the %s port (%s).", a.Buf, s.Name, g.at(s.Decl.Pos))),
		jen.Id("d").Dot(g.busOf(s.Region)).Dot(method).Call(jen.Id("Stream"+s.Name), jen.Lit(s.Width/8), jen.Id(a.Buf)),
	}
}

// read writes a register read and what follows from each value it shows.
func (g *gen) read(n *solve.Node, e *solve.Edge) ([]jen.Code, error) {
	a := e.Act
	r := a.Reg
	readCall := jen.Uint64().Parens(jen.Id("d").Dot(g.busOf(r.Region)).Dot("Read" + accessSuffix(r.Width)).Call(jen.Id(regConst(r))))
	used := len(a.Observe) > 0 || g.varUsedBelow(n, a.ReadVar)
	var assign jen.Code
	if used {
		g.fn.vars[a.ReadVar] = true
		assign = jen.Id(a.ReadVar).Op("=").Add(readCall)
	} else {
		assign = jen.Id("_").Op("=").Add(readCall)
	}
	prevLast := g.fn.lastVar
	if used {
		g.fn.lastVar = a.ReadVar
	}
	defer func() { g.fn.lastVar = prevLast }()

	var loop *solve.Outcome
	var outs []*solve.Outcome
	for _, o := range e.Outs {
		if o.Loop {
			loop = o
		} else {
			outs = append(outs, o)
		}
	}
	var code []jen.Code
	if loop != nil {
		g.fn.waits = true
		var names []string
		for _, t := range e.LoopWhy {
			names = append(names, fmt.Sprintf("%s (%s)", t.Name, g.at(t.Pos)))
		}
		waitFn, promise := "Device", "the device's fair "+strings.Join(names, ", ")+" ends this wait"
		if e.Loop == solve.InputLoop {
			waitFn, promise = "Input", "this waits for "+strings.Join(names, ", ")+" from outside; only ctx ends it"
		}
		code = append(code,
			jen.Comment(fmt.Sprintf("Poll %s (%s) while %s: %s.", r.Name, g.at(r.Decl.Pos), g.obsText(a, loop.Obs), promise)),
			jen.For().Block(
				assign,
				jen.If(jen.Op("!").Parens(g.obsCond(a, loop.Obs))).Block(jen.Break()),
				jen.If(jen.Err().Op(":=").Id("w").Dot(waitFn).Call(), jen.Err().Op("!=").Nil()).Block(g.retErr(jen.Err())),
			),
			jen.Id("w").Dot("Done").Call(),
		)
	} else {
		comment := fmt.Sprintf("Read %s (%s)", r.Name, g.at(r.Decl.Pos))
		if len(a.Observe) > 0 {
			comment += "; " + g.observedNames(a) + " decide what follows"
		}
		code = append(code, jen.Comment(comment+"."), assign)
	}
	if len(outs) == 1 {
		rest, err := g.node(outs[0].Next)
		return append(code, rest...), err
	}
	var cases []jen.Code
	for _, o := range outs {
		rest, err := g.node(o.Next)
		if err != nil {
			return nil, err
		}
		cases = append(cases, jen.Case(g.obsCond(a, o.Obs)).Block(rest...))
	}
	cases = append(cases, jen.Default().Block(
		g.retErr(jen.Qual("fmt", "Errorf").Call(jen.Lit("%w: "+r.Name+" = %#x"), jen.Qual(driverPkg, "ErrUnexpected"), jen.Id(a.ReadVar))),
	))
	return append(code, jen.Switch().Block(cases...)), nil
}

func (g *gen) observedNames(a *solve.Action) string {
	names := make([]string, len(a.Observe))
	for i, fi := range a.Observe {
		names[i] = a.Reg.Fields[fi].Name
	}
	return strings.Join(names, ", ")
}

func (g *gen) obsText(a *solve.Action, vals []uint64) string {
	parts := make([]string, len(a.Observe))
	for i, fi := range a.Observe {
		parts[i] = fmt.Sprintf("%s == %d", a.Reg.Fields[fi].Name, vals[i])
	}
	return strings.Join(parts, " && ")
}

// obsCond is the Go condition that the read value shows vals in the
// observed fields.
func (g *gen) obsCond(a *solve.Action, vals []uint64) jen.Code {
	var cond *jen.Statement
	for i, fi := range a.Observe {
		f := a.Reg.Fields[fi]
		c := jen.Id(fieldVar(f)).Dot("Get").Call(jen.Id(a.ReadVar)).Op("==").Add(g.constFor(vals[i], f))
		if cond == nil {
			cond = c
		} else {
			cond = cond.Op("&&").Add(c)
		}
	}
	if cond == nil {
		return jen.True()
	}
	return cond
}

// constFor names a field value by its enum member when it has one.
func (g *gen) constFor(v uint64, f *model.Field) jen.Code {
	if f != nil && f.Enum != nil {
		for _, mem := range f.Enum.Members {
			if mem.Value == v {
				return jen.Id(fieldVar(f) + "_" + mem.Name)
			}
		}
	}
	return jen.Lit(int(v))
}

// varUsedBelow reports whether the strategy from n's best move on uses
// the read variable name.
func (g *gen) varUsedBelow(n *solve.Node, name string) bool {
	seen := map[*solve.Node]bool{}
	var walk func(x *solve.Node) bool
	walk = func(x *solve.Node) bool {
		if seen[x] {
			return false
		}
		seen[x] = true
		if x.Goal {
			for _, t := range x.Results {
				if t.Mentions(term.Read, name) {
					return true
				}
			}
			return false
		}
		if x.Fault != nil {
			return true // reported as the fault's status
		}
		if x.Best == nil {
			return false
		}
		for _, c := range x.Best.Act.Vals {
			if c.T.Mentions(term.Read, name) {
				return true
			}
		}
		for _, o := range x.Best.Outs {
			if !o.Loop && walk(o.Next) {
				return true
			}
		}
		return false
	}
	for _, o := range n.Best.Outs {
		if !o.Loop && walk(o.Next) {
			return true
		}
	}
	return false
}

// valueText names a field value for a comment: by its enum member if the
// field has one.
func valueText(t *term.T, f *model.Field) string {
	if t.IsConst() && f.Enum != nil {
		for _, m := range f.Enum.Members {
			if m.Value == t.Val {
				return m.Name
			}
		}
	}
	return termText(t)
}

var arithOps = map[string]bool{"+": true, "-": true, "*": true, "/": true, "%": true, "<<": true}

// rangeChecks returns the checks that every value the strategy computes from
// the request fits the bits it is written into (a divisor of 16 bits, say):
// a value that does not fit is an invalid argument, never silently cut.
func (g *gen) rangeChecks(st *solve.Strategy) ([]jen.Code, error) {
	seen := map[string]bool{}
	var out []jen.Code
	var visitTerm func(t *term.T) error
	visitTerm = func(t *term.T) error {
		if t.Kind == term.Op && arithOps[t.Name] && t.Width > 0 && t.Width < 64 && !seen[t.Key()] &&
			(st.Elem == nil || !t.Mentions(term.Param, st.Elem.Var)) && !t.Mentions(term.Read, "") {
			seen[t.Key()] = true
			x, err := g.arith(t)
			if err != nil {
				return err
			}
			limit := fmt.Sprintf("%#x", uint64(1)<<uint(t.Width)-1)
			out = append(out,
				jen.Comment(fmt.Sprintf("The device holds this value in %d bits.", t.Width)),
				jen.If(jen.Id("v").Op(":=").Add(x), jen.Id("v").Op(">").Id(limit)).Block(
					jen.Return(g.zeroResults(st.Method, jen.Qual("fmt", "Errorf").Call(
						jen.Lit(fmt.Sprintf("%%w: %s: a device value of %%d does not fit %d bits", st.Method.Name, t.Width)),
						jen.Qual(driverPkg, "ErrInvalidArgument"), jen.Id("v")))),
				),
			)
		}
		for _, a := range t.Args {
			if err := visitTerm(a); err != nil {
				return err
			}
		}
		return nil
	}
	done := map[*solve.Node]bool{}
	var visit func(n *solve.Node) error
	visit = func(n *solve.Node) error {
		if done[n] || n.Best == nil {
			return nil
		}
		done[n] = true
		for _, c := range n.Best.Act.Vals {
			if err := visitTerm(c.T); err != nil {
				return err
			}
		}
		for _, o := range n.Best.Outs {
			if err := visit(o.Next); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range st.Starts {
		if err := visit(s); err != nil {
			return nil, err
		}
	}
	return out, nil
}
