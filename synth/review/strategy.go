package review

import (
	"fmt"
	"sort"
	"strings"

	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/solve"
	"github.com/drvsynth/drvsynth/synth/term"
)

// StrategyGraph draws one method's strategy: a node per belief (what the
// driver knows of the device at that point), an edge per driver access with
// its spec position, one edge per value a read can show, and a dashed loop
// where a poll reads again. A for-each method's element starts are linked
// from the goals that lead to them.
func StrategyGraph(m *model.Model, st *solve.Strategy) *Graph {
	g := &Graph{Name: m.Name + "_" + st.Method.Name, Title: fmt.Sprintf("%s.%s: the synthesized strategy (%s)", m.Name, st.Method.Name, at(st.Method.Pos.Filename, st.Method.Pos.Line))}
	var nodes []*solve.Node
	ids := map[*solve.Node]string{}
	var walk func(n *solve.Node)
	walk = func(n *solve.Node) {
		if _, ok := ids[n]; ok {
			return
		}
		ids[n] = fmt.Sprintf("n%d", len(ids))
		nodes = append(nodes, n)
		if n.Best == nil {
			return
		}
		for _, o := range n.Best.Outs {
			walk(o.Next)
		}
	}
	// A counted run of element states is one node: its first start.
	shown := func(j int) int {
		if c := st.Counted; c != nil && j > c.First && j <= c.Last {
			return c.First
		}
		return j
	}
	for i, s := range st.Starts {
		if shown(i) == i {
			walk(s)
		}
	}
	changing := changingVars(m, nodes)
	if st.Counted != nil {
		// Solved at a cutoff: the counter's values there are not the device's.
		delete(changing, m.Var(st.Counted.Var))
	}
	starts := map[*solve.Node]int{}
	for i, s := range st.Starts {
		if shown(i) == i {
			starts[s] = i
		}
	}
	for _, n := range nodes {
		label, kind := knownText(m, n.B, changing), ""
		if st.Counted != nil {
			// How many states the cutoff's beliefs hold says nothing
			// about the device's.
			_, label, _ = strings.Cut(label, "\n")
		}
		if i, ok := starts[n]; ok {
			kind = "start"
			if st.Elem != nil {
				label = fmt.Sprintf("element state %s\n%s", st.StartLabel(i), label)
			}
		}
		switch {
		case n.Goal:
			kind = "goal"
			label = "contract holds"
			for _, k := range sortedKeys(n.Results) {
				label += fmt.Sprintf("\n%s = %s", k, termText(n.Results[k]))
			}
		case n.Fault != nil:
			kind = "fault"
			label = fmt.Sprintf("fault %s (%s)", n.Fault.Name, at(n.Fault.Pos.Filename, n.Fault.Pos.Line))
		}
		g.Nodes = append(g.Nodes, &Node{ID: ids[n], Label: strings.TrimSpace(label), Kind: kind})
		if n.Goal && st.Elem != nil {
			if next, ok := st.Next[n]; ok {
				g.Edges = append(g.Edges, &Edge{From: ids[n], To: ids[st.Starts[shown(next)]], Label: "next element", Kind: "loop"})
				if c := st.Counted; c != nil && next > c.First && next <= c.Last && c.Last+1 < len(st.Starts) {
					g.Edges = append(g.Edges, &Edge{From: ids[n], To: ids[st.Starts[c.Last+1]], Label: "next element, after the run", Kind: "loop"})
				}
			}
		}
		if n.Best == nil {
			continue
		}
		act := actionText(n.Best.Act)
		for _, o := range n.Best.Outs {
			label := act
			if len(n.Best.Act.Observe) > 0 {
				label += "\n" + obsText(n.Best.Act, o.Obs)
			}
			kind := "driver"
			if o.Loop {
				kind = "loop"
				label += "\npoll again"
			}
			g.Edges = append(g.Edges, &Edge{From: ids[n], To: ids[o.Next], Label: label, Kind: kind})
		}
	}
	return g
}

// changingVars are the finite variables whose value is not the same in
// every belief of the strategy: the ones worth showing.
func changingVars(m *model.Model, nodes []*solve.Node) map[int]bool {
	out := map[int]bool{}
	for i, v := range m.Vars {
		if !v.Finite {
			continue
		}
		seen := map[string]bool{}
		for _, n := range nodes {
			seen[strings.Join(values(n.B, i), ",")] = true
		}
		if len(seen) > 1 {
			out[i] = true
		}
	}
	return out
}

func values(b *solve.Belief, vi int) []string {
	set := map[uint64]bool{}
	unknown := false
	for _, s := range b.States {
		if s.Val(vi).IsConst() {
			set[s.Val(vi).Val] = true
		} else {
			unknown = true
		}
	}
	var vals []uint64
	for v := range set {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	out := make([]string, 0, len(vals)+1)
	for _, v := range vals {
		out = append(out, fmt.Sprint(v))
	}
	if unknown {
		out = append(out, "?")
	}
	return out
}

// knownText is what the driver knows in a belief, in spec names.
func knownText(m *model.Model, b *solve.Belief, vars map[int]bool) string {
	lines := []string{fmt.Sprintf("%d device states", len(b.States))}
	if len(b.States) == 1 {
		lines[0] = "1 device state"
	}
	for i, v := range m.Vars {
		if !vars[i] {
			continue
		}
		vals := values(b, i)
		switch {
		case len(vals) == 1:
			lines = append(lines, valueText(v, b.States[0].Val(i)))
		case len(vals) <= 4:
			lines = append(lines, fmt.Sprintf("%s ∈ {%s}", v.Name, strings.Join(vals, ", ")))
		}
	}
	return strings.Join(lines, "\n")
}

func actionText(a *solve.Action) string {
	switch a.Kind {
	case solve.ActRead:
		return fmt.Sprintf("read %s (%s)", a.Reg.Name, at(a.Reg.Decl.Pos.Filename, a.Reg.Decl.Pos.Line))
	case solve.ActWrite:
		var parts []string
		for i, c := range a.Vals {
			if c.T.IsConst() && c.T.Val == 0 {
				continue
			}
			parts = append(parts, a.Reg.Fields[i].Name+"="+fieldText(a.Reg.Fields[i], c.T))
		}
		text := fmt.Sprintf("write %s (%s)", a.Reg.Name, at(a.Reg.Decl.Pos.Filename, a.Reg.Decl.Pos.Line))
		if len(parts) > 0 {
			text += "\n" + strings.Join(parts, " ")
		}
		return text
	case solve.ActStreamRead:
		return fmt.Sprintf("fill %s from %s (%s)", a.Buf, a.Stream.Name, at(a.Stream.Decl.Pos.Filename, a.Stream.Decl.Pos.Line))
	}
	return fmt.Sprintf("move %s out through %s (%s)", a.Buf, a.Stream.Name, at(a.Stream.Decl.Pos.Filename, a.Stream.Decl.Pos.Line))
}

func obsText(a *solve.Action, vals []uint64) string {
	parts := make([]string, len(a.Observe))
	for i, fi := range a.Observe {
		f := a.Reg.Fields[fi]
		parts[i] = f.Name + "=" + fieldText(f, term.C(vals[i], f.Width))
	}
	return strings.Join(parts, " ")
}

// fieldText names a field's value: an enum member, a number, or the
// expression it is computed by.
func fieldText(f *model.Field, t *term.T) string {
	if t.IsConst() {
		if f.Enum != nil {
			for _, mem := range f.Enum.Members {
				if mem.Value == t.Val {
					return mem.Name
				}
			}
		}
		return fmt.Sprint(t.Val)
	}
	return termText(t)
}

// termText writes a term the way the spec would: baud, lba[31:0],
// BAUD_CLOCK / baud, match bits {...}.
func termText(t *term.T) string {
	switch t.Kind {
	case term.Const:
		return fmt.Sprint(t.Val)
	case term.Param, term.Read, term.Entry:
		return t.Name
	case term.Unknown:
		return "?"
	case term.Slice:
		if t.Hi == t.Lo {
			return fmt.Sprintf("%s[%d]", termText(t.Args[0]), t.Lo)
		}
		return fmt.Sprintf("%s[%d:%d]", termText(t.Args[0]), t.Hi, t.Lo)
	case term.Concat:
		parts := make([]string, len(t.Args))
		for i, a := range t.Args {
			parts[i] = termText(a)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case term.Op:
		switch {
		case t.Name == "match":
			return "match " + termText(t.Args[0])
		case len(t.Args) == 1:
			return t.Name + "(" + termText(t.Args[0]) + ")"
		case len(t.Args) == 2:
			return "(" + termText(t.Args[0]) + " " + t.Name + " " + termText(t.Args[1]) + ")"
		}
	}
	return t.String()
}
