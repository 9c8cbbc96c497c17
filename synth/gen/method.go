package gen

import (
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/solve"
	"github.com/drvsynth/drvsynth/synth/term"
)

// fnMode is the kind of function a strategy is written into.
type fnMode int

const (
	wholeMethod fnMode = iota // a method: the goal returns its results
	stepFunc                  // one element of a for-each: returns (next state, [element,] error)
	loopBody                  // one element, written inside the method's loop
	tailFunc                  // a tail several methods share: returns error
)

// fnState is what the generator tracks while writing one function.
type fnState struct {
	mode   fnMode
	method *dsl.Method
	outs   []*dsl.Param // whole method: the results the goal returns
	elem   string       // for-each: the element variable
	over   string       // for-each: the slice
	next   map[*solve.Node]int
	// rel is the state of the step case being written when next states are
	// written relative to it (state + 1), or -1.
	rel int
	// counted, for a for-each whose element states include a counted run:
	// states after the run are written from the bounding constant down.
	counted *solve.Counted
	// declared holds the variables declared in the current block scope.
	declared map[string]bool
	waits    bool
	// status is the most recent read on the path being written, which a
	// fault reports, and its register.
	status    string
	statusReg *model.Reg
	// values names the values computed once at the top: term key -> local.
	values map[string]string
	// regVals names register values built from class enum arguments.
	regVals map[*matcher]string
	// tailRoots, while writing a shared tail: the nodes it stands for.
	tailRoots []*solve.Node
	// checks: the method refuses arguments the device cannot hold.
	checks bool
	// learns: a for-each step depends on what earlier elements showed.
	learns bool
	// seen names, per register whose reads show element faults, the local
	// that keeps the fault bits read for the element (see elemfault.go).
	seen map[*model.Reg]string
	// unreported: a step function met its contract with element faults
	// it cannot report.
	unreported bool
}

// goType is the Go type of a class parameter.
func (g *gen) goType(t *dsl.Type) *jen.Statement {
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

func isUint64(t *dsl.Type) bool {
	w := 64
	switch {
	case t.Slice, t.Bool, t.Named != "":
		return false
	case t.Data != nil:
		w = *t.Data
	case t.Uint != nil:
		w = *t.Uint
	}
	return w > 32
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
	if len(results) > 0 {
		results = append(results, jen.Err().Error())
	} else {
		results = append(results, jen.Error())
	}
	g.fn = &fnState{mode: wholeMethod, method: meth, outs: meth.Results, rel: -1, declared: map[string]bool{}, values: map[string]string{}, regVals: map[*matcher]string{}}
	for _, p := range meth.Params {
		g.fn.declared[p.Name] = true
	}
	for _, r := range meth.Results {
		g.fn.declared[r.Name] = true
	}
	if len(meth.Results) > 0 {
		g.fn.declared["err"] = true // the named result
	}
	var body []jen.Code
	for _, req := range st.Requires {
		cond, err := g.contractExpr(negate(req))
		if err != nil {
			return err
		}
		body = append(body,
			jen.Comment(fmt.Sprintf("The contract requires %s (%s).", dsl.FormatExpr(req), g.at(req.Pos))),
			jen.If(cond).Block(jen.Return(g.zeroResults(jen.Qual("fmt", "Errorf").Call(jen.Lit("%w: "+meth.Name+" requires "+strings.ReplaceAll(dsl.FormatExpr(req), "%", "%%")), jen.Qual(driverPkg, "ErrInvalidArgument"))))),
		)
	}
	if st.Sectors != nil {
		return g.sectorMethod(f, st, params, results, body)
	}
	body = append(body, g.windowChecks(st)...)
	if meth.Name == solve.InitMethod {
		body = append(body, g.identityChecks()...)
	}
	pre, err := g.computeOnce(st)
	if err != nil {
		return err
	}
	body = append(body, pre...)
	newWaiter := jen.Id("w").Op(":=").Qual(driverPkg, "NewWaiter").Call(jen.Id("ctx"), g.busOf(0), jen.Id("d").Dot("timeout"))
	if st.Elem == nil {
		code, err := g.node(st.Starts[0])
		if err != nil {
			return err
		}
		if g.fn.waits {
			body = append(body, newWaiter)
		}
		body = append(body, code...)
		comment(f, g.methodDoc(st))
		f.Func().Params(jen.Id("d").Op("*").Id("Driver")).Id(meth.Name).Params(params...).Params(results...).Block(body...)
		return nil
	}
	return g.forEachMethod(f, st, params, results, body, newWaiter)
}

// negate is the condition under which a precondition fails, written as
// simply as the comparison allows.
func negate(e *dsl.Expr) *dsl.Expr {
	flip := map[string]string{">": "<=", ">=": "<", "<": ">=", "<=": ">", "==": "!=", "!=": "=="}
	if e.Kind == dsl.BinaryExpr && flip[e.Op] != "" {
		n := *e
		n.Op = flip[e.Op]
		// Class values and lengths are never negative: x <= 0 is x == 0.
		if n.Op == "<=" && n.Y.Kind == dsl.NumberExpr && n.Y.Value == 0 {
			n.Op = "=="
		}
		return &n
	}
	if e.Kind == dsl.BinaryExpr && (e.Op == "&&" || e.Op == "||") {
		n := *e
		n.Op = map[string]string{"&&": "||", "||": "&&"}[e.Op]
		n.X, n.Y = negate(e.X), negate(e.Y)
		return &n
	}
	if e.Kind == dsl.UnaryExpr && e.Op == "!" {
		return e.X
	}
	return &dsl.Expr{Kind: dsl.UnaryExpr, Op: "!", X: e, Pos: e.Pos}
}

// forEachMethod writes a method whose contract is per element. When what
// the driver knows between elements makes no difference to the step, the
// step is written inside the method's loop; otherwise a step function
// handles one element from each belief the driver can be in between
// elements, and cases that take the same step share one arm.
func (g *gen) forEachMethod(f *jen.File, st *solve.Strategy, params, results, body []jen.Code, newWaiter jen.Code) error {
	meth := st.Method
	elem := st.Elem
	var over *dsl.Param
	for _, p := range meth.Params {
		if p.Name == elem.Over.Name {
			over = p
		}
	}
	g.fn.elem, g.fn.over = elem.Var, over.Name
	g.fn.next = st.Next
	if over.Out {
		g.fn.outs = []*dsl.Param{{Name: elem.Var, Type: &dsl.Type{Data: intPtr(8)}}}
	} else {
		g.fn.outs = nil
	}
	methodScope := maps.Clone(g.fn.declared)

	// Write every start as a step; equal code means one arm.
	type arm struct {
		states []int
		code   []jen.Code
		key    string
	}
	render := func(i int, rel int) ([]jen.Code, string, error) {
		g.fn.mode, g.fn.rel = stepFunc, rel
		g.fn.declared = maps.Clone(methodScope)
		faults := g.startFaults(st)
		code, err := g.node(st.Starts[i])
		if err != nil {
			return nil, "", err
		}
		code = append(faults, code...)
		return code, fmt.Sprintf("%#v", jen.Block(code...)), nil
	}
	if st.Counted != nil {
		return g.countedMethod(f, st, params, results, body, newWaiter, render)
	}
	var arms []*arm
	byKey := map[string]*arm{}
	for i := range st.Starts {
		code, key, err := render(i, -1)
		if err != nil {
			return err
		}
		if a := byKey[key]; a != nil {
			a.states = append(a.states, i)
			continue
		}
		a := &arm{states: []int{i}, code: code, key: key}
		byKey[key] = a
		arms = append(arms, a)
	}
	if len(arms) == 1 {
		return g.loopMethod(f, st, params, results, body, newWaiter, methodScope)
	}
	if g.fn.unreported {
		return fmt.Errorf("%s: %s: element faults are written only for a method whose step is the same for every element", g.at(meth.Pos), meth.Name)
	}
	// Arms of one state that differ only in which state comes next.
	var merged []*arm
	byRel := map[string]*arm{}
	for _, a := range arms {
		if len(a.states) > 1 {
			merged = append(merged, a)
			continue
		}
		code, key, err := render(a.states[0], a.states[0])
		if err != nil {
			return err
		}
		if b := byRel[key]; b != nil {
			b.states = append(b.states, a.states[0])
			continue
		}
		b := &arm{states: a.states, code: code, key: key}
		byRel[key] = b
		merged = append(merged, b)
	}
	for _, a := range merged {
		if len(a.states) == 1 {
			code, _, err := render(a.states[0], -1)
			if err != nil {
				return err
			}
			a.code = code
		}
	}
	sort.SliceStable(merged, func(i, j int) bool { return merged[i].states[0] < merged[j].states[0] })

	var cases []jen.Code
	for _, a := range merged {
		labels := make([]jen.Code, len(a.states))
		for i, s := range a.states {
			labels[i] = jen.Lit(s)
		}
		cases = append(cases, jen.Case(labels...).Block(append([]jen.Code{jen.Comment(g.armSummary(st, a.states))}, a.code...)...))
	}
	g.stepFunction(f, st, over, params, results, body, newWaiter, jen.Switch(jen.Id("state")).Block(cases...))
	return nil
}

// stepFunction writes a for-each method that keeps the element state the
// driver is in, and the step function that handles one element from it by
// sw, a switch on the state.
func (g *gen) stepFunction(f *jen.File, st *solve.Strategy, over *dsl.Param, params, results, body []jen.Code, newWaiter, sw jen.Code) {
	meth, elem := st.Method, st.Elem
	stepName := lowerFirst(meth.Name) + "Element"
	var loop []jen.Code
	if over.Out {
		loop = []jen.Code{
			jen.List(jen.Id("next"), jen.Id("v"), jen.Err()).Op(":=").Id("d").Dot(stepName).Call(jen.Id("w"), jen.Id("state")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
			jen.List(jen.Id(over.Name).Index(jen.Id("i")), jen.Id("state")).Op("=").List(jen.Id("v"), jen.Id("next")),
		}
	} else {
		loop = []jen.Code{
			jen.List(jen.Id("next"), jen.Err()).Op(":=").Id("d").Dot(stepName).Call(jen.Id("w"), jen.Id("state"), jen.Id(over.Name).Index(jen.Id("i"))),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
			jen.Id("state").Op("=").Id("next"),
		}
	}
	body = append(body, newWaiter,
		jen.Id("state").Op(":=").Lit(0).Comment("what the driver knows between two elements: see "+stepName),
		jen.For(jen.Id("i").Op(":=").Range().Id(over.Name)).Block(loop...),
		jen.Return(jen.Nil()),
	)
	g.fn.learns = true
	comment(f, g.methodDoc(st))
	f.Func().Params(jen.Id("d").Op("*").Id("Driver")).Id(meth.Name).Params(params...).Params(results...).Block(body...)

	stepParams := []jen.Code{jen.Id("w").Op("*").Qual(driverPkg, "Waiter"), jen.Id("state").Int()}
	stepResults := []jen.Code{jen.Int()}
	if over.Out {
		stepResults = append(stepResults, jen.Byte())
	} else {
		stepParams = append(stepParams, jen.Id(elem.Var).Byte())
	}
	stepResults = append(stepResults, jen.Error())
	g.fn.mode = stepFunc
	stepBody := []jen.Code{sw,
		jen.Return(g.stepErr(jen.Qual("fmt", "Errorf").Call(jen.Lit("%w: no element state %d"), jen.Qual(driverPkg, "ErrUnexpected"), jen.Id("state")))...)}
	commentf(f, "%s handles one element of %s, starting from what the driver knows\n(state) and returning what it knows afterwards: %s at most.", stepName, meth.Name, accesses(st.Stats.Rank))
	f.Func().Params(jen.Id("d").Op("*").Id("Driver")).Id(stepName).Params(stepParams...).Params(stepResults...).Block(stepBody...)
}

// countedMethod writes a for-each method whose element states include a
// counted run (solve.Counted): the run is one arm, bounded by the spec's
// constant, and the states after it are named from that constant down, so
// that the code is the same whatever the constant's value.
func (g *gen) countedMethod(f *jen.File, st *solve.Strategy, params, results, body []jen.Code, newWaiter jen.Code, render func(i, rel int) ([]jen.Code, string, error)) error {
	c := st.Counted
	g.fn.counted = c
	defer func() { g.fn.counted = nil }()
	var over *dsl.Param
	for _, p := range st.Method.Params {
		if p.Name == st.Elem.Over.Name {
			over = p
		}
	}
	type arm struct {
		cond    *jen.Statement
		summary string
		code    []jen.Code
	}
	var arms []*arm
	byKey := map[string]*arm{}
	for j := range st.Starts {
		if j > c.First && j <= c.Last {
			continue
		}
		if j == c.First {
			code, _, err := render(j, j)
			if err != nil {
				return err
			}
			// The run's last state is CONST-(below+1).
			below, _ := c.BelowConst(c.Last + 1)
			arms = append(arms, &arm{
				cond:    jen.Id("state").Op(">=").Lit(c.First).Op("&&").Id("state").Op("<").Add(g.constMinus(below)),
				summary: fmt.Sprintf("States %s differ only in %s, which the spec bounds by %s (%s): they take the same step, each handing over to the next.", st.StartLabel(j), c.Var, c.Const, g.constAt(c.Const)),
				code:    code,
			})
			continue
		}
		code, key, err := render(j, -1)
		if err != nil {
			return err
		}
		cond := jen.Id("state").Op("==").Add(g.stateLabel(j))
		if a := byKey[key]; a != nil {
			a.cond = a.cond.Op("||").Add(cond)
			continue
		}
		a := &arm{cond: cond, summary: g.beliefSummary(st.Starts[j].B, st.Starts[0].B), code: code}
		byKey[key] = a
		arms = append(arms, a)
	}
	var cases []jen.Code
	for _, a := range arms {
		cases = append(cases, jen.Case(a.cond).Block(append([]jen.Code{jen.Comment(a.summary)}, a.code...)...))
	}
	g.stepFunction(f, st, over, params, results, body, newWaiter, jen.Switch().Block(cases...))
	return nil
}

// stateLabel writes element state j of a counted strategy: a number below
// the run, the bounding constant minus a number after it.
func (g *gen) stateLabel(j int) jen.Code {
	below, ok := g.fn.counted.BelowConst(j)
	if !ok {
		return jen.Lit(j)
	}
	return g.constMinus(below)
}

// constMinus is the counted run's bounding constant minus n.
func (g *gen) constMinus(n int) *jen.Statement {
	if n == 0 {
		return jen.Id(g.fn.counted.Const)
	}
	return jen.Id(g.fn.counted.Const).Op("-").Lit(n)
}

// loopMethod writes a for-each method whose step is the same from every
// state: the step sits in the method's own loop.
func (g *gen) loopMethod(f *jen.File, st *solve.Strategy, params, results, body []jen.Code, newWaiter jen.Code, scope map[string]bool) error {
	g.fn.mode, g.fn.rel = loopBody, -1
	g.fn.declared = maps.Clone(scope)
	g.fn.declared["i"] = true
	faults := g.startFaults(st)
	code, err := g.node(st.Starts[0])
	if err != nil {
		return err
	}
	code = append(faults, code...)
	if g.fn.waits {
		body = append(body, newWaiter)
	}
	var loop *jen.Statement
	switch {
	case len(g.fn.outs) > 0:
		loop = jen.For(jen.Id("i").Op(":=").Range().Id(g.fn.over)).Block(code...)
	case len(faults) > 0:
		// The faults name the element by its index.
		loop = jen.For(jen.List(jen.Id("i"), jen.Id(g.fn.elem)).Op(":=").Range().Id(g.fn.over)).Block(code...)
	default:
		loop = jen.For(jen.List(jen.Id("_"), jen.Id(g.fn.elem)).Op(":=").Range().Id(g.fn.over)).Block(code...)
	}
	body = append(body, loop, jen.Return(jen.Nil()))
	comment(f, g.methodDoc(st))
	f.Func().Params(jen.Id("d").Op("*").Id("Driver")).Id(st.Method.Name).Params(params...).Params(results...).Block(body...)
	return nil
}

func intPtr(i int) *int { return &i }

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// armSummary describes the states of one arm of a step function.
func (g *gen) armSummary(st *solve.Strategy, states []int) string {
	if len(states) == 1 {
		return g.beliefSummary(st.Starts[states[0]].B, st.Starts[0].B)
	}
	text := "States " + rangesText(states) + " take the same step"
	if states[0] == 0 {
		text += " (0: whatever idle state the device is in)"
	}
	return text + "."
}

// rangesText lists sorted numbers, runs of three or more as "1 to 15".
func rangesText(xs []int) string {
	var parts []string
	for i := 0; i < len(xs); {
		j := i
		for j+1 < len(xs) && xs[j+1] == xs[j]+1 {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, fmt.Sprintf("%d to %d", xs[i], xs[j]))
		default:
			for k := i; k <= j; k++ {
				parts = append(parts, fmt.Sprint(xs[k]))
			}
		}
		i = j + 1
	}
	return listText(parts)
}

// beliefSummary describes a between-elements belief by the finite state
// that sets it apart from the first one.
func (g *gen) beliefSummary(b, first *solve.Belief) string {
	if b == first {
		return "Whatever idle state the device is in."
	}
	var parts []string
	for i, v := range g.m.Vars {
		// A counted run's beliefs were solved with a smaller bound: the
		// values of its counter there are not the device's.
		if !v.Finite || g.fn != nil && g.fn.counted != nil && v.Name == g.fn.counted.Var {
			continue
		}
		vals := distinct(b, i)
		if strings.Join(vals, ",") == strings.Join(distinct(first, i), ",") || len(vals) > 6 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s ∈ {%s}", v.Name, strings.Join(vals, ", ")))
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

// zeroResults returns from a whole method with err.
func (g *gen) zeroResults(err jen.Code) jen.Code {
	var vals []jen.Code
	for range g.fn.method.Results {
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
	switch g.fn.mode {
	case stepFunc:
		return jen.Return(g.stepErr(err)...)
	case tailFunc:
		return jen.Return(err)
	}
	return jen.Return(g.zeroResults(err))
}

// scoped writes code in a nested block: what it declares stays there.
func (g *gen) scoped(write func() ([]jen.Code, error)) ([]jen.Code, error) {
	saved := maps.Clone(g.fn.declared)
	status, statusReg := g.fn.status, g.fn.statusReg
	defer func() {
		g.fn.declared = saved
		g.fn.status, g.fn.statusReg = status, statusReg
	}()
	return write()
}

// node writes the strategy from n on.
func (g *gen) node(n *solve.Node) ([]jen.Code, error) {
	switch {
	case n.Goal:
		return g.finish(n)
	case n.Fault != nil:
		return []jen.Code{g.retErr(g.faultCall(n.Fault))}, nil
	case n.Best == nil:
		return nil, fmt.Errorf("belief %d has no strategy", n.ID)
	}
	if t := g.tailAt(n); t != nil {
		g.fn.waits = true
		t.used = true
		return []jen.Code{jen.Return(jen.Id("d").Dot(t.name).Call(jen.Id("w")))}, nil
	}
	e := n.Best
	switch e.Act.Kind {
	case solve.ActWrite:
		code, err := g.write(e.Act, "")
		if err != nil {
			return nil, err
		}
		rest, err := g.node(e.Outs[0].Next)
		return append(code, rest...), err
	case solve.ActStreamRead, solve.ActStreamWrite:
		code := g.stream(e.Act)
		if len(e.Act.Learn) > 0 {
			code = g.layoutRead(n, e.Act)
		}
		rest, err := g.node(e.Outs[0].Next)
		return append(code, rest...), err
	}
	return g.read(n, e)
}

func (g *gen) finish(n *solve.Node) ([]jen.Code, error) {
	var vals []jen.Code
	switch g.fn.mode {
	case stepFunc:
		next := g.fn.next[n]
		switch {
		case g.fn.counted != nil && g.fn.rel >= 0 && next == g.fn.rel+1:
			vals = append(vals, jen.Id("state").Op("+").Lit(1))
		case g.fn.counted != nil:
			vals = append(vals, g.stateLabel(next))
		case g.fn.rel < 0:
			vals = append(vals, jen.Lit(next))
		case next == g.fn.rel:
			vals = append(vals, jen.Id("state"))
		case next > g.fn.rel:
			vals = append(vals, jen.Id("state").Op("+").Lit(next-g.fn.rel))
		default:
			vals = append(vals, jen.Id("state").Op("-").Lit(g.fn.rel-next))
		}
	case tailFunc:
		return []jen.Code{jen.Comment("The contract holds."), jen.Return(jen.Nil())}, nil
	}
	for _, out := range g.fn.outs {
		t := n.Results[out.Name]
		if t == nil {
			return nil, fmt.Errorf("the strategy does not bind %s", out.Name)
		}
		var x *jen.Statement
		var err error
		if g.fn.mode == wholeMethod && isUint64(out.Type) {
			x, err = g.val(t, true)
		} else {
			x, err = g.valAs(t, g.goType(out.Type))
		}
		if err != nil {
			return nil, err
		}
		vals = append(vals, x)
	}
	if g.fn.mode == loopBody {
		// The element is taken first: a fault is about the byte in it.
		report, err := g.reportFaults()
		if err != nil || len(vals) == 0 {
			return report, err
		}
		return append([]jen.Code{jen.Id(g.fn.over).Index(jen.Id("i")).Op("=").Add(vals[0])}, report...), nil
	}
	if len(g.fn.seen) > 0 {
		if _, err := g.reportFaults(); err != nil {
			return nil, err
		}
	}
	if g.fn.mode == wholeMethod && len(vals) > 1 {
		// Results computed from several values read are one statement
		// each, into the named results, rather than one long return.
		var code []jen.Code
		for i, out := range g.fn.outs {
			if x, ok := vals[i].(*jen.Statement); ok && fmt.Sprintf("%#v", x) == out.Name {
				continue
			}
			code = append(code, jen.Id(out.Name).Op("=").Add(vals[i]))
			vals[i] = jen.Id(out.Name)
		}
		if len(code) > 1 {
			code = append([]jen.Code{jen.Comment("The results, from the values read.")}, code...)
			return append(code, jen.Comment("The contract holds."), jen.Return(append(vals, jen.Nil())...)), nil
		}
	}
	vals = append(vals, jen.Nil())
	return []jen.Code{jen.Comment("The contract holds."), jen.Return(vals...)}, nil
}

func (g *gen) write(a *solve.Action, keepVar string) ([]jen.Code, error) {
	r := a.Reg
	var parts []jen.Code
	var why []string
	byReason := map[string][]string{}
	var reasons []string
	var keep uint64
	var matches []*model.Field
	for i, c := range a.Vals {
		f := r.Fields[i]
		switch {
		case c.Keep && keepVar != "" && c.T.Mentions(term.Read, ""):
			// What the driver knows of the field is what it just read.
			keep |= f.Mask()
		case isMatch(c.T):
			matches = append(matches, f)
		default:
			x, err := g.put(f, c.T)
			if err != nil {
				return nil, err
			}
			if x != nil {
				parts = append(parts, x)
			}
		}
		reason := c.Why
		switch {
		case c.Keep:
			reason = "kept"
		case reason == "" || (c.Keep && c.T.IsConst()):
			if !c.T.IsConst() || c.T.Val != 0 {
				why = append(why, fmt.Sprintf("%s=%s", f.Name, valueText(c.T, f)))
			}
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
	if len(matches) > 0 {
		m := g.matcherFor(a)
		name, ok := g.fn.regVals[m]
		if !ok {
			return nil, fmt.Errorf("%s's value from the class arguments is not computed in this function", r.Name)
		}
		parts = append([]jen.Code{jen.Id(name)}, parts...)
	}
	comment := fmt.Sprintf("Write %s (%s)", r.Name, g.at(r.Decl.Pos))
	if len(why) > 0 {
		comment += ": " + strings.Join(why, "; ")
	}
	var call *jen.Statement
	if keep != 0 && keepVar != "" {
		// The value just read, with every field the write does not keep
		// replaced; Modify writes the register's w1c bits as 0.
		var w1c uint64
		for _, f := range r.Fields {
			if f.W1C {
				w1c |= f.Mask()
			}
		}
		call = jen.Qual(driverPkg, "Modify").Call(g.busOf(r.Region), jen.Id(regConst(r)), jen.Id(hex(^keep&(1<<uint(r.Width)-1))), join(parts), jen.Id(hex(w1c)))
		comment += " (read-modify-write)"
	} else {
		call = jen.Qual(driverPkg, "Write").Call(g.busOf(r.Region), jen.Id(regConst(r)), join(parts))
	}
	return []jen.Code{jen.Comment(comment + "."), call}, nil
}

func isMatch(t *term.T) bool { return t.Kind == term.Op && t.Name == "match" }

// join ORs register values; no parts is 0.
func join(parts []jen.Code) *jen.Statement {
	if len(parts) == 0 {
		return jen.Lit(0)
	}
	v := jen.Add(parts[0])
	for _, p := range parts[1:] {
		v = v.Op("|").Add(p)
	}
	return v
}

func (g *gen) stream(a *solve.Action) []jen.Code {
	s := a.Stream
	method, verb := "WriteStream", "Move %s out through"
	if a.Kind == solve.ActStreamRead {
		method, verb = "ReadStream", "Fill %s from"
	}
	return []jen.Code{
		jen.Comment(fmt.Sprintf(verb+" the %s port (%s).", a.Buf, s.Name, g.at(s.Decl.Pos))),
		g.busOf(s.Region).Dot(method).Call(jen.Id("Stream"+s.Name), jen.Lit(s.Width/8), jen.Id(a.Buf)),
	}
}

// local is the Go name of a read variable: the register's name in lower
// camel case (vCAP_LO is capLo), numbered as the solver numbered it.
func (g *gen) local(readVar string, r *model.Reg) string {
	suffix := strings.TrimPrefix(readVar, "v"+r.Name)
	name := camel(r.Name) + suffix
	if reserved[name] || g.isParam(name) {
		name += "Reg"
	}
	return name
}

func camel(name string) string {
	parts := strings.Split(strings.ToLower(name), "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// reserved are names a local may not take: Go's keywords and predeclared
// names, and the identifiers the generated code uses.
var reserved = map[string]bool{
	"break": true, "case": true, "chan": true, "const": true, "continue": true, "default": true, "defer": true,
	"else": true, "fallthrough": true, "for": true, "func": true, "go": true, "goto": true, "if": true,
	"import": true, "interface": true, "map": true, "package": true, "range": true, "return": true,
	"select": true, "struct": true, "switch": true, "type": true, "var": true, "len": true, "cap": true,
	"new": true, "make": true, "byte": true, "int": true, "error": true, "string": true, "true": true,
	"false": true, "nil": true, "d": true, "w": true, "i": true, "v": true, "err": true, "ctx": true,
	"state": true, "next": true, "bus": true, "driver": true, "fmt": true, "time": true, "context": true,
	"serial": true, "block": true, "rtc": true, "min": true, "max": true, "copy": true,
}

// isParam reports whether name is taken by the method's signature: a
// parameter, a named result (the RTC's month, which its MONTH register's
// local would otherwise shadow), or the element of a for-each.
func (g *gen) isParam(name string) bool {
	for _, ps := range [][]*dsl.Param{g.fn.method.Params, g.fn.method.Results} {
		for _, p := range ps {
			if p.Name == name {
				return true
			}
		}
	}
	return name == g.fn.elem
}

// read writes a register read and what follows from each value it shows.
func (g *gen) read(n *solve.Node, e *solve.Edge) ([]jen.Code, error) {
	a := e.Act
	r := a.Reg
	var loop *solve.Outcome
	var outs []*solve.Outcome
	for _, o := range e.Outs {
		if o.Loop {
			loop = o
		} else {
			outs = append(outs, o)
		}
	}
	sort.SliceStable(outs, func(i, j int) bool { return obsLess(outs[i].Obs, outs[j].Obs) })
	name := g.local(a.ReadVar, r)
	used := len(outs) > 1 || g.varUsedBelow(n, a.ReadVar)
	commentAt := -1 // the read's comment, when it says its value decides
	var plainRead *undoRead

	// A read whose only use is the write right after it, which keeps some
	// of its fields: one read-modify-write.
	if loop == nil && len(outs) == 1 && len(a.Observe) == 0 {
		if nx := outs[0].Next; nx.Best != nil && nx.Best.Act.Kind == solve.ActWrite && nx.Best.Act.Reg == r &&
			keepsFrom(nx.Best.Act, a.ReadVar) && !g.varUsedBelow(nx, a.ReadVar) {
			code, err := g.write(nx.Best.Act, name)
			if err != nil {
				return nil, err
			}
			rest, err := g.node(nx.Best.Outs[0].Next)
			return append(code, rest...), err
		}
	}

	var code []jen.Code
	if loop != nil {
		g.fn.waits = true
		why := g.loopWhy(n, e)
		fn, promise := "Poll", "the device's fair "+why+" ends this wait"
		if strings.Contains(why, ",") {
			promise = "the device's fair " + why + " end this wait"
		}
		if e.Loop == solve.InputLoop {
			fn, promise = "PollInput", "this waits for "+why+" from outside; only ctx ends it"
		}
		mask, while := g.obsMask(a, loop.Obs)
		call := jen.Qual(driverPkg, fn).Call(jen.Id("w"), g.busOf(r.Region), jen.Id(regConst(r)), mask, while)
		if seen := g.fn.seen[r]; len(a.Reports) > 0 && seen != "" {
			// Keep the fault bits of every read the poll discards.
			call = jen.Qual(driverPkg, fn+"Keep").Call(jen.Id("w"), g.busOf(r.Region), jen.Id(regConst(r)), mask, while, faultMask(a), jen.Op("&").Id(seen))
		}
		code = append(code, jen.Comment(fmt.Sprintf("Poll %s (%s) while %s: %s.", r.Name, g.at(r.Decl.Pos), g.obsText(a, loop.Obs), promise)))
		if used {
			op := ":="
			switch {
			case g.fn.declared[name] && g.fn.declared["err"]:
				op = "="
			case g.fn.declared[name]:
				code = append(code, jen.Var().Err().Error())
				op = "="
			}
			g.fn.declared[name], g.fn.declared["err"] = true, true
			code = append(code,
				jen.List(jen.Id(name), jen.Err()).Op(op).Add(call),
				jen.If(jen.Err().Op("!=").Nil()).Block(g.retErr(jen.Err())))
		} else {
			code = append(code, jen.If(jen.List(jen.Id("_"), jen.Err()).Op(":=").Add(call), jen.Err().Op("!=").Nil()).Block(g.retErr(jen.Err())))
		}
	} else {
		comment := fmt.Sprintf("Read %s (%s)", r.Name, g.at(r.Decl.Pos))
		if len(a.Observe) > 0 && len(outs) > 1 {
			commentAt = len(code)
			comment += "; " + g.observedNames(a) + " decide what follows"
		}
		call := jen.Qual(driverPkg, "Read").Call(g.busOf(r.Region), jen.Id(regConst(r)))
		code = append(code, jen.Comment(comment+"."))
		keep := g.keepFaults(a, name)
		used = used || keep != nil
		if commentAt >= 0 && keep == nil && overwrittenNext(outs, a.ReadVar) {
			// If the outcomes turn out to go on the same way, the value is
			// not needed (the next read takes its place): the plain read,
			// and the state to undo the assignment.
			plainRead = &undoRead{at: len(code), call: call, declared: g.fn.declared[name], status: g.fn.status, statusReg: g.fn.statusReg}
		}
		if used {
			op := ":="
			if g.fn.declared[name] {
				op = "="
			}
			g.fn.declared[name] = true
			code = append(code, jen.Id(name).Op(op).Add(call))
		} else {
			code = append(code, call)
		}
		if keep != nil {
			code = append(code, keep)
		}
	}
	if used {
		g.fn.status, g.fn.statusReg = name, r
	}
	if len(outs) == 1 {
		rest, err := g.node(outs[0].Next)
		return append(code, rest...), err
	}
	var cases []jen.Code
	var same []jen.Code // the code every outcome continues with, if one
	for i, o := range outs {
		rest, err := g.scoped(func() ([]jen.Code, error) { return g.node(o.Next) })
		if err != nil {
			return nil, err
		}
		switch {
		case i == 0:
			same = rest
		case same != nil && fmt.Sprintf("%#v", jen.Block(same...)) != fmt.Sprintf("%#v", jen.Block(rest...)):
			same = nil
		}
		cases = append(cases, jen.Case(g.obsCond(a, name, o.Obs)).Block(rest...))
	}
	if same != nil {
		// What the read shows decides nothing here (ATA: the first status
		// read after a command, which only lets the 400 ns pass): every
		// outcome goes on the same way, written once, in this scope.
		if commentAt >= 0 {
			code[commentAt] = jen.Comment(fmt.Sprintf("Read %s (%s); every value it shows goes on the same way.", r.Name, g.at(r.Decl.Pos)))
		}
		if u := plainRead; u != nil {
			code[u.at] = u.call
			g.fn.declared[name] = u.declared
			g.fn.status, g.fn.statusReg = u.status, u.statusReg
		}
		rest, err := g.node(outs[0].Next)
		return append(code, rest...), err
	}
	cases = append(cases, jen.Default().Block(
		g.retErr(jen.Qual("fmt", "Errorf").Call(jen.Lit("%w: "+r.Name+" = %#x"), jen.Qual(driverPkg, "ErrUnexpected"), jen.Id(name))),
	))
	return append(code, jen.Switch().Block(cases...)), nil
}

// overwrittenNext reports whether every outcome's next move is a read into
// the same variable.
func overwrittenNext(outs []*solve.Outcome, readVar string) bool {
	for _, o := range outs {
		if b := o.Next.Best; o.Next.Goal || o.Next.Fault != nil || b == nil || b.Act.Kind != solve.ActRead || b.Act.ReadVar != readVar {
			return false
		}
	}
	return true
}

// undoRead is what turning a read's assignment back into a plain read
// needs: where it is, the call, and the state before it.
type undoRead struct {
	at        int
	call      jen.Code
	declared  bool
	status    string
	statusReg *model.Reg
}

// loopWhy names the transitions that end a poll; in a shared tail, those
// of every method that shares it.
func (g *gen) loopWhy(n *solve.Node, e *solve.Edge) string {
	edges := []*solve.Edge{e}
	for _, root := range g.fn.tailRoots {
		if root == n {
			edges = nil
			for _, r := range g.fn.tailRoots {
				edges = append(edges, r.Best)
			}
		}
	}
	var names []string
	seen := map[string]bool{}
	for _, e := range edges {
		for _, t := range e.LoopWhy {
			s := fmt.Sprintf("%s (%s)", t.Name, g.at(t.Pos))
			if !seen[s] {
				seen[s] = true
				names = append(names, s)
			}
		}
	}
	return strings.Join(names, ", ")
}

func obsLess(a, b []uint64) bool {
	for i := range a {
		if i < len(b) && a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// keepsFrom reports whether a write keeps fields of the value in readVar.
func keepsFrom(a *solve.Action, readVar string) bool {
	for _, c := range a.Vals {
		if c.Keep && c.T.Mentions(term.Read, readVar) {
			return true
		}
	}
	return false
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
		parts[i] = fmt.Sprintf("%s == %s", a.Reg.Fields[fi].Name, valueText(term.C(vals[i], 64), a.Reg.Fields[fi]))
	}
	return strings.Join(parts, " && ")
}

// fieldValue is the register value with v in field f and 0 elsewhere, by
// name where the spec gives one; nil for 0.
func (g *gen) fieldValue(f *model.Field, v uint64) jen.Code {
	if v == 0 {
		if f.Enum != nil {
			for _, mem := range f.Enum.Members {
				if mem.Value == 0 {
					return nil
				}
			}
		}
		return nil
	}
	if f.Enum != nil {
		for _, mem := range f.Enum.Members {
			if mem.Value == v {
				return jen.Id(enumConst(f, mem.Name))
			}
		}
	}
	if f.Width == 1 && v == 1 {
		return jen.Id(fieldConst(f))
	}
	return jen.Qual(driverPkg, "Put").Call(jen.Id(fieldConst(f)), jen.Lit(int(v)))
}

// obsMask is the mask of the observed fields and the value they show.
func (g *gen) obsMask(a *solve.Action, vals []uint64) (jen.Code, jen.Code) {
	var masks, want []jen.Code
	for i, fi := range a.Observe {
		f := a.Reg.Fields[fi]
		masks = append(masks, jen.Id(fieldConst(f)))
		if x := g.fieldValue(f, vals[i]); x != nil {
			want = append(want, x)
		}
	}
	return join(masks), join(want)
}

// obsCond is the Go condition that the value read shows vals in the
// observed fields.
func (g *gen) obsCond(a *solve.Action, name string, vals []uint64) jen.Code {
	if len(a.Observe) == 0 {
		return jen.True()
	}
	if len(a.Observe) == 1 && a.Reg.Fields[a.Observe[0]].Width == 1 {
		op := "!="
		if vals[0] == 0 {
			op = "=="
		}
		return jen.Id(name).Op("&").Id(fieldConst(a.Reg.Fields[a.Observe[0]])).Op(op).Lit(0)
	}
	mask, want := g.obsMask(a, vals)
	if len(a.Observe) > 1 {
		mask = jen.Parens(mask)
	}
	return jen.Id(name).Op("&").Add(mask).Op("==").Add(want)
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

func accesses(n int) string {
	if n == 1 {
		return "1 bus access"
	}
	return fmt.Sprintf("%d bus accesses", n)
}

// constAt is where the spec declares constant name.
func (g *gen) constAt(name string) string {
	for _, it := range g.m.Spec.Device.Device.Items {
		if it.Const != nil && it.Const.Name == name {
			return g.at(it.Const.Pos)
		}
	}
	return name
}
