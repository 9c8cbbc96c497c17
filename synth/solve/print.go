package solve

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Dump prints a strategy as an indented tree, for reviews and for
// "drvsynth synth -v".
func (st *Strategy) Dump() string {
	var b strings.Builder
	for i, s := range st.Starts {
		if st.Elem != nil {
			fmt.Fprintf(&b, "element start %d (%d states):\n", i, len(s.B.States))
		}
		st.dumpNode(&b, s, 1, map[*Node]bool{}, st.nextText)
	}
	return b.String()
}

// nextText says which start the element after goal n starts from.
func (st *Strategy) nextText(n *Node) string {
	if idx, ok := st.Next[n]; ok {
		return fmt.Sprintf(" (next element from start %d)", idx)
	}
	return ""
}

// dumpWith prints the strategy from n, each goal followed by next(goal).
func (st *Strategy) dumpWith(n *Node, next func(*Node) string) string {
	var b strings.Builder
	st.dumpNode(&b, n, 1, map[*Node]bool{}, next)
	return b.String()
}

func (st *Strategy) dumpNode(b *strings.Builder, n *Node, depth int, onPath map[*Node]bool, next func(*Node) string) {
	ind := strings.Repeat("  ", depth)
	switch {
	case n.Goal:
		fmt.Fprintf(b, "%sreturn", ind)
		for _, k := range slices.Sorted(maps.Keys(n.Results)) {
			fmt.Fprintf(b, " %s=%s", k, n.Results[k])
		}
		b.WriteString(next(n))
		b.WriteByte('\n')
		return
	case n.Fault != nil:
		fmt.Fprintf(b, "%sfail %s\n", ind, n.Fault.Name)
		return
	case n.Best == nil:
		fmt.Fprintf(b, "%s<no strategy>\n", ind)
		return
	case onPath[n]:
		fmt.Fprintf(b, "%s<cycle>\n", ind)
		return
	}
	onPath[n] = true
	defer delete(onPath, n)
	e := n.Best
	fmt.Fprintf(b, "%s%s\n", ind, e.Act)
	for _, o := range e.Outs {
		if len(e.Outs) > 1 || o.Loop {
			fmt.Fprintf(b, "%s  if %v:", ind, o.Obs)
			if o.Loop {
				fmt.Fprintf(b, " poll again (%d)\n", e.Loop)
				continue
			}
			b.WriteByte('\n')
			st.dumpNode(b, o.Next, depth+2, onPath, next)
			continue
		}
		st.dumpNode(b, o.Next, depth, onPath, next)
	}
}
