package gen

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/solve"
	"github.com/drvsynth/drvsynth/synth/term"
)

var arithOps = map[string]bool{"+": true, "-": true, "*": true, "/": true, "%": true, "<<": true}

// walkStrategy calls visit on every node of the strategy once.
func walkStrategy(st *solve.Strategy, visit func(n *solve.Node)) {
	done := map[*solve.Node]bool{}
	var walk func(n *solve.Node)
	walk = func(n *solve.Node) {
		if done[n] {
			return
		}
		done[n] = true
		visit(n)
		if n.Best == nil {
			return
		}
		for _, o := range n.Best.Outs {
			walk(o.Next)
		}
	}
	for _, s := range st.Starts {
		walk(s)
	}
}

// computeOnce writes, at the top of a method, every value the strategy
// computes from the request (a divisor from the baud rate) and every
// register value it builds from class enum arguments, each once, with the
// checks that it fits the device: a value that does not fit is an invalid
// argument, never silently cut. A value the solver derived by inverting
// the device's arithmetic (BCD digits, an offset year) is exact only in a
// range of the request: the method refuses a request outside it first.
func (g *gen) computeOnce(st *solve.Strategy) ([]jen.Code, error) {
	type value struct {
		t      *term.T
		fields []*model.Field
		uses   int
		outer  bool // the whole of a field's value, or a slice of it
	}
	var vals []*value
	byKey := map[string]*value{}
	var matchers []*matcher
	seenM := map[*matcher]bool{}
	ranges := map[string]*solve.ParamRange{}
	rangeFields := map[string][]*model.Field{}
	var rangeOrder []string
	ranged := map[string]bool{} // keys of computations a range check covers
	local := func(t *term.T) bool {
		return !t.Mentions(term.Read, "") && (st.Elem == nil || !t.Mentions(term.Param, st.Elem.Var))
	}
	seenWrite := map[string]bool{}
	walkStrategy(st, func(n *solve.Node) {
		if n.Best == nil || n.Best.Act.Kind != solve.ActWrite {
			return
		}
		a := n.Best.Act
		for i, c := range a.Vals {
			t := c.T
			f := a.Reg.Fields[i]
			if isMatch(t) && c.Range == nil {
				if m := g.matcherFor(a); !seenM[m] {
					seenM[m] = true
					matchers = append(matchers, m)
				}
				continue
			}
			if c.Derived {
				var mark func(t *term.T)
				mark = func(t *term.T) {
					ranged[opKey(t)] = true
					for _, x := range t.Args {
						mark(x)
					}
				}
				mark(t)
			}
			if c.Range != nil {
				r := c.Range
				old := ranges[r.Param]
				if old == nil {
					rangeOrder = append(rangeOrder, r.Param)
					ranges[r.Param] = &solve.ParamRange{Param: r.Param, Lo: r.Lo, Hi: r.Hi}
				} else {
					old.Lo, old.Hi = max(old.Lo, r.Lo), min(old.Hi, r.Hi)
				}
				if !slices.Contains(rangeFields[r.Param], f) {
					rangeFields[r.Param] = append(rangeFields[r.Param], f)
				}
				var mark func(t *term.T)
				mark = func(t *term.T) {
					ranged[opKey(t)] = true
					for _, x := range t.Args {
						mark(x)
					}
				}
				mark(t)
			}
			// One count per field and value: the strategy writes the same
			// value on many paths.
			if k := f.Qual() + "=" + t.Key(); seenWrite[k] {
				continue
			} else {
				seenWrite[k] = true
			}
			// Every computation in the value: the outermost ones (a slice
			// of one, or the digits of a concatenation), and inside them
			// those used more than once, which get a name.
			var visit func(t *term.T, outer bool)
			visit = func(t *term.T, outer bool) {
				if t.Kind == term.Op && arithOps[t.Name] && local(t) {
					k := opKey(t)
					v := byKey[k]
					if v == nil {
						v = &value{t: t}
						byKey[k] = v
						for _, x := range t.Args {
							visit(x, false)
						}
						vals = append(vals, v) // after what it uses
					}
					v.uses++
					v.outer = v.outer || outer
					if !slices.Contains(v.fields, f) {
						v.fields = append(v.fields, f)
					}
					return
				}
				for _, x := range t.Args {
					visit(x, outer && t.Kind != term.Op)
				}
			}
			visit(t, true)
		}
	})
	var out []jen.Code
	for _, p := range rangeOrder {
		r := ranges[p]
		names := make([]string, len(rangeFields[p]))
		for i, f := range rangeFields[p] {
			names[i] = f.Qual()
		}
		where := strings.Join(names, ", ")
		var cond *jen.Statement
		if r.Lo > 0 {
			cond = jen.Id(p).Op("<").Lit(int(r.Lo))
		}
		if hi := paramMax(st, p); r.Hi < hi {
			c := jen.Id(p).Op(">").Lit(int(r.Hi))
			if cond == nil {
				cond = c
			} else {
				cond = cond.Op("||").Add(c)
			}
		}
		if cond == nil {
			continue
		}
		g.fn.checks = true
		out = append(out,
			jen.Comment(fmt.Sprintf("%s reads back as %s only for %s %d-%d.", where, p, p, r.Lo, r.Hi)),
			jen.If(cond).Block(jen.Return(g.zeroResults(jen.Qual("fmt", "Errorf").Call(
				jen.Lit(fmt.Sprintf("%%w: %s: %s = %%d is outside %d-%d, the values %s can hold", st.Method.Name, p, r.Lo, r.Hi, where)),
				jen.Qual(driverPkg, "ErrInvalidArgument"), jen.Id(p))))))
	}
	used := map[string]bool{}
	for _, v := range vals {
		k := opKey(v.t)
		if v.uses < 2 && (!v.outer || ranged[k]) {
			continue // written where it is used
		}
		name := g.valueName(v.fields, used)
		x, err := g.val(v.t, true)
		if err != nil {
			return nil, err
		}
		g.fn.values[k] = name
		g.fn.declared[name] = true
		out = append(out, g.divisorChecks(st, v.t)...)
		out = append(out, jen.Id(name).Op(":=").Add(x))
		out = append(out, g.toleranceCheck(st, v.t, name)...)
		if ranged[k] {
			continue // the range check above keeps it in its field
		}
		limit := uint64(1)<<uint(v.t.Width) - 1
		if b, ok := g.bound(v.t, g.windows(st)); ok && b <= limit {
			continue // it fits whatever the request
		}
		if v.t.Width > 0 && v.t.Width < 64 {
			g.fn.checks = true
			names := make([]string, len(v.fields))
			for i, f := range v.fields {
				names[i] = f.Qual()
			}
			where := strings.Join(names, ", ")
			out = append(out,
				jen.If(jen.Id(name).Op(">").Id(fmt.Sprintf("%#x", uint64(1)<<uint(v.t.Width)-1))).Block(
					jen.Return(g.zeroResults(jen.Qual("fmt", "Errorf").Call(
						jen.Lit(fmt.Sprintf("%%w: %s: %s = %%d does not fit the %d bits of %s", st.Method.Name, name, v.t.Width, where)),
						jen.Qual(driverPkg, "ErrInvalidArgument"), jen.Id(name)))),
				))
		}
	}
	for _, m := range matchers {
		name := camel(m.reg.Name)
		for used[name] || reserved[name] || g.isParam(name) {
			name += "V"
		}
		used[name] = true
		g.fn.regVals[m] = name
		g.fn.declared[name], g.fn.declared["err"] = true, true
		args := make([]jen.Code, len(m.params))
		for i, p := range m.params {
			args[i] = jen.Id(p)
		}
		g.fn.checks = true
		out = append(out,
			jen.List(jen.Id(name), jen.Err()).Op(":=").Id(m.name).Call(args...),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(g.zeroResults(jen.Err()))))
	}
	return out, nil
}

// valueName names a computed value after the fields it goes into: the
// name they share (DIVH and DIVL: div), or the one field's.
func (g *gen) valueName(fields []*model.Field, used map[string]bool) string {
	prefix := fields[0].Name
	for _, f := range fields[1:] {
		for !strings.HasPrefix(f.Name, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	name := camel(strings.TrimRight(prefix, "_"))
	if len(name) < 2 || name == "value" {
		// A field called VALUE says nothing: the register does.
		name = camel(fields[0].Reg.Name) + "Value"
	}
	base := name
	for i := 2; used[name] || reserved[name] || g.isParam(name); i++ {
		name = fmt.Sprintf("%s%d", base, i)
	}
	used[name] = true
	return name
}

// windowChecks refuse a buffer longer than the data window it moves
// through: the bus would cut it silently.
func (g *gen) windowChecks(st *solve.Strategy) []jen.Code {
	var out []jen.Code
	seen := map[string]bool{}
	walkStrategy(st, func(n *solve.Node) {
		if n.Best == nil || (n.Best.Act.Kind != solve.ActStreamRead && n.Best.Act.Kind != solve.ActStreamWrite) {
			return
		}
		a := n.Best.Act
		s := a.Stream
		if !s.Window || s.Size == 0 || seen[a.Buf] {
			return
		}
		seen[a.Buf] = true
		g.fn.checks = true
		size := "Stream" + s.Name + "Size"
		out = append(out,
			jen.Comment(fmt.Sprintf("%s moves through the %s window (%s).", a.Buf, s.Name, g.at(s.Decl.Pos))),
			jen.If(jen.Len(jen.Id(a.Buf)).Op(">").Id(size)).Block(jen.Return(g.zeroResults(
				jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("%%w: %s: %%d bytes do not fit the %d-byte %s window", st.Method.Name, s.Size, s.Name)),
					jen.Qual(driverPkg, "ErrInvalidArgument"), jen.Len(jen.Id(a.Buf)))))))
	})
	return out
}

func (g *gen) constRegs() []*model.Reg { return IdentityRegisters(g.m) }

// IdentityRegisters are the registers that always read a constant the spec
// names (MAGIC = VBLK_MAGIC): read-only, in no bank, without side effects.
// The generated Init reads each first and refuses a device that shows
// anything else.
func IdentityRegisters(m *model.Model) []*model.Reg {
	var out []*model.Reg
	for _, r := range m.Regs {
		if !r.Read || r.Write || r.Bank != nil || len(r.OnRead) > 0 || len(r.Fields) == 0 {
			continue
		}
		ok := true
		for _, f := range r.Fields {
			if f.Value == nil || f.Value.Kind != dsl.NameExpr || f.RC {
				ok = false
				break
			}
			if _, isConst := m.Const(f.Value.Name()); !isConst {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}

// identityChecks read, first thing in Init, every register the spec says
// always reads one of its constants: a device that shows anything else is
// not the device the driver was synthesized for.
func (g *gen) identityChecks() []jen.Code {
	var out []jen.Code
	for _, r := range g.constRegs() {
		var conds []jen.Code
		var says []string
		for _, f := range r.Fields {
			c := f.Value.Name()
			says = append(says, c)
			if f.Lo == 0 && f.Width == r.Width {
				conds = append(conds, jen.Id("v").Op("!=").Id(c))
			} else {
				conds = append(conds, jen.Qual(driverPkg, "Get").Call(jen.Id("v"), jen.Id(fieldConst(f))).Op("!=").Id(c))
			}
		}
		cond := jen.Add(conds[0])
		for _, c := range conds[1:] {
			cond = cond.Op("||").Add(c)
		}
		out = append(out,
			jen.Comment(fmt.Sprintf("%s always reads %s (%s): a device that shows anything else is not the one the spec describes.", r.Name, strings.Join(says, ", "), g.at(r.Decl.Pos))),
			jen.If(jen.Id("v").Op(":=").Qual(driverPkg, "Read").Call(g.busOf(r.Region), jen.Id(regConst(r))), cond).Block(
				jen.Return(g.zeroResults(jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("%%w: %s reads %%#x, not %s: not the %s device its spec describes", r.Name, strings.Join(says, ", "), g.m.Name)), jen.Qual(driverPkg, "ErrUnexpected"), jen.Id("v"))))))
	}
	return out
}

// matcher is a helper that builds the fields of one register that a class
// binding maps from enum arguments (LCR's framing bits from bits, parity
// and stop), and refuses a value outside the enum.
type matcher struct {
	name   string
	reg    *model.Reg
	fields []*model.Field
	terms  []*term.T
	params []string
	why    string
	key    string
}

func (g *gen) matcherFor(a *solve.Action) *matcher {
	m := &matcher{reg: a.Reg}
	var keys []string
	for i, c := range a.Vals {
		if isMatch(c.T) {
			m.fields = append(m.fields, a.Reg.Fields[i])
			m.terms = append(m.terms, c.T)
			keys = append(keys, a.Reg.Fields[i].Name+"="+c.T.Key())
			if m.why == "" {
				m.why = c.Why
			}
		}
	}
	m.key = a.Reg.Name + ":" + strings.Join(keys, ",")
	for _, old := range g.matchers {
		if old.key == m.key {
			return old
		}
	}
	seen := map[string]bool{}
	for _, meth := range g.m.Methods {
		for _, p := range meth.Params {
			for _, t := range m.terms {
				if t.Args[0].Name == p.Name && !seen[p.Name] {
					seen[p.Name] = true
					m.params = append(m.params, p.Name)
				}
			}
		}
	}
	m.name = camel(a.Reg.Name) + "For"
	for _, old := range g.matchers {
		if old.name == m.name {
			m.name += fmt.Sprint(len(g.matchers) + 1)
		}
	}
	g.matchers = append(g.matchers, m)
	return m
}

func (g *gen) writeMatcher(f *jen.File, m *matcher) {
	params := make([]jen.Code, len(m.params))
	body := []jen.Code{jen.Var().Id("v").Id(regType(m.reg))}
	for i, p := range m.params {
		typ := g.paramType(p)
		params[i] = jen.Id(p).Qual(g.classPkg, typ)
		var labels []string
		for j, t := range m.terms {
			if t.Args[0].Name != p {
				continue
			}
			if labels == nil {
				for _, c := range t.Cases {
					labels = append(labels, c.Label)
				}
			}
			_ = j
		}
		var cases []jen.Code
		for _, label := range labels {
			var parts []jen.Code
			for j, t := range m.terms {
				if t.Args[0].Name != p {
					continue
				}
				for _, c := range t.Cases {
					if c.Label == label {
						if x := g.fieldValue(m.fields[j], c.Result.Val); x != nil {
							parts = append(parts, x)
						}
					}
				}
			}
			var stmts []jen.Code
			if len(parts) > 0 {
				stmts = append(stmts, jen.Id("v").Op("|=").Add(join(parts)))
			}
			cases = append(cases, jen.Case(jen.Qual(g.classPkg, typ+label)).Block(stmts...))
		}
		cases = append(cases, jen.Default().Block(jen.Return(jen.Lit(0), jen.Qual("fmt", "Errorf").Call(jen.Lit("%w: "+p+" = %v"), jen.Qual(driverPkg, "ErrInvalidArgument"), jen.Id(p)))))
		body = append(body, jen.Switch(jen.Id(p)).Block(cases...))
	}
	body = append(body, jen.Return(jen.Id("v"), jen.Nil()))
	names := make([]string, len(m.fields))
	for i, fl := range m.fields {
		names[i] = fl.Name
	}
	commentf(f, "%s returns %s's %s for %s, %s; a value outside its\ntype is ErrInvalidArgument.", m.name, m.reg.Name, listText(names), listText(m.params), m.why)
	f.Func().Id(m.name).Params(params...).Params(jen.Id(regType(m.reg)), jen.Error()).Block(body...)
}

func listText(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

func (g *gen) reasonRegs(f *model.Fault) []*model.Reg { return ReasonRegisters(g.m, f) }

// ReasonRegisters are the registers a fault's message names as saying why
// ("ERRCODE says why"), if reading them has no side effect: the generated
// driver reads the first when it reports the fault.
func ReasonRegisters(m *model.Model, f *model.Fault) []*model.Reg {
	var out []*model.Reg
	for _, r := range m.Regs {
		if !r.Read || r.Bank != nil || len(r.OnRead) > 0 {
			continue
		}
		if regexp.MustCompile(`\b` + regexp.QuoteMeta(r.Name) + `\b`).MatchString(f.Message) {
			out = append(out, r)
		}
	}
	return out
}

// faultCall reports fault f through its helper, with the status just read.
func (g *gen) faultCall(f *model.Fault) jen.Code {
	if g.faults == nil {
		g.faults = map[*model.Fault]bool{}
	}
	g.faults[f] = true
	return jen.Id("d").Dot(faultFunc(f)).Call(jen.Uint64().Parens(g.statusExpr()))
}

func (g *gen) statusExpr() jen.Code {
	if g.fn.status == "" {
		return jen.Lit(0)
	}
	return jen.Id(g.fn.status)
}

func faultFunc(f *model.Fault) string { return lowerFirst(camel(f.Name)) + "Fault" }

func (g *gen) writeFault(f *jen.File, fl *model.Fault) {
	dict := jen.Dict{
		jen.Id("Device"): jen.Lit(g.m.Name), jen.Id("Fault"): jen.Lit(fl.Name),
		jen.Id("Detail"): jen.Lit(fl.Message), jen.Id("Status"): jen.Id("status"),
	}
	doc := fmt.Sprintf("%s reports the device's fault %s (%s), shown by status", faultFunc(fl), fl.Name, g.at(fl.Pos))
	var body []jen.Code
	rs := g.reasonRegs(fl)
	if len(rs) > 0 {
		r := rs[0]
		doc += fmt.Sprintf(", with %s, which the fault's message names as the reason", r.Name)
		dict[jen.Id("Reason")] = jen.Lit(r.Name)
		dict[jen.Id("Code")] = jen.Uint64().Parens(jen.Id("code"))
		body = append(body, jen.Id("code").Op(":=").Qual(driverPkg, "Read").Call(g.busOf(r.Region), jen.Id(regConst(r))))
	}
	var enum *model.Field
	if len(rs) > 0 && len(rs[0].Fields) == 1 && rs[0].Fields[0].Enum != nil {
		enum = rs[0].Fields[0]
		doc += fmt.Sprintf(", decoded by the names of %s", enum.Qual())
	}
	commentf(f, "%s.", doc)
	if enum == nil {
		body = append(body, jen.Return(jen.Op("&").Qual(driverPkg, "DeviceError").Values(dict)))
	} else {
		var cases []jen.Code
		for _, mem := range enum.Enum.Members {
			cases = append(cases, jen.Case(jen.Id(enumConst(enum, mem.Name))).Block(jen.Id("e").Dot("CodeName").Op("=").Lit(mem.Name)))
		}
		body = append(body,
			jen.Id("e").Op(":=").Op("&").Qual(driverPkg, "DeviceError").Values(dict),
			jen.Switch(jen.Id("code").Op("&").Id(fieldConst(enum))).Block(cases...),
			jen.Return(jen.Id("e")))
	}
	f.Func().Params(jen.Id("d").Op("*").Id("Driver")).Id(faultFunc(fl)).Params(jen.Id("status").Uint64()).Error().Block(body...)
}

// tail is a piece of strategy several methods end with (wait for STATUS,
// then report the outcome), written once as a helper.
type tail struct {
	name  string
	key   string
	roots []*solve.Node
	used  bool
}

// tailKey describes the strategy from n for comparison, or "" when it
// depends on the request or on what was read before it.
func tailKey(n *solve.Node, depth int) string {
	switch {
	case n.Goal:
		if len(n.Results) > 0 {
			return ""
		}
		return "goal"
	case n.Fault != nil:
		return "fault " + n.Fault.Name
	case n.Best == nil || depth > 64:
		return ""
	}
	e := n.Best
	if e.Act.Kind == solve.ActStreamRead || e.Act.Kind == solve.ActStreamWrite {
		return ""
	}
	for _, c := range e.Act.Vals {
		if !c.T.IsConst() {
			return ""
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s loop%d {", e.Act, e.Loop)
	outs := append([]*solve.Outcome(nil), e.Outs...)
	sort.SliceStable(outs, func(i, j int) bool { return obsLess(outs[i].Obs, outs[j].Obs) })
	for _, o := range outs {
		if o.Loop {
			fmt.Fprintf(&b, "%v: again; ", o.Obs)
			continue
		}
		k := tailKey(o.Next, depth+1)
		if k == "" {
			return ""
		}
		fmt.Fprintf(&b, "%v: %s; ", o.Obs, k)
	}
	b.WriteString("}")
	return b.String()
}

// findTails finds the polls that whole methods without results end with
// in the same way.
func findTails(res *solve.Result) map[string]*tail {
	byKey := map[string]*tail{}
	var order []*tail
	for _, st := range res.Methods {
		if st.Elem != nil || len(st.Method.Results) > 0 {
			continue
		}
		walkStrategy(st, func(n *solve.Node) {
			if n.Best == nil || n.Best.Loop == solve.NoLoop || n == st.Starts[0] {
				return
			}
			k := tailKey(n, 0)
			if k == "" {
				return
			}
			t := byKey[k]
			if t == nil {
				t = &tail{key: k}
				byKey[k] = t
				order = append(order, t)
			}
			t.roots = append(t.roots, n)
		})
	}
	out := map[string]*tail{}
	names := map[string]bool{}
	for _, t := range order {
		if len(t.roots) < 2 {
			continue
		}
		base := "await" + strings.ToUpper(camel(t.roots[0].Best.Act.Reg.Name)[:1]) + camel(t.roots[0].Best.Act.Reg.Name)[1:]
		t.name = base
		for i := 2; names[t.name]; i++ {
			t.name = fmt.Sprintf("%s%d", base, i)
		}
		names[t.name] = true
		out[t.key] = t
	}
	return out
}

// tailAt is the shared tail that starts at n, if any.
func (g *gen) tailAt(n *solve.Node) *tail {
	if g.fn.mode != wholeMethod || len(g.fn.method.Results) > 0 || len(g.tails) == 0 {
		return nil
	}
	for _, t := range g.tails {
		for _, r := range t.roots {
			if r == n {
				return t
			}
		}
	}
	return nil
}

func (g *gen) writeTail(f *jen.File, t *tail) error {
	g.fn = &fnState{mode: tailFunc, method: &dsl.Method{Name: t.name}, rel: -1, declared: map[string]bool{"w": true},
		values: map[string]string{}, regVals: map[*matcher]string{}, tailRoots: t.roots}
	code, err := g.node(t.roots[0])
	if err != nil {
		return err
	}
	var users []string
	seen := map[string]bool{}
	for _, st := range g.res.Methods {
		walkStrategy(st, func(n *solve.Node) {
			for _, r := range t.roots {
				if r == n && !seen[st.Method.Name] {
					seen[st.Method.Name] = true
					users = append(users, st.Method.Name)
				}
			}
		})
	}
	sort.Strings(users)
	commentf(f, "%s is how %s end: %s.", t.name, listText(users), g.stepsText(t.roots[0]))
	f.Func().Params(jen.Id("d").Op("*").Id("Driver")).Id(t.name).Params(jen.Id("w").Op("*").Qual(driverPkg, "Waiter")).Error().Block(code...)
	return nil
}

// helpers writes the functions the methods call: shared tails, the
// register values built from enum arguments, and fault reports.
func (g *gen) helpers(f *jen.File) error {
	var tails []*tail
	for _, t := range g.tails {
		if t.used {
			tails = append(tails, t)
		}
	}
	sort.Slice(tails, func(i, j int) bool { return tails[i].name < tails[j].name })
	for _, t := range tails {
		if err := g.writeTail(f, t); err != nil {
			return err
		}
	}
	for _, m := range g.matchers {
		g.writeMatcher(f, m)
	}
	var faults []*model.Fault
	for fl := range g.faults {
		faults = append(faults, fl)
	}
	sort.Slice(faults, func(i, j int) bool { return faults[i].Name < faults[j].Name })
	for _, fl := range faults {
		g.writeFault(f, fl)
	}
	g.writeElemFaults(f)
	return nil
}

// windows maps each buffer the strategy moves through a data window to the
// window's size, which the method checks first.
func (g *gen) windows(st *solve.Strategy) map[string]uint64 {
	out := map[string]uint64{}
	walkStrategy(st, func(n *solve.Node) {
		if n.Best != nil && n.Best.Act.Stream != nil && n.Best.Act.Stream.Window && n.Best.Act.Stream.Size > 0 {
			out[n.Best.Act.Buf] = uint64(n.Best.Act.Stream.Size)
		}
	})
	return out
}

// bound is the largest value t can take, given the request's types and the
// window checks; ok is false when nothing bounds it.
func (g *gen) bound(t *term.T, windows map[string]uint64) (uint64, bool) {
	switch t.Kind {
	case term.Const:
		return t.Val, true
	case term.Param:
		if t.Width > 0 && t.Width < 64 {
			return uint64(1)<<uint(t.Width) - 1, true
		}
		return 0, false
	case term.Op:
		if t.Name == "len" && t.Args[0].Kind == term.Param {
			w, ok := windows[t.Args[0].Name]
			return w, ok
		}
		if len(t.Args) != 2 {
			return 0, false
		}
		a, okA := g.bound(t.Args[0], windows)
		b, okB := g.bound(t.Args[1], windows)
		switch t.Name {
		case "/":
			if t.Args[1].IsConst() && t.Args[1].Val > 0 {
				return a / t.Args[1].Val, okA
			}
			return a, okA // a divisor is at least 1 (checked)
		case "%":
			if t.Args[1].IsConst() && t.Args[1].Val > 0 {
				return t.Args[1].Val - 1, true
			}
			return a, okA
		case "+":
			return a + b, okA && okB && a+b >= a
		case "-":
			return a, okA
		case "*":
			return a * b, okA && okB && (a == 0 || a*b/a == b)
		}
	}
	return 0, false
}

// divisorChecks refuse a request that would divide by zero, unless a
// precondition already refuses it.
func (g *gen) divisorChecks(st *solve.Strategy, t *term.T) []jen.Code {
	var out []jen.Code
	var visit func(t *term.T)
	visit = func(t *term.T) {
		for _, a := range t.Args {
			visit(a)
		}
		if t.Kind != term.Op || (t.Name != "/" && t.Name != "%") || t.Args[1].IsConst() {
			return
		}
		d := t.Args[1]
		if d.Kind == term.Param {
			for _, r := range st.Requires {
				text := dsl.FormatExpr(r)
				if strings.Contains(text, d.Name+" > 0") || strings.Contains(text, d.Name+" != 0") || strings.Contains(text, d.Name+" >= 1") {
					return
				}
			}
		}
		x, err := g.val(d, true)
		if err != nil {
			return
		}
		g.fn.checks = true
		out = append(out, jen.If(x.Op("==").Lit(0)).Block(jen.Return(g.zeroResults(
			jen.Qual("fmt", "Errorf").Call(jen.Lit(fmt.Sprintf("%%w: %s: %s is 0 and divides", st.Method.Name, termText(d))), jen.Qual(driverPkg, "ErrInvalidArgument"))))))
	}
	visit(t)
	return out
}

// opKey identifies a computation whatever width it is stored in: the
// driver computes in 64 bits, and the checks keep it in its field.
func opKey(t *term.T) string {
	if t.Kind == term.Op && t.Width > 0 && arithOps[t.Name] {
		return term.O(t.Name, 0, t.Args...).Key()
	}
	return t.Key()
}

// paramMax is the largest value parameter p of the method can have.
func paramMax(st *solve.Strategy, p string) uint64 {
	for _, prm := range st.Method.Params {
		if prm.Name == p && prm.Type.Data != nil && *prm.Type.Data < 64 {
			return uint64(1)<<uint(*prm.Type.Data) - 1
		}
	}
	return ^uint64(0)
}

// defaultTolerance is how far, in percent, a value the device can only
// approximate (a baud rate from an integer divisor) may be off when the
// binding does not say (within N%): a UART receiver still reads a 10-bit
// frame 2% off its rate.
const defaultTolerance = 2

// toleranceCheck refuses a request the device can only approximate too
// roughly: a value that divides by a request parameter (a divisor from a
// baud rate) is an integer, and the rate it gives is off by its rounding.
// The check compares it with the same computation in real numbers.
func (g *gen) toleranceCheck(st *solve.Strategy, t *term.T, name string) []jen.Code {
	var p *term.T
	var find func(t *term.T)
	find = func(t *term.T) {
		if t.Kind == term.Op && t.Name == "/" && len(t.Args) == 2 && t.Args[1].Kind == term.Param && t.Args[1].Width > 0 {
			p = t.Args[1]
		}
		for _, a := range t.Args {
			find(a)
		}
	}
	find(t)
	if p == nil {
		return nil
	}
	exact, ok := g.floatVal(t, 0)
	if !ok {
		return nil
	}
	tol, pos := defaultTolerance, ""
	for _, c := range st.Method.Clauses {
		if c.Ensures == nil {
			continue
		}
		names := map[string]bool{}
		collectNames(c.Ensures, names)
		for n := range names {
			if pb := g.m.Bindings[n]; pb != nil {
				pos = g.at(pb.Pos)
				if pb.Within != nil {
					tol = *pb.Within
				}
			}
		}
	}
	if pos == "" {
		return nil // not a value a binding asks for
	}
	g.fn.checks = true
	return []jen.Code{
		jen.Comment(fmt.Sprintf("%s is %s in integers: the device runs within %d%% of the %s asked for (%s), or the request is refused.", name, g.exactText(t, 0), tol, p.Name, pos)),
		jen.If(jen.Id("exact").Op(":=").Add(exact), jen.Qual("math", "Abs").Call(jen.Float64().Parens(jen.Id(name)).Op("-").Id("exact")).Op(">").Id("exact").Op("*").Lit(tol).Op("/").Lit(100)).Block(
			jen.Return(g.zeroResults(jen.Qual("fmt", "Errorf").Call(
				jen.Lit(fmt.Sprintf("%%w: %s: %s = %%d is more than %d%%%% off what %s = %%d gives", st.Method.Name, p.Name, tol, name)),
				jen.Qual(driverPkg, "ErrInvalidArgument"), jen.Id(p.Name), jen.Id(name))))),
	}
}

// floatVal writes t in real numbers: request values as float64, the
// constants untyped, + - * / as they are. prec is the precedence of the
// operator around it (0 at the top).
func (g *gen) floatVal(t *term.T, prec int) (*jen.Statement, bool) {
	switch t.Kind {
	case term.Const:
		return g.namedConst(t.Val), true
	case term.Param:
		return jen.Float64().Parens(jen.Id(t.Name)), true
	case term.Op:
		p, ok := map[string]int{"+": 1, "-": 1, "*": 2, "/": 2}[t.Name]
		if len(t.Args) != 2 || !ok {
			return nil, false
		}
		if x, d, ok := rounding(t); ok {
			// Rounding to the nearest integer is exact division in reals.
			t = term.O("/", 0, x, term.C(d, 0))
		}
		x, ok1 := g.floatVal(t.Args[0], p)
		y, ok2 := g.floatVal(t.Args[1], p+1)
		if !ok1 || !ok2 {
			return nil, false
		}
		out := x.Op(t.Name).Add(y)
		if p < prec {
			out = jen.Parens(out)
		}
		return out, true
	}
	return nil, false
}

// exactText is a computation as a comment shows it.
func (g *gen) exactText(t *term.T, prec int) string {
	switch t.Kind {
	case term.Const:
		return fmt.Sprintf("%#v", g.namedConst(t.Val))
	case term.Param:
		return t.Name
	case term.Op:
		p, ok := map[string]int{"+": 1, "-": 1, "*": 2, "/": 2}[t.Name]
		if len(t.Args) == 2 && ok {
			out := g.exactText(t.Args[0], p) + " " + t.Name + " " + g.exactText(t.Args[1], p+1)
			if p < prec {
				out = "(" + out + ")"
			}
			return out
		}
	}
	return t.String()
}

func collectNames(e *dsl.Expr, out map[string]bool) {
	if e == nil {
		return
	}
	if e.Kind == dsl.NameExpr || e.Kind == dsl.CallExpr {
		out[e.Name()] = true
	}
	for _, x := range []*dsl.Expr{e.X, e.Y, e.Z} {
		collectNames(x, out)
	}
	for _, a := range e.Args {
		collectNames(a, out)
	}
}

// rounding reads t as (x + d/2) / d, x / d rounded to the nearest integer.
func rounding(t *term.T) (*term.T, uint64, bool) {
	if t.Kind != term.Op || t.Name != "/" || len(t.Args) != 2 || !t.Args[1].IsConst() {
		return nil, 0, false
	}
	d, sum := t.Args[1].Val, t.Args[0]
	if d < 2 || sum.Kind != term.Op || sum.Name != "+" || len(sum.Args) != 2 || !sum.Args[1].IsConst() || sum.Args[1].Val != d/2 {
		return nil, 0, false
	}
	return sum.Args[0], d, true
}
