package solve

import (
	"fmt"
	"reflect"
	"slices"
	"sort"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
)

// Counters instead of unrolled beliefs.
//
// A transmit FIFO of depth K makes the driver distinguish K element states
// in a for-each method: "k bytes written since the FIFO was last seen
// empty", for every k below K. Solving them one by one costs a start per
// slot (and a device state per slot in every belief of every method), so a
// deep FIFO does not synthesize. The count is the driver's own knowledge;
// what it bounds is a device variable the spec declares as a counter:
//
//   - it is compared only with small literals and with one constant (or a
//     condition choosing between the constant and literals);
//   - it is assigned only literals and itself plus or minus 1, an increment
//     only after a require (or under a guard) saying it is below the
//     constant, a decrement only under one saying it is above a literal;
//   - it can hold the constant, and the constant is used nowhere else.
//
// Then no guard, field or require tells two middle values of the counter
// apart (values above every literal and below the constant): devices that
// differ only in the constant differ only in how long the run of middle
// values lasts. The solver relies on that as a cutoff: it solves the device
// with the constant replaced by a small cutoff c and by c+1, and accepts
// the summary only if the two solutions are equal except that one run of
// element starts, whose members take the same step and hand over to the
// next member, is one member longer. The run then stands for as many
// members as the real constant makes, and the generated driver counts them
// against the spec's constant. That is a cutoff argument checked on two
// solutions, not a proof carried out for the real constant; the tests
// compare it with the state-by-state solution of the UART at depths 8, 16
// and 31 and of the PL011. When the check fails, or either cutoff is
// unrealizable, the device is solved as it is.

// Counted summarizes a run of a for-each method's element starts that
// differ only in a bounded counter: Starts[First..Last], solved with the
// constant at Cutoff, stand for element states First..Last+Extra of the
// real device (Extra is the constant's value minus Cutoff). Every member
// takes the same step and hands over to the next; the last member hands
// over to start Last+1. The element states after the run are numbered from
// the constant down: start j > Last is state Const - (Cutoff - j). The
// beliefs of a counted strategy's nodes are those of the cutoff: their
// values of Var are not the real device's, and their actions name the
// cutoff model's registers and fields, which match the device's by name
// and layout (Result.Model is the device's own model).
type Counted struct {
	Var         string // the device state variable the run counts (tx_count)
	Const       string // the spec constant that bounds it (TX_FIFO_DEPTH)
	Value       uint64 // the constant's value in the spec
	Cutoff      int    // the value it was solved with
	First, Last int    // the run, as indexes of Starts
	Extra       int    // members the real constant adds past Last
}

// ElementStates is the number of element states the driver distinguishes
// on the real device.
func (st *Strategy) ElementStates() int {
	if st.Counted == nil {
		return len(st.Starts)
	}
	return len(st.Starts) + st.Counted.Extra
}

// StartOf returns the start that handles element state i.
func (st *Strategy) StartOf(i int) *Node { return st.Starts[st.reduced(i)] }

// NextOf returns the element state that follows element state i when its
// step ends in goal.
func (st *Strategy) NextOf(i int, goal *Node) int {
	j := st.Next[goal]
	if st.InRun(i) && j == st.reduced(i)+1 {
		return i + 1
	}
	return st.lifted(j)
}

// reduced is the index in Starts of the start that handles element state i.
func (st *Strategy) reduced(i int) int {
	c := st.Counted
	switch {
	case c == nil || i <= c.Last:
		return i
	case i <= c.Last+c.Extra:
		return c.Last
	}
	return i - c.Extra
}

// InRun reports whether element state i (on the real device) is a member of
// the counted run.
func (st *Strategy) InRun(i int) bool {
	c := st.Counted
	return c != nil && i >= c.First && i <= c.Last+c.Extra
}

// lifted is the element state on the real device of start j.
func (st *Strategy) lifted(j int) int {
	if c := st.Counted; c != nil && j > c.Last {
		return j + c.Extra
	}
	return j
}

// BelowConst reports, for start j after the counted run, how far below the
// bounding constant its element state lies.
func (c *Counted) BelowConst(j int) (int, bool) {
	if j <= c.Last {
		return 0, false
	}
	return c.Cutoff - j, true
}

// StartLabel names the element state(s) start j stands for: "3", or for a
// counted strategy "1 to TX_FIFO_DEPTH-2" (the run) and "TX_FIFO_DEPTH-1"
// (a start after it).
func (st *Strategy) StartLabel(j int) string {
	c := st.Counted
	switch {
	case c == nil || j < c.First:
		return fmt.Sprint(j)
	case j <= c.Last:
		below, _ := c.BelowConst(c.Last + 1)
		return fmt.Sprintf("%d to %s", c.First, constName(c.Const, below+1))
	}
	below, _ := c.BelowConst(j)
	return constName(c.Const, below)
}

// constName is "NAME-n", or "NAME" for n == 0.
func constName(name string, n int) string {
	if n == 0 {
		return name
	}
	return fmt.Sprintf("%s-%d", name, n)
}

// counterSpec is a state variable that only counts, and the constant that
// bounds it.
type counterSpec struct {
	v, k   string
	value  uint64
	maxLit uint64 // the largest other constant the counter meets
}

// findCounter finds a counter variable and its bounding constant in the
// device spec, or returns nil. The rules are the premises of the cutoff
// argument above; anything else the variable or the constant takes part in
// disqualifies them.
func findCounter(m *model.Model) *counterSpec {
	if m.Spec == nil || m.Spec.Device == nil || m.Spec.Device.Device == nil {
		return nil
	}
	d := m.Spec.Device.Device
	consts := map[string]uint64{}
	for _, it := range d.Items {
		if it.Const != nil && it.Const.Value.Kind == dsl.NumberExpr {
			consts[it.Const.Name] = it.Const.Value.Value
		}
	}
	for _, it := range d.Items {
		sd := it.State
		if sd == nil || sd.Type == nil || sd.Type.Uint == nil || sd.Carried {
			continue
		}
		vi := m.Var(sd.Name)
		if vi < 0 || !m.Vars[vi].Finite {
			continue
		}
		names := make([]string, 0, len(consts))
		for k := range consts {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			// The counter must hold the bound itself: a count that wraps
			// first would tell middle values apart by where it wraps (the
			// checker refuses the comparison too; this does not rely on it).
			if w := m.Vars[vi].Width; w >= 64 || consts[k] >= 1<<uint(w) {
				continue
			}
			if c := checkCounter(d, sd, k, consts[k]); c != nil {
				return c
			}
		}
	}
	return nil
}

// checkCounter reports v as a counter bounded by constant k, or nil.
func checkCounter(d *dsl.Device, sd *dsl.StateDecl, k string, value uint64) *counterSpec {
	v := sd.Name
	c := &counterSpec{v: v, k: k, value: value}
	isName := func(e *dsl.Expr, n string) bool {
		return e != nil && e.Kind == dsl.NameExpr && len(e.Path) == 1 && e.Path[0] == n
	}
	lit := func(e *dsl.Expr) bool {
		if e != nil && e.Kind == dsl.NumberExpr {
			c.maxLit = max(c.maxLit, e.Value)
			return true
		}
		return false
	}
	// bound is k, or a conditional choosing between k and small constants.
	var bound func(e *dsl.Expr) bool
	bound = func(e *dsl.Expr) bool {
		if isName(e, k) {
			return true
		}
		return e != nil && e.Kind == dsl.CondExpr && !mentions(e.X, v) && !mentions(e.X, k) &&
			(bound(e.Y) || lit(e.Y)) && (bound(e.Z) || lit(e.Z)) && (bound(e.Y) || bound(e.Z))
	}
	cmp := map[string]bool{"==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}
	ok := true
	sawBound := false
	// expr checks an expression tree outside an assignment to v.
	var expr func(e *dsl.Expr)
	expr = func(e *dsl.Expr) {
		if e == nil || !ok {
			return
		}
		if e.Kind == dsl.BinaryExpr && cmp[e.Op] && (isName(e.X, v) || isName(e.Y, v)) {
			other := e.Y
			if !isName(e.X, v) {
				other = e.X
			}
			switch {
			case lit(other):
			case bound(other):
				sawBound = true
			default:
				ok = false
			}
			return
		}
		if isName(e, v) || isName(e, k) {
			ok = false
			return
		}
		expr(e.X)
		expr(e.Y)
		expr(e.Z)
		for _, a := range e.Args {
			expr(a)
		}
		for _, mc := range e.Cases {
			expr(mc.Value)
		}
	}
	if sd.Init != nil && !lit(sd.Init) {
		return nil
	}
	walkSpec(reflect.ValueOf(d.Items), sd, func(e *dsl.Expr) { expr(e) }, func(a *dsl.Assign) {
		if len(a.Target.Parts) != 1 || a.Target.Parts[0] != v {
			expr(a.Value)
			return
		}
		e := a.Value
		switch {
		case lit(e):
		case e.Kind == dsl.BinaryExpr && (e.Op == "+" || e.Op == "-") && isName(e.X, v) && e.Y.Kind == dsl.NumberExpr && e.Y.Value == 1:
		default:
			ok = false
		}
	})
	if !ok || !sawBound || value <= c.maxLit || !stepsInRange(d, v, bound) {
		return nil
	}
	return c
}

// stepsInRange reports whether every step of counter v keeps it between 0
// and its bound: an increment only where a require before it or a guard
// around it says v < bound, a decrement only where one says v > a
// constant or v != 0.
func stepsInRange(d *dsl.Device, v string, bound func(*dsl.Expr) bool) bool {
	isV := func(e *dsl.Expr) bool { return e.Kind == dsl.NameExpr && len(e.Path) == 1 && e.Path[0] == v }
	below := func(e *dsl.Expr) bool { // v < bound
		return e.Kind == dsl.BinaryExpr && (e.Op == "<" && isV(e.X) && bound(e.Y) || e.Op == ">" && isV(e.Y) && bound(e.X))
	}
	above := func(e *dsl.Expr) bool { // v > c, v >= c+1, v != 0
		num := func(x *dsl.Expr, min uint64) bool { return x.Kind == dsl.NumberExpr && x.Value >= min }
		switch {
		case e.Kind != dsl.BinaryExpr:
			return false
		case isV(e.X):
			return e.Op == ">" && num(e.Y, 0) || e.Op == ">=" && num(e.Y, 1) || e.Op == "!=" && num(e.Y, 0) && e.Y.Value == 0
		case isV(e.Y):
			return e.Op == "<" && num(e.X, 0) || e.Op == "<=" && num(e.X, 1) || e.Op == "!=" && num(e.X, 0) && e.X.Value == 0
		}
		return false
	}
	holds := func(facts []*dsl.Expr, want func(*dsl.Expr) bool) bool {
		for _, f := range facts {
			for _, c := range conjuncts(f) {
				if want(c) {
					return true
				}
			}
		}
		return false
	}
	ok := true
	var block func(stmts []*dsl.Stmt, facts []*dsl.Expr)
	block = func(stmts []*dsl.Stmt, facts []*dsl.Expr) {
		facts = slices.Clip(facts)
		for _, st := range stmts {
			switch {
			case st.Require != nil:
				facts = append(facts, st.Require.Cond)
			case st.If != nil:
				block(st.If.Then, append(facts, st.If.Cond))
				block(st.If.Else, facts)
			case st.Assign != nil && len(st.Assign.Target.Parts) == 1 && st.Assign.Target.Parts[0] == v:
				e := st.Assign.Value
				if e.Kind == dsl.BinaryExpr && e.Op == "+" && !holds(facts, below) ||
					e.Kind == dsl.BinaryExpr && e.Op == "-" && !holds(facts, above) {
					ok = false
				}
			}
		}
	}
	var walk func(x reflect.Value, guard *dsl.Expr)
	walk = func(x reflect.Value, guard *dsl.Expr) {
		switch x.Kind() {
		case reflect.Pointer:
			if x.IsNil() {
				return
			}
			switch y := x.Interface().(type) {
			case *dsl.Expr:
				return
			case *dsl.InternalDecl:
				guard = y.Guard
			case *dsl.InputDecl:
				guard = y.Guard
			}
			walk(x.Elem(), guard)
		case reflect.Struct:
			for _, i := range specFields(x.Type()) {
				walk(x.Field(i), guard)
			}
		case reflect.Slice:
			if stmts, isBlock := x.Interface().([]*dsl.Stmt); isBlock {
				var facts []*dsl.Expr
				if guard != nil {
					facts = append(facts, guard)
				}
				block(stmts, facts)
				return
			}
			for i := 0; i < x.Len(); i++ {
				walk(x.Index(i), guard)
			}
		}
	}
	walk(reflect.ValueOf(d.Items), nil)
	return ok
}

// conjuncts splits e at its top-level &&.
func conjuncts(e *dsl.Expr) []*dsl.Expr {
	if e.Kind == dsl.BinaryExpr && e.Op == "&&" {
		return append(conjuncts(e.X), conjuncts(e.Y)...)
	}
	return []*dsl.Expr{e}
}

// mentions reports whether e names n anywhere.
func mentions(e *dsl.Expr, n string) bool {
	if e == nil {
		return false
	}
	if e.Kind == dsl.NameExpr && len(e.Path) >= 1 && e.Path[0] == n {
		return true
	}
	if mentions(e.X, n) || mentions(e.Y, n) || mentions(e.Z, n) {
		return true
	}
	for _, a := range e.Args {
		if mentions(a, n) {
			return true
		}
	}
	for _, mc := range e.Cases {
		if mentions(mc.Value, n) {
			return true
		}
	}
	return false
}

// walkSpec calls onExpr for every expression of the device declarations
// (the top of each tree) and onAssign for every assignment, skipping the
// declaration of the counter itself (its initial value is checked apart).
func walkSpec(v reflect.Value, skip *dsl.StateDecl, onExpr func(*dsl.Expr), onAssign func(*dsl.Assign)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		switch x := v.Interface().(type) {
		case *dsl.Expr:
			onExpr(x)
			return
		case *dsl.Assign:
			onAssign(x)
			return
		case *dsl.StateDecl:
			if x == skip {
				return
			}
		}
		walkSpec(v.Elem(), skip, onExpr, onAssign)
	case reflect.Struct:
		for _, i := range specFields(v.Type()) {
			walkSpec(v.Field(i), skip, onExpr, onAssign)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkSpec(v.Index(i), skip, onExpr, onAssign)
		}
	}
}

// withConst returns the model of the spec with constant k set to value.
func withConst(m *model.Model, k string, value uint64) (*model.Model, error) {
	spec := *m.Spec
	file := *spec.Device
	dev := *file.Device
	dev.Items = make([]*dsl.DeviceItem, len(file.Device.Items))
	for i, it := range file.Device.Items {
		if it.Const != nil && it.Const.Name == k {
			c := *it.Const
			c.Value = &dsl.Expr{Pos: c.Value.Pos, Kind: dsl.NumberExpr, Value: value, Text: fmt.Sprint(value)}
			cp := *it
			cp.Const = &c
			it = &cp
		}
		dev.Items[i] = it
	}
	file.Device = &dev
	spec.Device = &file
	return model.Lower(&spec)
}

// synthesizeCounted solves m through the cutoff of its counter c, or
// returns nil when the summary does not apply (the caller then solves m as
// it is).
func synthesizeCounted(m *model.Model, c *counterSpec, opts Options) *Result {
	cutoff := int(c.maxLit) + 4
	if c.value <= uint64(cutoff+1) {
		return nil
	}
	opts.noCounter = true
	solveAt := func(k int) *Result {
		mk, err := withConst(m, c.k, uint64(k))
		if err != nil {
			return nil
		}
		res, err := SynthesizeWith(mk, opts)
		if err != nil {
			return nil
		}
		return res
	}
	small := solveAt(cutoff)
	if small == nil {
		return nil
	}
	next := solveAt(cutoff + 1)
	if next == nil || len(small.Methods) != len(next.Methods) {
		return nil
	}
	counted := 0
	for i, st := range small.Methods {
		nt := next.Methods[i]
		first, last, found := countedRun(st)
		if st.Elem == nil || !found {
			if strategyText(st) != strategyText(nt) {
				return nil
			}
			continue
		}
		cs := &Counted{Var: c.v, Const: c.k, Value: c.value, Cutoff: cutoff, First: first, Last: last}
		cn := &Counted{Var: c.v, Const: c.k, Value: c.value, Cutoff: cutoff + 1, First: first, Last: last + 1}
		if len(nt.Starts) != len(st.Starts)+1 || !runHolds(nt, cn) {
			return nil
		}
		// The solution one member longer is the small one lifted by one.
		cs.Extra = 1
		st.Counted, nt.Counted = cs, cn
		for l := 0; l < nt.ElementStates(); l++ {
			if runText(st, l) != runText(nt, l) {
				st.Counted = nil
				return nil
			}
		}
		cs.Extra = int(c.value) - cutoff
		counted++
	}
	if counted == 0 {
		for _, st := range small.Methods {
			st.Counted = nil
		}
		return nil
	}
	tracef("counter %s bounded by %s = %d: solved at %d and %d", c.v, c.k, c.value, cutoff, cutoff+1)
	small.Model = m
	return small
}

// countedRun finds the longest run of at least two consecutive element
// starts that take the same step, each handing over to the next.
func countedRun(st *Strategy) (first, last int, ok bool) {
	best := 0
	for f := 1; f < len(st.Starts); f++ {
		l := f
		for l+1 < len(st.Starts) && runHolds(st, &Counted{First: f, Last: l + 1}) {
			l++
		}
		if l > f && l-f+1 > best {
			best, first, last = l-f+1, f, l
		}
	}
	return first, last, best > 0
}

// runHolds reports whether Starts[c.First..c.Last] take the same step, each
// member handing over to the one after it and to nothing else in the run.
func runHolds(st *Strategy, c *Counted) bool {
	if c.First < 1 || c.Last >= len(st.Starts) {
		return false
	}
	want := ""
	for i := c.First; i <= c.Last; i++ {
		text := stepText(st, st.Starts[i], func(j int) string {
			switch {
			case j == i+1:
				return "next member"
			}
			return fmt.Sprint(j)
		})
		if i == c.First {
			want = text
		} else if text != want {
			return false
		}
	}
	return true
}

// runText is the step of element state l of a counted strategy, with the
// element state it hands over to written relative to the run and to the
// bound, so that solutions at two cutoffs compare.
func runText(st *Strategy, l int) string {
	return stepText(st, st.StartOf(l), func(j int) string {
		if st.InRun(l) && j == st.reduced(l)+1 {
			return "next member"
		}
		if below, ok := st.Counted.BelowConst(j); ok {
			return fmt.Sprintf("bound-%d", below)
		}
		return fmt.Sprint(j)
	})
}

// strategyText is the strategy from every start, without the sizes of
// their beliefs (which follow the bound).
func strategyText(st *Strategy) string {
	text := ""
	for i, s := range st.Starts {
		text += fmt.Sprintf("start %d:\n%s", i, st.dumpWith(s, st.nextText))
	}
	return text
}

// stepText is the strategy from n, with each hand-over to the next
// element written by next.
func stepText(st *Strategy, n *Node, next func(j int) string) string {
	return st.dumpWith(n, func(g *Node) string {
		j, ok := st.Next[g]
		if !ok {
			return ""
		}
		return " (next element: " + next(j) + ")"
	})
}
