package review

import (
	"fmt"
	"sort"
	"strings"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// MaxFSMStates bounds the states DeviceFSM draws, breadth first from
// reset: a picture of more is not read, and Graphviz lays it out slowly.
const MaxFSMStates = 48

// DeviceFSM draws the device's finite state machine as the spec defines
// it: a node per valuation of the finite state the spec declares (and of
// the stored fields that other registers' rules look at), reached
// from reset; an edge per way to leave it: the device's own transitions
// (fair ones solid, others dashed), inputs from outside (dotted), and the
// driver's register accesses (green), each with its spec position. Accesses
// that change nothing the picture shows are left out.
func DeviceFSM(m *model.Model) (*Graph, error) {
	keys := fsmVars(m)
	g := &Graph{Name: m.Name + "_fsm", Title: fmt.Sprintf("%s: the device's state machine, from reset", m.Name)}
	keyOf := func(s *model.State) string {
		parts := make([]string, 0, len(keys))
		for _, i := range keys {
			parts = append(parts, valueText(m.Vars[i], s.Val(i)))
		}
		return strings.Join(parts, "\n")
	}
	// One arrow per pair of states, naming every way across; the device's
	// own moves are drawn as such only when the driver has none there.
	type edgeKey struct{ from, to string }
	labels := map[edgeKey][]string{}
	kinds := map[edgeKey]string{}
	var order []edgeKey
	add := func(from, to, kind, label string) {
		k := edgeKey{from, to}
		if _, ok := labels[k]; !ok {
			order = append(order, k)
			kinds[k] = kind
		}
		if kind == "driver" || (kinds[k] == "unfair" && kind == "fair") {
			kinds[k] = kind
		}
		for _, l := range labels[k] {
			if l == label {
				return
			}
		}
		labels[k] = append(labels[k], label)
	}
	ids := map[string]string{}
	var queue []*model.State
	visit := func(s *model.State) string {
		k := keyOf(s)
		if id, ok := ids[k]; ok {
			return id
		}
		id := fmt.Sprintf("s%d", len(ids))
		ids[k] = id
		kind := "state"
		if len(ids) == 1 {
			kind = "start"
		}
		label := k
		if label == "" {
			label = "(no finite state)"
		}
		g.Nodes = append(g.Nodes, &Node{ID: id, Label: label, Kind: kind})
		queue = append(queue, s)
		return id
	}
	visit(m.Reset())
	truncated := false
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		from := ids[keyOf(s)]
		for _, mv := range fsmMoves(m, s) {
			if keyOf(mv.next) == keyOf(s) {
				continue
			}
			if _, known := ids[keyOf(mv.next)]; !known && len(ids) >= MaxFSMStates {
				truncated = true
				continue
			}
			add(from, visit(mv.next), mv.kind, mv.label)
		}
	}
	for _, k := range order {
		ls := labels[k]
		if len(ls) > 3 {
			ls = append(ls[:2], fmt.Sprintf("(+%d more)", len(ls)-2))
		}
		g.Edges = append(g.Edges, &Edge{From: k.from, To: k.to, Kind: kinds[k], Label: strings.Join(ls, "\n")})
	}
	if truncated {
		g.Note = fmt.Sprintf("(the first %d states from reset, breadth first; the machine has more)", MaxFSMStates)
	}
	return g, nil
}

// fsmVars are the variables a node shows: the finite state declarations,
// and the stored finite fields that something other than their own
// register's handlers looks at (another register's require, a
// transition's guard). Bank conditions only choose what the driver sees,
// so the fields they test are left out.
func fsmVars(m *model.Model) []int {
	watched := map[string]bool{}
	var names func(e *dsl.Expr)
	names = func(e *dsl.Expr) {
		if e == nil {
			return
		}
		if e.Kind == dsl.NameExpr && len(e.Path) == 2 {
			watched[e.Name()] = true
		}
		for _, x := range append([]*dsl.Expr{e.X, e.Y, e.Z}, e.Args...) {
			names(x)
		}
		for _, c := range e.Cases {
			names(c.Value)
		}
	}
	var stmts func(ss []*dsl.Stmt, own string)
	stmts = func(ss []*dsl.Stmt, own string) {
		for _, s := range ss {
			switch {
			case s.Require != nil:
				collectOthers(s.Require.Cond, own, watched)
			case s.If != nil:
				collectOthers(s.If.Cond, own, watched)
				stmts(s.If.Then, own)
				stmts(s.If.Else, own)
			}
		}
	}
	for _, r := range m.Regs {
		stmts(r.OnRead, r.Name)
		stmts(r.OnWrite, r.Name)
	}
	for _, p := range m.Streams {
		stmts(p.OnRead, "")
		stmts(p.OnWrite, "")
	}
	for _, t := range append(append([]*model.Transition{}, m.Internals...), m.Inputs...) {
		names(t.Guard)
		stmts(t.Body, "")
	}
	var out []int
	for i, v := range m.Vars {
		if !v.Finite {
			continue
		}
		if v.Field == nil || watched[v.Name] {
			out = append(out, i)
		}
	}
	return out
}

// collectOthers adds the REG.FIELD names e mentions, except own's.
func collectOthers(e *dsl.Expr, own string, out map[string]bool) {
	if e == nil {
		return
	}
	if e.Kind == dsl.NameExpr && len(e.Path) == 2 && e.Path[0] != own {
		out[e.Name()] = true
	}
	for _, x := range append([]*dsl.Expr{e.X, e.Y, e.Z}, e.Args...) {
		collectOthers(x, own, out)
	}
	for _, c := range e.Cases {
		collectOthers(c.Value, own, out)
	}
}

func valueText(v *model.Var, t *term.T) string {
	if !t.IsConst() {
		return v.Name + "=?"
	}
	if v.Enum != nil {
		for _, mem := range v.Enum.Members {
			if mem.Value == t.Val {
				return v.Name + "=" + mem.Name
			}
		}
	}
	if v.Width == 1 && v.Field == nil {
		if t.Val == 1 {
			return v.Name
		}
		return "!" + v.Name
	}
	return fmt.Sprintf("%s=%d", v.Name, t.Val)
}

type fsmMove struct {
	next  *model.State
	kind  string
	label string
}

// fsmMoves lists the ways out of s: every enabled transition and input,
// every read with a side effect, and writes that change one field at a
// time from what the register holds, where no require forbids them.
func fsmMoves(m *model.Model, s *model.State) []fsmMove {
	var out []fsmMove
	for _, t := range m.Internals {
		if ok, err := m.Enabled(t, s); err != nil || !ok {
			continue
		}
		next, err := m.Fire(t, s, nil)
		if err != nil {
			continue
		}
		kind := "unfair"
		if t.Fair {
			kind = "fair"
		}
		out = append(out, fsmMove{next, kind, fmt.Sprintf("%s (%s)", t.Name, at(t.Pos.Filename, t.Pos.Line))})
	}
	for _, t := range m.Inputs {
		if ok, err := m.Enabled(t, s); err != nil || !ok {
			continue
		}
		if next, err := m.Fire(t, s, nil); err == nil {
			out = append(out, fsmMove{next, "input", fmt.Sprintf("input %s (%s)", t.Name, at(t.Pos.Filename, t.Pos.Line))})
		}
	}
	for _, r := range m.Regs {
		if ok, err := m.Visible(r.Bank, s); err != nil || !ok {
			continue
		}
		pos := at(r.Decl.Pos.Filename, r.Decl.Pos.Line)
		if r.Read && len(r.OnRead) > 0 {
			if _, next, viol, err := m.ReadReg(s, r); err == nil && viol == nil {
				out = append(out, fsmMove{next, "driver", fmt.Sprintf("read %s (%s)", r.Name, pos)})
			}
		}
		if !r.Write {
			continue
		}
		for _, vals := range writeCandidates(r, s) {
			next, viol, err := m.WriteReg(s, r, vals)
			if err != nil || viol != nil {
				continue
			}
			out = append(out, fsmMove{next, "driver", fmt.Sprintf("write %s%s (%s)", r.Name, writeText(r, s, vals), pos)})
		}
	}
	for _, p := range m.Streams {
		if ok, err := m.Visible(p.Bank, s); err != nil || !ok {
			continue
		}
		pos := at(p.Decl.Pos.Filename, p.Decl.Pos.Line)
		buf := term.U("buf", 0)
		if p.Read && len(p.OnRead) > 0 {
			if next, viol, err := m.StreamIO(s, p, true, buf); err == nil && viol == nil {
				out = append(out, fsmMove{next, "driver", fmt.Sprintf("read stream %s (%s)", p.Name, pos)})
			}
		}
		if p.Write && len(p.OnWrite) > 0 {
			if next, viol, err := m.StreamIO(s, p, false, buf); err == nil && viol == nil {
				out = append(out, fsmMove{next, "driver", fmt.Sprintf("write stream %s (%s)", p.Name, pos)})
			}
		}
	}
	return out
}

// writeCandidates are the values to try writing to r in s: what it holds
// (0 for what is not stored), and that with one finite field changed.
func writeCandidates(r *model.Reg, s *model.State) [][]*term.T {
	base := make([]*term.T, len(r.Fields))
	for i, f := range r.Fields {
		switch {
		case f.Stored:
			base[i] = s.Val(f.Var)
		case f.Trigger:
			base[i] = term.C(0, f.Width)
		default:
			base[i] = term.U(f.Qual(), f.Width)
		}
	}
	out := [][]*term.T{base}
	for i, f := range r.Fields {
		if !(f.Trigger || f.W1C || (f.Stored && s.Val(f.Var).IsConst())) {
			continue
		}
		var vals []uint64
		switch {
		case f.Width <= 3:
			for v := uint64(0); v < 1<<uint(f.Width); v++ {
				vals = append(vals, v)
			}
		default:
			vals = []uint64{0, 1}
			if f.Enum != nil {
				for _, mem := range f.Enum.Members {
					vals = append(vals, mem.Value)
				}
			}
		}
		for _, v := range vals {
			if base[i].IsConst() && base[i].Val == v {
				continue
			}
			c := append([]*term.T(nil), base...)
			c[i] = term.C(v, f.Width)
			out = append(out, c)
		}
	}
	return out
}

// writeText names the fields a candidate write changes: " CODE=READ".
func writeText(r *model.Reg, s *model.State, vals []*term.T) string {
	var parts []string
	for i, f := range r.Fields {
		v := vals[i]
		if !v.IsConst() {
			continue
		}
		if f.Stored && s.Val(f.Var).IsConst() && s.Val(f.Var).Val == v.Val {
			continue
		}
		if !f.Stored && v.Val == 0 {
			continue
		}
		text := fmt.Sprint(v.Val)
		if f.Enum != nil {
			for _, mem := range f.Enum.Members {
				if mem.Value == v.Val {
					text = mem.Name
				}
			}
		}
		parts = append(parts, f.Name+"="+text)
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}
