package solve

import (
	"fmt"
	"sort"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// Inverse value synthesis. Where the device computes a class value from
// fields (an event argument, a binding's side of ==) and the contract wants
// it to equal a request value, the solver derives what to write into the
// fields by undoing the computation step by step:
//
//	slices, concatenations  each part gets its slice of the wanted value
//	{0[3:0], F}             F gets the value, which must fit (zero-extension)
//	F + c, F - c            F gets want - c, want + c
//	F * c, F / c            F gets want / c, want * c
//	H * B + L               two digits: H gets want / B, L gets want % B
//	                        (BCD when B is 10 and H, L are nibbles)
//	X + (F[i] == 1 ? c : 0) the bit F[i] counts c: it gets want / c
//	X % m                   X gets want in 1..m (m for 0): a spec reduces a
//	                        value modulo m where the device counts 1..m
//	c ? X : Y               both: the state decides which one is written
//	match F { A => r, ...}  F gets the member whose result is want
//
// A derived value is exact only for some requests (year - 2000 in 8 bits
// for 2000-2255). The request values are few (the parameter is 16 bits or
// narrower), so the solver tries every one the class's requires allow and
// keeps the range that reads back right: outside it the driver returns
// ErrInvalidArgument (Cand.Range); inside it the goal takes the device's
// value for the request's (equalUnder).

// ParamRange is the range of a request parameter for which a derived value
// reads back as the contract wants.
type ParamRange struct {
	Param  string
	Lo, Hi uint64
}

func (r *ParamRange) String() string { return fmt.Sprintf("%s in %d-%d", r.Param, r.Lo, r.Hi) }

// maxEnumerated is the largest parameter domain the solver checks value by
// value.
const maxEnumerated = 1 << 17

// bitsAssign is a derived value for bits [hi:lo] of a location.
type bitsAssign struct {
	l      loc
	hi, lo int
	t      *term.T
}

func (a bitsAssign) key() string {
	if a.l.field != nil {
		return a.l.field.Qual()
	}
	return fmt.Sprint("var ", a.l.v)
}

// solution is one way to make an expression equal its target: values for
// location bits, the arms taken where the state decides (picks), and
// digits that must stay below their base.
type solution struct {
	as     []bitsAssign
	picks  map[*dsl.Expr]bool
	digits []digit
}

type digit struct {
	t    *term.T
	base uint64
}

func join(a, b []solution) []solution {
	var out []solution
	for _, x := range a {
		for _, y := range b {
			s := solution{as: append(append([]bitsAssign(nil), x.as...), y.as...), picks: map[*dsl.Expr]bool{},
				digits: append(append([]digit(nil), x.digits...), y.digits...)}
			ok := true
			for k, v := range x.picks {
				s.picks[k] = v
			}
			for k, v := range y.picks {
				if old, seen := s.picks[k]; seen && old != v {
					ok = false
				}
				s.picks[k] = v
			}
			if ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func one(as ...bitsAssign) []solution { return []solution{{as: as, picks: map[*dsl.Expr]bool{}}} }

// inverter undoes one device expression; r is the register whose handler
// it is in (its fields may be named bare).
type inverter struct {
	m *model.Model
	r *model.Reg
}

// constOf is e's value when it is a constant expression.
func (iv *inverter) constOf(e *dsl.Expr) (uint64, bool) {
	v, err := iv.m.Eval(e, nil, nil)
	if err != nil || !v.IsConst() {
		return 0, false
	}
	return v.Val, true
}

// location reads e as a field, a state variable or a slice of one.
func (iv *inverter) location(e *dsl.Expr) (loc, int, int, bool) {
	switch e.Kind {
	case dsl.NameExpr:
		if iv.r != nil && len(e.Path) == 1 {
			for _, f := range iv.r.Fields {
				if f.Name == e.Path[0] {
					return loc{field: f, width: f.Width}, f.Width - 1, 0, true
				}
			}
		}
		if ls := locationsOf(iv.m, e); len(ls) == 1 {
			return ls[0], ls[0].width - 1, 0, true
		}
	case dsl.SliceExpr:
		if l, _, lo, ok := iv.location(e.X); ok {
			return l, lo + e.Hi, lo + e.Lo, true
		}
	}
	return loc{}, 0, 0, false
}

func (l loc) writable() bool {
	return l.field == nil || (l.field.Stored && l.field.Reg.Write)
}

// invert lists the ways to make e equal want.
func (iv *inverter) invert(e *dsl.Expr, want *term.T) []solution {
	if l, hi, lo, ok := iv.location(e); ok {
		if !l.writable() {
			return nil
		}
		return one(bitsAssign{l: l, hi: hi, lo: lo, t: term.Resize(want, hi-lo+1)})
	}
	c := func(v uint64) *term.T { return term.C(v, 0) }
	switch e.Kind {
	case dsl.ConcatExpr:
		total := 0
		widths := make([]int, len(e.Args))
		for i, a := range e.Args {
			w := iv.width(a)
			if w == 0 {
				return nil
			}
			widths[i] = w
			total += w
		}
		want = term.Resize(want, total)
		sols := []solution{{picks: map[*dsl.Expr]bool{}}}
		top := total
		for i, a := range e.Args {
			top -= widths[i]
			part := term.Sl(want, top+widths[i]-1, top)
			if _, isConst := iv.constOf(a); isConst {
				continue // the range check sees that the part is the constant
			}
			sols = join(sols, iv.invert(a, part))
		}
		return sols
	case dsl.CondExpr:
		var out []solution
		for _, arm := range []bool{true, false} {
			x := e.Y
			if !arm {
				x = e.Z
			}
			for _, s := range iv.invert(x, want) {
				if old, seen := s.picks[e]; seen && old != arm {
					continue
				}
				s.picks[e] = arm
				out = append(out, s)
			}
		}
		return out
	case dsl.MatchExpr:
		return iv.invertMatch(e, want)
	case dsl.BinaryExpr:
	default:
		return nil
	}
	x, y := e.X, e.Y
	cx, xConst := iv.constOf(x)
	cy, yConst := iv.constOf(y)
	switch e.Op {
	case "+":
		switch {
		case xConst:
			return iv.invert(y, term.O("-", 0, want, c(cx)))
		case yConst:
			return iv.invert(x, term.O("-", 0, want, c(cy)))
		}
		// Two digits: one side counts a constant unit, the other the rest.
		for _, side := range [][2]*dsl.Expr{{x, y}, {y, x}} {
			hiPart, unit, ok := iv.scaled(side[0])
			if !ok {
				continue
			}
			his := iv.invert(hiPart, term.O("/", 0, want, c(unit)))
			los := iv.invert(side[1], term.O("%", 0, want, c(unit)))
			sols := join(his, los)
			for i := range sols {
				// A digit is below its base: a BCD digit is 0-9.
				if l, hi, lo, ok := iv.location(hiPart); ok && l.width > 0 && uint64(1)<<uint(hi-lo+1) > unit {
					sols[i].digits = append(sols[i].digits, digit{term.O("/", 0, want, c(unit)), unit})
				}
			}
			return sols
		}
	case "-":
		if yConst {
			return iv.invert(x, term.O("+", 0, want, c(cy)))
		}
	case "*":
		switch {
		case xConst && cx > 0:
			return iv.invert(y, term.O("/", 0, want, c(cx)))
		case yConst && cy > 0:
			return iv.invert(x, term.O("/", 0, want, c(cy)))
		}
	case "/":
		if yConst && cy > 0 {
			return iv.invert(x, term.O("*", 0, want, c(cy)))
		}
	case "%":
		if yConst && cy > 1 {
			// The representative in 1..m: m for 0 (a 12-hour clock shows 12).
			r := want
			if r.Kind == term.Op && r.Name == "%" && len(r.Args) == 2 && r.Args[1].IsConst() && r.Args[1].Val == cy {
				r = r.Args[0]
			}
			return iv.invert(x, term.O("+", 0, term.O("%", 0, term.O("+", 0, r, c(cy-1)), c(cy)), c(1)))
		}
	}
	return nil
}

// scaled reads e as X * unit, or as (F[i] == 1 ? unit : 0), which is the
// bit F[i] counting unit.
func (iv *inverter) scaled(e *dsl.Expr) (*dsl.Expr, uint64, bool) {
	switch {
	case e.Kind == dsl.BinaryExpr && e.Op == "*":
		if v, ok := iv.constOf(e.Y); ok && v > 1 {
			return e.X, v, true
		}
		if v, ok := iv.constOf(e.X); ok && v > 1 {
			return e.Y, v, true
		}
	case e.Kind == dsl.CondExpr && e.X.Kind == dsl.BinaryExpr && e.X.Op == "==":
		unit, ok1 := iv.constOf(e.Y)
		zero, ok2 := iv.constOf(e.Z)
		one, ok3 := iv.constOf(e.X.Y)
		if ok1 && ok2 && ok3 && zero == 0 && one == 1 && unit > 1 {
			if _, hi, lo, ok := iv.location(e.X.X); ok && hi == lo {
				return e.X.X, unit, true
			}
		}
	}
	return nil, 0, false
}

// invertMatch undoes a table: the location gets the member whose arm gives
// the wanted value.
func (iv *inverter) invertMatch(e *dsl.Expr, want *term.T) []solution {
	l, hi, lo, ok := iv.location(e.X)
	if !ok || !l.writable() {
		return nil
	}
	var en *model.Enum
	if l.field != nil {
		en = l.field.Enum
	} else {
		en = iv.m.Vars[l.v].Enum
	}
	var cases []term.Case
	seen := map[uint64]bool{}
	for _, mc := range e.Cases {
		r, ok := iv.constOf(mc.Value)
		if !ok || seen[r] || mc.Pattern == "_" {
			return nil
		}
		seen[r] = true
		var pat uint64
		if en != nil {
			v, ok := en.Value(mc.Pattern)
			if !ok {
				return nil
			}
			pat = v
		} else if c, ok := iv.m.Const(mc.Pattern); ok && c.IsConst() {
			pat = c.Val
		} else {
			return nil
		}
		cases = append(cases, term.Case{Pattern: r, Label: fmt.Sprint(r), Result: term.C(pat, hi-lo+1)})
	}
	return one(bitsAssign{l: l, hi: hi, lo: lo, t: term.Match(want, hi-lo+1, cases)})
}

// width is the width of a sized expression, 0 if it has none.
func (iv *inverter) width(e *dsl.Expr) int {
	if l, hi, lo, ok := iv.location(e); ok && l.width > 0 {
		return hi - lo + 1
	}
	if e.Kind == dsl.SliceExpr {
		return e.Hi - e.Lo + 1
	}
	if e.Kind == dsl.ConcatExpr {
		w := 0
		for _, a := range e.Args {
			aw := iv.width(a)
			if aw == 0 {
				return 0
			}
			w += aw
		}
		return w
	}
	return 0
}

// value computes e with the locations holding vals (by location key), the
// arms picks took where the state decides, in the spec's arithmetic.
func (iv *inverter) value(e *dsl.Expr, vals map[string]uint64, picks map[*dsl.Expr]bool) (uint64, bool) {
	if l, hi, lo, ok := iv.location(e); ok {
		v, ok := vals[bitsAssign{l: l}.key()]
		return v >> uint(lo) & wmask(hi-lo+1), ok
	}
	if v, ok := iv.constOf(e); ok {
		return v, true
	}
	switch e.Kind {
	case dsl.CondExpr:
		arm, ok := picks[e]
		if !ok {
			cv, okc := iv.value(e.X, vals, picks)
			if !okc {
				return 0, false
			}
			arm = cv != 0
		}
		if arm {
			return iv.value(e.Y, vals, picks)
		}
		return iv.value(e.Z, vals, picks)
	case dsl.ConcatExpr:
		var out uint64
		for _, a := range e.Args {
			w := iv.width(a)
			v, ok := iv.value(a, vals, picks)
			if !ok || w == 0 {
				return 0, false
			}
			out = out<<uint(w) | v&wmask(w)
		}
		return out, true
	case dsl.SliceExpr:
		v, ok := iv.value(e.X, vals, picks)
		return v >> uint(e.Lo) & wmask(e.Hi-e.Lo+1), ok
	case dsl.MatchExpr:
		l, hi, lo, ok := iv.location(e.X)
		if !ok {
			return 0, false
		}
		v := vals[bitsAssign{l: l}.key()] >> uint(lo) & wmask(hi-lo+1)
		var en *model.Enum
		if l.field != nil {
			en = l.field.Enum
		}
		for _, mc := range e.Cases {
			var pat uint64
			if en != nil {
				pat, _ = en.Value(mc.Pattern)
			}
			if pat == v || mc.Pattern == "_" {
				return iv.value(mc.Value, vals, picks)
			}
		}
		return 0, false
	case dsl.BinaryExpr:
		x, ok1 := iv.value(e.X, vals, picks)
		y, ok2 := iv.value(e.Y, vals, picks)
		if !ok1 || !ok2 {
			return 0, false
		}
		return term.Binary(e.Op, x, y)
	}
	return 0, false
}

func wmask(w int) uint64 {
	if w <= 0 || w >= 64 {
		return ^uint64(0)
	}
	return 1<<uint(w) - 1
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// termValue computes t with the parameters in ps. exact: a sized
// computation that does not fit its width fails, instead of being cut (the
// generated driver computes in 64 bits and relies on the range check).
func termValue(t *term.T, ps map[string]uint64, exact bool) (uint64, bool) {
	switch t.Kind {
	case term.Const:
		return t.Val, true
	case term.Param:
		v, ok := ps[t.Name]
		return v & wmask(t.Width), ok
	case term.Slice:
		v, ok := termValue(t.Args[0], ps, exact)
		return v >> uint(t.Lo) & wmask(t.Hi-t.Lo+1), ok
	case term.Concat:
		var out uint64
		for _, a := range t.Args {
			v, ok := termValue(a, ps, exact)
			if !ok {
				return 0, false
			}
			out = out<<uint(a.Width) | v&wmask(a.Width)
		}
		return out, true
	case term.Op:
		if t.Name == "match" {
			s, ok := termValue(t.Args[0], ps, exact)
			if !ok {
				return 0, false
			}
			for _, c := range t.Cases {
				if c.Pattern == s {
					return c.Result.Val, true
				}
			}
			return 0, false
		}
		args := make([]uint64, len(t.Args))
		for i, a := range t.Args {
			v, ok := termValue(a, ps, exact)
			if !ok {
				return 0, false
			}
			args[i] = v
		}
		var v uint64
		var ok bool
		switch {
		case t.Name == "?:" && len(args) == 3:
			v, ok = args[2], true
			if args[0] != 0 {
				v = args[1]
			}
		case len(args) == 2:
			v, ok = term.Binary(t.Name, args[0], args[1])
		case len(args) == 1 && t.Name == "!":
			v, ok = b2u(args[0] == 0), true
		case len(args) == 1 && t.Name == "~":
			v, ok = ^args[0], true
		}
		if !ok {
			return 0, false
		}
		if t.Width > 0 && t.Width < 64 && v > wmask(t.Width) {
			if exact {
				return 0, false
			}
			v &= wmask(t.Width)
		}
		return v, true
	}
	return 0, false
}

// params lists the request parameters t mentions.
func params(t *term.T, out map[string]*term.T) {
	if t.Kind == term.Param {
		out[t.Name] = t
	}
	for _, a := range t.Args {
		params(a, out)
	}
	for _, c := range t.Cases {
		params(c.Result, out)
	}
}

// domain is the range the method's requires allow for parameter p (only
// bounds by constants in && chains are read).
func (g *goal) domain(p *term.T) (uint64, uint64) {
	lo, hi := uint64(0), wmask(p.Width)
	var walk func(e *dsl.Expr)
	walk = func(e *dsl.Expr) {
		if e.Kind != dsl.BinaryExpr {
			return
		}
		if e.Op == "&&" {
			walk(e.X)
			walk(e.Y)
			return
		}
		op, x, y := e.Op, e.X, e.Y
		if y.Kind == dsl.NameExpr && len(y.Path) == 1 && y.Path[0] == p.Name {
			x, y = y, x
			op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}[op]
		}
		if x.Kind != dsl.NameExpr || len(x.Path) != 1 || x.Path[0] != p.Name || y.Kind != dsl.NumberExpr {
			return
		}
		v := y.Value
		switch op {
		case "<=":
			hi = min(hi, v)
		case "<":
			if v > 0 {
				hi = min(hi, v-1)
			}
		case ">=":
			lo = max(lo, v)
		case ">":
			lo = max(lo, v+1)
		case "==":
			lo, hi = max(lo, v), min(hi, v)
		}
	}
	for _, r := range g.requires {
		walk(r)
	}
	return lo, hi
}

// invertFeeds derives candidates for the locations of device expression a
// (in the handler of r) so that it equals want, and records each with the
// range of the request it is exact for.
func (g *goal) invertFeeds(m *model.Model, r *model.Reg, a *dsl.Expr, want *term.T, why string, assigned map[string][]fieldExpr) {
	iv := &inverter{m: m, r: r}
	ps := map[string]*term.T{}
	params(want, ps)
	if len(ps) != 1 {
		return // only one request value at a time is enumerated
	}
	var p *term.T
	for _, x := range ps {
		p = x
	}
	lo, hi := g.domain(p)
	if hi < lo || hi-lo >= maxEnumerated {
		return
	}
	sols := iv.invert(a, want)
	for _, s := range sols {
		cands := merge(s.as)
		if cands == nil {
			continue
		}
		rng, ok := g.exactRange(iv, a, want, p, lo, hi, s, cands)
		if !ok {
			continue
		}
		for _, mc := range cands {
			c := &Cand{T: mc.t, Why: why, Strict: true, Range: rng, Derived: true}
			g.noteEvent(c)
			g.registerRange(mc.t, rng, p, lo, hi)
			for e, arm := range s.picks {
				if g.candWhen == nil {
					g.candWhen = map[*Cand][]condArm{}
				}
				g.candWhen[c] = append(g.candWhen[c], condArm{e.X, arm, r})
			}
			if mc.l.field != nil {
				g.feedField[mc.l.field.Qual()] = append(g.feedField[mc.l.field.Qual()], c)
				continue
			}
			g.feedVar[mc.l.v] = append(g.feedVar[mc.l.v], c)
			for _, fe := range assigned[m.Vars[mc.l.v].Name] {
				g.mapArg(m, fe.reg, fe.e, c.T, why, nil)
			}
		}
	}
}

// merge puts the bits derived for each location together, most
// significant first; bits nothing derives are written 0. nil when two
// derivations claim the same bit.
func merge(as []bitsAssign) []bitsAssign {
	by := map[string][]bitsAssign{}
	var keys []string
	for _, a := range as {
		k := a.key()
		if by[k] == nil {
			keys = append(keys, k)
		}
		by[k] = append(by[k], a)
	}
	sort.Strings(keys)
	var out []bitsAssign
	for _, k := range keys {
		parts := by[k]
		sort.Slice(parts, func(i, j int) bool { return parts[i].lo > parts[j].lo })
		l := parts[0].l
		var ts []*term.T
		next := l.width - 1
		for _, p := range parts {
			if p.hi > next {
				return nil // overlap
			}
			if p.hi < next {
				ts = append(ts, term.C(0, next-p.hi))
			}
			ts = append(ts, p.t)
			next = p.lo - 1
		}
		if next >= 0 {
			ts = append(ts, term.C(0, next+1))
		}
		out = append(out, bitsAssign{l: l, hi: l.width - 1, lo: 0, t: term.Cat(ts...)})
	}
	return out
}

// exactRange tries every value of p the requires allow and returns the
// range in which the derived values fit their fields and read back as
// want; nil when that is all of them. ok is false when no value works or
// the working ones are not one range.
func (g *goal) exactRange(iv *inverter, a *dsl.Expr, want, p *term.T, lo, hi uint64, s solution, cands []bitsAssign) (*ParamRange, bool) {
	first, last := uint64(0), uint64(0)
	found, gap := false, false
	vals := map[string]uint64{}
	ps := map[string]uint64{}
	for v := lo; ; v++ {
		ps[p.Name] = v
		good := true
		for _, c := range cands {
			x, ok := termValue(c.t, ps, true)
			if !ok {
				good = false
				break
			}
			vals[c.key()] = x
		}
		for _, d := range s.digits {
			if x, ok := termValue(d.t, ps, true); !ok || x >= d.base {
				good = false
			}
		}
		if good {
			got, ok1 := iv.value(a, vals, s.picks)
			w, ok2 := termValue(want, ps, false)
			good = ok1 && ok2 && got&wmask(want.Width) == w
		}
		switch {
		case good && !found:
			first, last, found = v, v, true
		case good && gap:
			return nil, false
		case good:
			last = v
		case found:
			gap = true
		}
		if v == hi {
			break
		}
	}
	if !found {
		return nil, false
	}
	if first == lo && last == hi {
		return nil, true
	}
	return &ParamRange{Param: p.Name, Lo: first, Hi: last}, true
}

// registerRange remembers, for every computation inside a derived value,
// the request values it is exact for: a device value built from it equals
// the request's only there (equalUnder).
func (g *goal) registerRange(t *term.T, rng *ParamRange, p *term.T, lo, hi uint64) {
	if g.ranges == nil {
		g.ranges = map[uint32][2]uint64{}
	}
	r := [2]uint64{lo, hi}
	if rng != nil {
		r = [2]uint64{rng.Lo, rng.Hi}
	}
	var walk func(t *term.T)
	walk = func(t *term.T) {
		if t.Kind == term.Const || t.Kind == term.Param {
			return
		}
		if old, ok := g.ranges[t.ID()]; ok {
			// Shared by two derivations: either may be the one written.
			r2 := [2]uint64{min(old[0], r[0]), max(old[1], r[1])}
			g.ranges[t.ID()] = r2
		} else {
			g.ranges[t.ID()] = r
		}
		for _, a := range t.Args {
			walk(a)
		}
	}
	walk(t)
}

// equalUnder reports whether the device's value got equals the wanted
// want for every request the driver lets through: got is built from
// derived values, and the requests are those every derived value in it is
// exact for, within the requires.
func (g *goal) equalUnder(got, want *term.T) bool {
	if g.ranges == nil || got.Kind == term.Const {
		return false
	}
	key := [2]uint32{got.ID(), want.ID()}
	if v, ok := g.equalCache[key]; ok {
		return v
	}
	res := g.equalUnder1(got, want)
	if g.equalCache == nil {
		g.equalCache = map[[2]uint32]bool{}
	}
	g.equalCache[key] = res
	return res
}

func (g *goal) equalUnder1(got, want *term.T) bool {
	ps := map[string]*term.T{}
	params(got, ps)
	params(want, ps)
	if len(ps) != 1 || got.Mentions(term.Read, "") || got.Mentions(term.Unknown, "") || got.Mentions(term.Entry, "") {
		return false
	}
	var p *term.T
	for _, x := range ps {
		p = x
	}
	lo, hi := g.domain(p)
	derived := false
	var walk func(t *term.T)
	walk = func(t *term.T) {
		if r, ok := g.ranges[t.ID()]; ok {
			derived = true
			lo, hi = max(lo, r[0]), min(hi, r[1])
			return
		}
		for _, a := range t.Args {
			walk(a)
		}
		for _, c := range t.Cases {
			walk(c.Result)
		}
	}
	walk(got)
	walk(want)
	if !derived || hi < lo || hi-lo >= maxEnumerated {
		return false
	}
	vals := map[string]uint64{}
	for v := lo; ; v++ {
		vals[p.Name] = v
		x, ok1 := termValue(got, vals, false)
		y, ok2 := termValue(want, vals, false)
		if !ok1 || !ok2 || x&wmask(want.Width) != y&wmask(want.Width) {
			return false
		}
		if v == hi {
			return true
		}
	}
}

// condArm is an arm of a device ?: a derived value was made for: the value
// is only worth writing where the device is in that arm (a BCD value while
// register B says BCD).
type condArm struct {
	cond *dsl.Expr
	arm  bool
	reg  *model.Reg // the handler the condition is in
}

// fitsSome reports whether some state of b is in every arm c was derived
// for, reading the handler's own fields as they are stored now: the driver
// writes values in the format the device is in, and learns the format
// first where the states disagree.
func (g *goal) fitsSome(m *model.Model, c *Cand, b *Belief) bool {
	arms := g.candWhen[c]
	if len(arms) == 0 {
		return true
	}
	for _, s := range b.States {
		ok := true
		for _, a := range arms {
			v, err := m.Eval(a.cond, s, localEnv(a.reg))
			if err == nil && v.IsConst() && v.IsTrue() != a.arm {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// noteEvent records that c feeds the event whose emitters are being
// mapped: the field needs the value only until the event is emitted (a
// clock that runs again overwrites it).
func (g *goal) noteEvent(c *Cand) {
	if g.feedingEvent == "" {
		return
	}
	if g.candEvent == nil {
		g.candEvent = map[*Cand]string{}
	}
	g.candEvent[c] = g.feedingEvent
}

// emitted reports whether s shows the wanted event ev with the arguments
// the contract wants: only then are the values that fed it free to
// change (an event with other values does not count).
func (g *goal) emitted(m *model.Model, s *model.State, ev string) bool {
	if !s.HasEvent(ev) {
		return false
	}
	for _, e := range g.ensures {
		c := g.clauseOf(m, e)
		if c.kind == clauseEvent && c.name == ev && c.err == nil {
			return g.evalEvent(ev, c.want, s, map[string]*term.T{})
		}
	}
	return true
}
