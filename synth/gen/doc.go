package gen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/solve"
)

// methodDoc says what a method does on this device: the contract's
// promise in the class spec's own words, then the strategy (the accesses,
// the waits, the worst case), then what it refuses.
func (g *gen) methodDoc(st *solve.Strategy) string {
	meth := st.Method
	var promises []string
	var visit func(cs []*dsl.Clause, prefix string)
	visit = func(cs []*dsl.Clause, prefix string) {
		for _, c := range cs {
			switch {
			case c.Ensures != nil:
				promises = append(promises, prefix+g.promiseText(c.Ensures))
			case c.For != nil:
				visit(c.For.Clauses, fmt.Sprintf("for each %s of %s, ", c.For.Var, c.For.Over.Name))
			}
		}
	}
	visit(meth.Clauses, "")
	doc := fmt.Sprintf("%s returns once %s (%s).", meth.Name, strings.Join(promises, ", and "), g.at(meth.Pos))
	if own := docAbove(g.m.ClassFile, meth.Pos.Line); own != "" {
		doc += " " + own
	}
	steps := g.stepsText(st.Starts[0])
	if sl := st.Sectors; sl != nil {
		doc += fmt.Sprintf(" For each %d-byte piece of %s, at %s advanced by one, on the %s it %s: %s per piece at most%s, besides repeated polls.", sl.Size, sl.Buf, sl.Pos, g.m.Name, steps, accesses(st.Stats.Rank), g.faultExtra(st))
	} else if st.Elem != nil {
		doc += fmt.Sprintf(" For each element, on the %s it %s", g.m.Name, steps)
		if g.fn.learns {
			doc += ", skipping the steps that what it learnt from the elements before makes unnecessary"
			if c := st.Counted; c != nil {
				doc += fmt.Sprintf(" (it counts them against %s, %s)", c.Const, g.constAt(c.Const))
			}
		}
		doc += fmt.Sprintf(": %s per element at most%s, besides repeated polls.", accesses(st.Stats.Rank), g.faultExtra(st))
	} else {
		checks := len(g.constRegs())
		if meth.Name != solve.InitMethod {
			checks = 0
		}
		if checks > 0 {
			doc += fmt.Sprintf(" It first reads %s to check this is a %s; then", plural(checks, "constant register"), g.m.Name)
		} else {
			doc += " On the " + g.m.Name + " it"
		}
		doc += fmt.Sprintf(" %s: %s at most%s, besides repeated polls.", steps, accesses(st.Stats.Rank+checks), g.faultExtra(st))
	}
	if waits := g.waitText(st); waits != "" {
		doc += " " + waits
	}
	if faults := g.faultsText(st); faults != "" {
		doc += " " + faults
	}
	var refuses []string
	for _, r := range st.Requires {
		refuses = append(refuses, "unless "+dsl.FormatExpr(r))
	}
	switch {
	case len(refuses) > 0 && g.fn.checks:
		doc += " It returns ErrInvalidArgument " + strings.Join(refuses, " or ") + ", or for an argument the device cannot hold, before any access."
	case len(refuses) > 0:
		doc += " It returns ErrInvalidArgument " + strings.Join(refuses, " or ") + ", before any access."
	case g.fn.checks:
		doc += " It returns ErrInvalidArgument for an argument the device cannot hold, before any access."
	}
	return wrap(doc)
}

// faultExtra is what reporting a fault adds to the worst case: the read of
// the register the fault names as its reason.
func (g *gen) faultExtra(st *solve.Strategy) string {
	var regs []string
	seen := map[string]bool{}
	walkStrategy(st, func(n *solve.Node) {
		if n.Fault != nil {
			if rs := g.reasonRegs(n.Fault); len(rs) > 0 && !seen[rs[0].Name] {
				seen[rs[0].Name] = true
				regs = append(regs, rs[0].Name)
			}
		}
	})
	if len(regs) == 0 {
		return ""
	}
	return " (and one read of " + listText(regs) + " when it reports a fault)"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// waitText says how long the method's polls may wait.
func (g *gen) waitText(st *solve.Strategy) string {
	device, input := false, false
	walkStrategy(st, func(n *solve.Node) {
		if n.Best != nil {
			device = device || n.Best.Loop == solve.FairLoop
			input = input || n.Best.Loop == solve.InputLoop
		}
	})
	switch {
	case device && input:
		return "A poll for the device's progress fails with driver.ErrTimeout after the driver's timeout; a wait for input ends only with ctx."
	case device:
		return "Each poll fails with driver.ErrTimeout after the driver's timeout."
	case input:
		return "It waits for input until ctx ends."
	}
	return ""
}

// promiseText is an ensures clause in the words of the class spec: the
// comment on the predicate or event it names.
func (g *gen) promiseText(e *dsl.Expr) string {
	if e.Kind == dsl.BinaryExpr && e.Op == "||" {
		return g.promiseText(e.X) + ", or " + g.promiseText(e.Y)
	}
	name := ""
	switch e.Kind {
	case dsl.NameExpr:
		name = e.Name()
	case dsl.CallExpr:
		name = e.Name()
	}
	var pos dsl.Pos
	if p := g.m.Preds[name]; p != nil {
		pos = p.Pos
	} else if ev := g.m.Events[name]; ev != nil {
		pos = ev.Pos
	} else {
		return dsl.FormatExpr(e)
	}
	text := firstSentence(docAbove(g.m.ClassFile, pos.Line))
	if text == "" {
		return dsl.FormatExpr(e)
	}
	text = strings.TrimSuffix(text, ".")
	if first, _, _ := strings.Cut(text, " "); first != strings.ToUpper(first) || len(first) == 1 {
		text = strings.ToLower(text[:1]) + text[1:]
	}
	return text
}

// stepsText describes the strategy from n along the way it succeeds: what
// it reads, polls and writes, and which faults end it early.
func (g *gen) stepsText(n *solve.Node) string {
	var steps []string
	var faults []string
	seen := map[*solve.Node]bool{}
	for n != nil && !seen[n] && !n.Goal && n.Fault == nil && n.Best != nil {
		seen[n] = true
		e := n.Best
		a := e.Act
		var next *solve.Node
		var loop *solve.Outcome
		var rest []*solve.Outcome
		for _, o := range e.Outs {
			if o.Loop {
				loop = o
			} else {
				rest = append(rest, o)
			}
		}
		sort.SliceStable(rest, func(i, j int) bool { return obsLess(rest[i].Obs, rest[j].Obs) })
		for _, o := range rest {
			switch {
			case o.Next.Fault != nil:
				if len(a.Observe) > 0 {
					does := "returns the fault " + o.Next.Fault.Name
					if rs := g.reasonRegs(o.Next.Fault); len(rs) > 0 {
						does = "reads " + rs[0].Name + " and " + does
					}
					faults = append(faults, fmt.Sprintf("if %s shows %s, it %s", a.Reg.Name, g.obsText(a, o.Obs), does))
				}
			case next == nil && reachesGoal(o.Next, map[*solve.Node]bool{}):
				next = o.Next
			}
		}
		switch a.Kind {
		case solve.ActWrite:
			steps = append(steps, "writes "+a.Reg.Name)
		case solve.ActStreamWrite:
			steps = append(steps, fmt.Sprintf("moves %s out through %s", a.Buf, a.Stream.Name))
		case solve.ActStreamRead:
			if len(a.Learn) > 0 {
				steps = append(steps, fmt.Sprintf("reads the %s data from %s", a.Learn[0].Layout.Name, a.Stream.Name))
				break
			}
			steps = append(steps, fmt.Sprintf("fills %s from %s", a.Buf, a.Stream.Name))
		default:
			if loop != nil {
				names := g.loopNames(n, e)
				how := "until the device's " + listText(names) + " ends it"
				if len(names) > 1 {
					how = "until the device's " + listText(names) + " end it"
				}
				if e.Loop == solve.InputLoop {
					how = "until " + listText(names) + " brings something"
					if len(names) > 1 {
						how = "until one of " + listText(names) + " brings something"
					}
				}
				steps = append(steps, fmt.Sprintf("polls %s while %s (%s)", a.Reg.Name, g.obsText(a, loop.Obs), how))
			} else {
				steps = append(steps, "reads "+a.Reg.Name)
			}
		}
		n = next
	}
	// Runs of writes read better as one list.
	var merged []string
	for i := 0; i < len(steps); i++ {
		if !strings.HasPrefix(steps[i], "writes ") {
			merged = append(merged, steps[i])
			continue
		}
		regs := []string{strings.TrimPrefix(steps[i], "writes ")}
		for i+1 < len(steps) && strings.HasPrefix(steps[i+1], "writes ") {
			i++
			regs = append(regs, strings.TrimPrefix(steps[i], "writes "))
		}
		merged = append(merged, "writes "+listText(regs))
	}
	text := strings.Join(merged, ", then ")
	if len(merged) == 0 {
		text = "makes no access"
	}
	if len(faults) > 0 {
		text += "; " + strings.Join(faults, "; ") + " (a *driver.DeviceError)"
	}
	return text
}

// loopNames are the transitions that end a poll; in a shared tail, those
// of every method that shares it.
func (g *gen) loopNames(n *solve.Node, e *solve.Edge) []string {
	edges := []*solve.Edge{e}
	if g.fn != nil {
		for _, r := range g.fn.tailRoots {
			if r == n {
				edges = nil
				for _, r := range g.fn.tailRoots {
					edges = append(edges, r.Best)
				}
				break
			}
		}
	}
	var names []string
	seen := map[string]bool{}
	for _, e := range edges {
		for _, t := range e.LoopWhy {
			if !seen[t.Name] {
				seen[t.Name] = true
				names = append(names, t.Name)
			}
		}
	}
	return names
}

func reachesGoal(n *solve.Node, seen map[*solve.Node]bool) bool {
	if n.Goal {
		return true
	}
	if seen[n] || n.Best == nil {
		return false
	}
	seen[n] = true
	for _, o := range n.Best.Outs {
		if !o.Loop && reachesGoal(o.Next, seen) {
			return true
		}
	}
	return false
}
