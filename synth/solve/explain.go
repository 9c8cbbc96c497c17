package solve

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// Unrealizable is returned when a method has no winning strategy. It is a
// counterexample as data: why the contract fails where the method starts,
// then the driver's most promising line of play and the device's answers to
// it, each at a spec position. Error renders it in spec notation.
type Unrealizable struct {
	Method *dsl.Method
	// Why says what fails in the belief the method starts from.
	Why []Reason
	// Steps is the driver's best try, move by move; the last step (Stuck)
	// is where it runs out of moves, with its own reasons.
	Steps []Step
}

// Reason is one cause of a loss: a contract clause that does not hold, or
// a require that forbids the write that would have helped.
type Reason struct {
	Pos dsl.Pos
	Msg string
}

// Step is one move of the counterexample.
type Step struct {
	// Move is the driver's action in spec notation ("write CMD CODE=FAST");
	// empty on the closing step.
	Move string
	// Pos is the declaration of the register or stream the move uses.
	Pos dsl.Pos
	// Shows is what the device answers to a read ("STATUS BUSY=1"), if the
	// answer matters.
	Shows string
	// Stuck is set on the closing step: Note says why the play ends there
	// and Why what fails, unless it is what failed at the start.
	Stuck bool
	Note  string
	Why   []Reason
}

func (u *Unrealizable) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: method %s cannot be implemented on this device:\n", posString(u.Method.Pos), u.Method.Name)
	b.WriteString("  where the method starts:\n")
	writeReasons(&b, u.Why)
	if len(u.Steps) == 0 {
		return strings.TrimSuffix(b.String(), "\n")
	}
	if len(u.Steps) == 1 && u.Steps[0].Stuck && len(u.Steps[0].Why) == 0 {
		fmt.Fprintf(&b, "  %s", u.Steps[0].Note)
		return b.String()
	}
	b.WriteString("  the driver's best try, and how the device defeats it:\n")
	for i, s := range u.Steps {
		if s.Stuck {
			fmt.Fprintf(&b, "  %d. %s\n", i+1, s.Note)
			if sameReasons(s.Why, u.Why) {
				b.WriteString("     (for the reasons above)\n")
			} else {
				writeReasons(&b, s.Why)
			}
			continue
		}
		fmt.Fprintf(&b, "  %d. %s (%s)\n", i+1, s.Move, shortPos(s.Pos))
		if s.Shows != "" {
			fmt.Fprintf(&b, "     the device shows %s\n", s.Shows)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func writeReasons(b *strings.Builder, rs []Reason) {
	for _, r := range rs {
		if r.Pos.Line == 0 {
			fmt.Fprintf(b, "     %s\n", r.Msg)
			continue
		}
		fmt.Fprintf(b, "     %s: %s\n", shortPos(r.Pos), r.Msg)
	}
}

func sameReasons(a, b []Reason) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// maxSteps bounds the line of play shown: past a few moves a reader learns
// nothing more from it.
const maxSteps = 4

// counterexample explains why start has no winning strategy: it follows
// the device's spoiling answers to the driver's most promising moves.
func counterexample(meth *dsl.Method, gm *game, start *Node, g *goal) *Unrealizable {
	why, names := explainStuckNames(gm, start, g)
	u := &Unrealizable{Method: meth, Why: why}
	// Moves that change nothing are left out, and so are moves on what the
	// reasons are not about. When that leaves none, that is the finding:
	// the driver's best line of play never reaches the cause.
	var relevant []Step
	moved := false
	end := func(last ...Step) *Unrealizable {
		if len(relevant) == 0 && moved {
			u.Steps = []Step{{Stuck: true, Note: "no move on the driver's most promising line of play touches what these reasons are about"}}
			return u
		}
		u.Steps = append(relevant, last...)
		return u
	}
	seen := map[*Node]bool{}
	n := start
	for moves := 0; len(relevant) < maxSteps && moves < 4*maxSteps && n != nil && !seen[n]; moves++ {
		seen[n] = true
		if len(n.Edges) == 0 {
			return end(Step{Stuck: true, Note: "no driver move is possible here:", Why: explainStuck(gm, n, g)})
		}
		// The move whose losing outcome goes deepest is the driver's best try.
		var bestE *Edge
		var bestO *Outcome
		bestDepth := -1
		for _, e := range n.Edges {
			for _, o := range e.Outs {
				if o.Loop || o.Next.Rank != inf || seen[o.Next] {
					continue
				}
				if d := depthOf(o.Next, map[*Node]bool{}); d > bestDepth {
					bestDepth, bestE, bestO = d, e, o
				}
			}
		}
		if bestE == nil {
			return end(Step{Stuck: true,
				Note: "every move from here leads back to a belief already seen, or loops without fair progress:",
				Why:  explainStuck(gm, n, g)})
		}
		// A move after which the device is in the same states, and the
		// driver knows what it knew, does not matter to the loss.
		if bestO.Next.B.Key() != n.B.Key() {
			moved = true
			if matters(gm, bestE.Act, names) {
				relevant = append(relevant, Step{Move: moveString(bestE.Act), Pos: actPos(bestE.Act), Shows: shows(bestE.Act, bestO)})
			}
		}
		n = bestO.Next
	}
	if n == nil || seen[n] {
		return end()
	}
	return end(Step{Stuck: true, Note: "and so on; after these moves:", Why: explainStuck(gm, n, g)})
}

func depthOf(n *Node, seen map[*Node]bool) int {
	if seen[n] {
		return 0
	}
	seen[n] = true
	d := 0
	for _, e := range n.Edges {
		for _, o := range e.Outs {
			if !o.Loop {
				d = max(d, 1+depthOf(o.Next, seen))
			}
		}
		if d > 50 {
			break
		}
	}
	return d
}

func actPos(a *Action) dsl.Pos {
	switch a.Kind {
	case ActRead, ActWrite:
		return a.Reg.Decl.Pos
	default:
		return a.Stream.Decl.Pos
	}
}

// moveString is a driver move in spec notation: register and field names,
// enum members by name, request parameters by their names.
func moveString(a *Action) string {
	switch a.Kind {
	case ActRead:
		return "read " + a.Reg.Name
	case ActWrite:
		parts := []string{"write " + a.Reg.Name}
		for i, c := range a.Vals {
			parts = append(parts, a.Reg.Fields[i].Name+"="+specTerm(c.T, a.Reg.Fields[i].Enum))
		}
		return strings.Join(parts, " ")
	case ActStreamRead:
		if len(a.Learn) > 0 {
			return fmt.Sprintf("read the %s data from stream %s", a.Learn[0].Layout.Name, a.Stream.Name)
		}
		return fmt.Sprintf("read stream %s into %s", a.Stream.Name, a.Buf)
	default:
		return fmt.Sprintf("write stream %s from %s", a.Stream.Name, a.Buf)
	}
}

// shows is the device's answer to a read, as the fields the driver looked at.
func shows(a *Action, o *Outcome) string {
	if a.Kind != ActRead || len(o.Obs) == 0 {
		return ""
	}
	parts := []string{a.Reg.Name}
	for i, f := range a.Observe {
		fd := a.Reg.Fields[f]
		parts = append(parts, fd.Name+"="+constString(o.Obs[i], fd.Width, fd.Enum))
	}
	return strings.Join(parts, " ")
}

// specTerm writes a symbolic value as the spec would.
func specTerm(t *term.T, enum *model.Enum) string {
	switch t.Kind {
	case term.Const:
		return constString(t.Val, t.Width, enum)
	case term.Param, term.Read, term.Unknown:
		return t.Name
	case term.Entry:
		return "old(" + t.Name + ")"
	case term.Slice:
		if t.Hi == t.Lo {
			return fmt.Sprintf("%s[%d]", specTerm(t.Args[0], nil), t.Hi)
		}
		return fmt.Sprintf("%s[%d:%d]", specTerm(t.Args[0], nil), t.Hi, t.Lo)
	case term.Concat:
		parts := make([]string, len(t.Args))
		for i, a := range t.Args {
			parts[i] = specTerm(a, nil)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case term.Op:
		if len(t.Cases) > 0 && len(t.Args) == 1 {
			arms := make([]string, len(t.Cases))
			for i, c := range t.Cases {
				arms[i] = c.Label + " => " + specTerm(c.Result, enum)
			}
			return "match " + specTerm(t.Args[0], nil) + " { " + strings.Join(arms, ", ") + " }"
		}
		if len(t.Args) == 2 {
			return "(" + specTerm(t.Args[0], nil) + " " + t.Name + " " + specTerm(t.Args[1], nil) + ")"
		}
		parts := make([]string, len(t.Args))
		for i, a := range t.Args {
			parts[i] = specTerm(a, nil)
		}
		return t.Name + "(" + strings.Join(parts, ", ") + ")"
	}
	return t.String()
}

// constString writes a value by its enum member's name when it has one, a
// bit or an unsized number (115200) in decimal, and register bits in hex
// from 10 up.
func constString(v uint64, width int, enum *model.Enum) string {
	if enum != nil {
		for _, m := range enum.Members {
			if m.Value == v {
				return m.Name
			}
		}
	}
	if v < 10 || width <= 1 { // unsized: a number from the spec's arithmetic
		return strconv.FormatUint(v, 10)
	}
	return "0x" + strconv.FormatUint(v, 16)
}

// explainStuck says which parts of the goal fail in a belief, and which
// requires forbid the writes that might have helped.
func explainStuck(gm *game, n *Node, g *goal) []Reason {
	rs, _ := explainStuckNames(gm, n, g)
	return rs
}

// explainStuckNames is explainStuck, with the device names (state
// variables, registers, REG.FIELD) the reasons are about.
func explainStuckNames(gm *game, n *Node, g *goal) ([]Reason, map[string]bool) {
	var out []Reason
	names := map[string]bool{}
	for _, e := range g.ensures {
		for _, s := range n.B.States {
			ok, err := g.eval(gm.m, g.clauseOf(gm.m, e), s, map[string]*term.T{})
			if err == nil && !ok {
				msg := fmt.Sprintf("the contract clause %s does not hold in a state the device may be in", dsl.FormatExpr(e))
				if parts := falseParts(gm, g, e, n.B.States); len(parts) > 0 {
					msg += ": in the device's binding, " + andList(parts) + " false there"
				}
				out = append(out, Reason{e.Pos, msg})
				// The clause is about class predicates; the device's
				// binding says which of its names they look at.
				exprNames(e, "", func(name string) {
					if b := gm.m.Bindings[name]; b != nil {
						exprNames(b.Body, "", func(n string) { names[n] = true })
					}
				})
				break
			}
		}
	}
	// The writes the goal needs, and the requires that forbid them.
	for _, r := range gm.m.Regs {
		if !r.Write || !gm.wanted(r) {
			continue
		}
		vis, _ := gm.visibleInAll(r.Bank, n.B)
		if !vis {
			out = append(out, Reason{r.Bank.Pos, fmt.Sprintf("%s, which the goal needs written, may be hidden: its bank condition %s may be false",
				r.Name, dsl.FormatExpr(r.Bank))})
			names[r.Name] = true
			exprNames(r.Bank, "", func(n string) { names[n] = true })
			continue
		}
		vals := make([]*term.T, len(r.Fields))
		for i, f := range r.Fields {
			vals[i] = term.C(f.Reset, f.Width)
			if cs := gm.candidates(f, n.B); len(cs) > 0 {
				vals[i] = cs[0].T
			}
		}
		for _, s := range n.B.States {
			if _, viol, err := gm.m.WriteReg(s, r, vals); err == nil && viol != nil {
				msg := fmt.Sprintf("writing %s breaks require %s in a state the device may be in", r.Name, dsl.FormatExpr(viol.Require.Cond))
				if viol.Require.Message != nil {
					msg += fmt.Sprintf(" (%q)", *viol.Require.Message)
				}
				out = append(out, Reason{viol.Require.Pos, msg})
				names[r.Name] = true
				exprNames(viol.Require.Cond, r.Name, func(n string) { names[n] = true })
				break
			}
		}
	}
	if g.idle != nil {
		out = append(out, Reason{Msg: "the method must also end in a state other methods can start from"})
	}
	return out, names
}

// falseParts lists the conjuncts of the bindings a contract clause names
// that are false in some of states: which part of "ready = started &&
// !busy" the device withholds. A binding of one term, or with parameters,
// says nothing the clause does not.
func falseParts(gm *game, g *goal, clause *dsl.Expr, states []*model.State) []string {
	var parts []string
	exprNames(clause, "", func(name string) {
		b := gm.m.Bindings[name]
		if b == nil || len(b.Params) > 0 {
			return
		}
		conj := conjuncts(b.Body)
		if len(conj) < 2 {
			return
		}
		for _, c := range conj {
			for _, s := range states {
				v, err := gm.m.Eval(c, s, g.env())
				if err == nil && v.IsConst() && !v.IsTrue() {
					parts = append(parts, dsl.FormatExpr(c))
					break
				}
			}
		}
	})
	return parts
}

// andList joins items as a sentence's subject: "a is", "a and b are".
func andList(items []string) string {
	if len(items) == 1 {
		return items[0] + " is"
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1] + " are"
}

// exprNames calls f with every name e mentions: state variables,
// registers, REG.FIELD (a bare field name inside register reg qualified),
// predicates and events.
func exprNames(e *dsl.Expr, reg string, f func(string)) {
	if e == nil {
		return
	}
	if e.Kind == dsl.NameExpr || e.Kind == dsl.CallExpr {
		name := e.Name()
		f(name)
		if len(e.Path) > 1 {
			f(e.Path[0])
		} else if reg != "" {
			f(reg + "." + name)
		}
	}
	for _, x := range []*dsl.Expr{e.X, e.Y, e.Z} {
		exprNames(x, reg, f)
	}
	for _, a := range e.Args {
		exprNames(a, reg, f)
	}
	for _, c := range e.Cases {
		exprNames(c.Value, reg, f)
	}
}

// assigns reports whether statements assign a name in names.
func assigns(ss []*dsl.Stmt, reg string, names map[string]bool) bool {
	for _, s := range ss {
		switch {
		case s.Assign != nil:
			t := strings.Join(s.Assign.Target.Parts, ".")
			if names[t] || reg != "" && names[reg+"."+t] {
				return true
			}
		case s.If != nil:
			if assigns(s.If.Then, reg, names) || assigns(s.If.Else, reg, names) {
				return true
			}
		}
	}
	return false
}

// matters reports whether a driver move touches what a loss is about: a
// register the reasons name or the goal wants written, a field they name,
// a read of a field computed from a name they mention, or a handler that
// assigns one.
func matters(gm *game, a *Action, names map[string]bool) bool {
	if a.Kind != ActRead && a.Kind != ActWrite {
		return true
	}
	r := a.Reg
	if names[r.Name] || a.Kind == ActWrite && gm.wanted(r) {
		return true
	}
	for _, f := range r.Fields {
		if names[f.Qual()] {
			return true
		}
	}
	if a.Kind == ActRead {
		for _, i := range a.Observe {
			found := false
			exprNames(r.Fields[i].Value, r.Name, func(n string) { found = found || names[n] })
			if found {
				return true
			}
		}
		return assigns(r.OnRead, r.Name, names)
	}
	return assigns(r.OnWrite, r.Name, names)
}
