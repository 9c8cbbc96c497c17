package solve

import (
	"slices"
	"sort"
	"strings"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// lowerBound is an admissible estimate of the accesses still needed,
// computed once per belief; inf for a belief holding a dead end (see
// deadend.go). It counts registers that must be accessed, each
// once, and the bank switches needed to reach them:
//   - a register holding a field the contract pins to a value it does not
//     yet have, or a field outside the idle invariant that only the
//     driver's writes change, must be written;
//   - a register whose value the wanted event carries, and which the
//     driver does not hold yet, must be read (or written: then it knows
//     the value); no other move can teach the value;
//   - a register behind a bank condition FIELD == c that some state hides
//     needs a write of the bank register per distinct c, and one more to
//     put FIELD back where the idle invariant has it;
//   - an event the contract wants that some state has not emitted needs an
//     access that makes the device emit it: one more, unless it can be one
//     of the accesses counted above or the device emits it by itself;
//   - a wanted event that needs a register's write first (a lock), or a
//     read first (a gate), needs it (lock.go); a write whose handler
//     requires another register's field needs that register written
//     first, maybe again after, with the bank visits in between (setup.go);
//   - and if none of these accesses can be the next one (its register is
//     hidden behind its bank, or it would break a require), the next access
//     is yet another one;
//   - a belief outside the idle invariant needs at least one.
//
// Each term holds for some state of the belief, and different terms may
// hold for different states: that sum is admissible only for a strategy
// that never tells the states apart. splitBound caps it by what a
// strategy that does tell them apart must pay.
func (gm *game) lowerBound(n *Node) int {
	if n.h >= 0 {
		return n.h
	}
	h, _ := gm.beliefBound(n)
	if h > 0 && h != inf && len(n.B.ids) > 1 {
		h = min(h, gm.splitBound(n, h))
	}
	n.h = h
	return h
}

// countedReads says which reads an estimate may have counted among its
// accesses: with any set, any access at all (a term that counts "some
// access"); otherwise a read (or write) of one of regs (each listed
// once), and writes.
type countedReads struct {
	any  bool
	regs []int
}

// beliefBound is lowerBound's sum over the belief as a whole (see
// lowerBound), and which reads it may have counted: regs is scratch space
// the next call reuses.
func (gm *game) beliefBound(n *Node) (int, countedReads) {
	if gm.cl.exhaustive || gm.mayBeFault(n) {
		return 0, countedReads{} // a fault ends the method at no cost
	}
	for _, id := range n.B.ids {
		if dead, err := gm.isDead(id); err != nil || dead {
			if err != nil && n.err == nil {
				n.err = err
			}
			return inf, countedReads{}
		}
	}
	b := gm.bounds()
	sc := &b.scratch
	anyAccess := false // some term counts an access of any kind
	nregs := len(gm.m.Regs)
	need := sc.need.reset(nregs) // registers to write
	// late: some write counted may come after the wanted event (after.go).
	late := false
	// A term already counted is not looked for again.
	for _, sf := range b.strict {
		if need.has(sf.ri) && (late || sf.event != "") {
			continue
		}
		for _, s := range n.B.States {
			if !sf.alts.has(s.Val(sf.v)) && (sf.event == "" || !gm.goal.emitted(gm.m, s, sf.event)) {
				need.add(sf.ri)
				late = late || sf.event == ""
				break
			}
		}
	}
	for _, rf := range b.restore {
		if need.has(rf.ri) && late {
			continue
		}
		for _, s := range n.B.States {
			if !rf.idle.has(s.Val(rf.v)) {
				need.add(rf.ri)
				late = true
				break
			}
		}
	}
	// A bank field the idle invariant has elsewhere is written back.
	for _, rf := range b.selRestore {
		if need.has(rf.ri) && late {
			continue
		}
		for _, s := range n.B.States {
			if !rf.idle.has(s.Val(rf.v)) {
				need.add(rf.ri)
				late = true
				break
			}
		}
	}
	// An event that needs a register's write first (lock.go).
	for i := range b.locks {
		if !need.has(b.locks[i].ri) && b.locks[i].holdsIn(n.B) {
			need.add(b.locks[i].ri)
		}
	}
	// Writes that need another register's write first, and maybe after
	// (setup.go).
	twice, minBanks := gm.setupWrites(n, need)
	touch := sc.touch.reset(nregs) // registers to read (or write)
	for _, ev := range gm.goal.wantEvents {
		for _, vn := range b.carried[ev] {
			if touch.has(vn.ri) {
				continue
			}
			for _, s := range n.B.States {
				if !s.HasEvent(ev) && !available(s.Val(vn.v)) {
					touch.add(vn.ri)
					break
				}
			}
		}
		// Past the event, what it carries must still be learned (owed.go).
		for _, vn := range b.owed[ev] {
			if touch.has(vn.ri) {
				continue
			}
			for _, s := range n.B.States {
				if owes(s, ev, vn.v) {
					touch.add(vn.ri)
					break
				}
			}
		}
	}
	all := sc.all.reset(nregs)
	for _, ri := range need.list {
		all.add(ri)
	}
	for _, ri := range touch.list {
		all.add(ri)
	}
	// A register in touch that no state lets the driver access needs an
	// enabling access first (enable.go): one more when none of the counted
	// ones can be it, and when only one register can, reaching it counts.
	banked, enabler := all, 0
	if len(touch.list) > 0 && !gm.cl.exhaustive {
		enab, err := gm.enabling(n, touch.list)
		if err != nil && n.err == nil {
			n.err = err
		}
		counted := len(enab) == 0
		for e := range enab {
			counted = counted || e < 0 || all.has(e) || b.selector[e]
		}
		if !counted {
			enabler = 1
			anyAccess = true
			if len(enab) == 1 {
				banked = sc.banked.reset(nregs)
				for _, ri := range all.list {
					banked.add(ri)
				}
				for e := range enab {
					banked.add(e)
				}
			}
		}
	}
	// A restore that would put a register in touch out of reach for good
	// comes after that access: its bank is visited again after the
	// touched register's (enable.go).
	var reopen []reopening
	if !gm.cl.exhaustive {
		for _, rr := range need.list {
			bcr := b.banks[rr]
			if bcr == nil {
				continue
			}
			for _, ri := range touch.list {
				bc := b.banks[ri]
				if bc == nil || bc.sel != bcr.sel || bc.c == bcr.c {
					continue
				}
				if gm.bl == nil {
					gm.bl = &blocking{killing: map[blockKey]bool{}, enablers: map[blockKey][]int{}}
				}
				if gm.kills(rr, ri) {
					reopen = append(reopen, reopening{bc: bcr, close: gm.closesAfter(rr, bcr, banked, touch)})
					break
				}
			}
		}
	}
	h, bankOK := gm.bankAccesses(n, banked, reopen, minBanks)
	late = late || h > 0 || len(touch.list) > 0 || len(twice) > 0
	h += enabler + len(twice)
	for _, ri := range all.list {
		if !b.selector[ri] {
			h++
		}
	}
	// nextOK: some access counted in h may be the next move.
	nextOK := bankOK
	// A read an event needs first (lock.go), unless a read counted above
	// can be it.
	if len(touch.list) == 0 {
		for i := range b.gates {
			if b.gates[i].closedIn(n.B) {
				h++
				nextOK, anyAccess = true, true
				break
			}
		}
	}
	for _, ri := range all.list {
		if nextOK {
			break
		}
		if need.has(ri) {
			nextOK = gm.writeAvailable(n, ri, true)
		} else {
			nextOK = gm.accessAvailable(n, access{ri, false}) || (gm.m.Regs[ri].Write && gm.writeAvailable(n, ri, false))
		}
	}
	// An event some state lacks needs an access. It is an extra one when
	// no access counted above can emit it (the device may also emit it by
	// itself after some access: then it only needs some access).
	missing, extra := false, false
	extraReads := sc.extraReads[:0] // the registers whose reads may be the extra access
	for _, ev := range gm.goal.wantEvents {
		lacks := false
		for _, s := range n.B.States {
			if !s.HasEvent(ev) {
				lacks = true
				break
			}
		}
		if !lacks {
			continue
		}
		missing = true
		em := b.emitters[ev]
		if em == nil || em.device {
			continue
		}
		shared := false
		for _, a := range em.accs {
			shared = shared || (a.write && need.has(a.ri)) || (!a.write && touch.has(a.ri))
		}
		if shared {
			continue
		}
		extra = true
		if em.stream {
			nextOK = true
		}
		for _, a := range em.accs {
			if !nextOK && gm.accessAvailable(n, a) {
				nextOK = true
			}
			if !a.write {
				extraReads = append(extraReads, a.ri)
			}
		}
	}
	switch {
	case extra:
		h++
	case missing && h == 0:
		h, nextOK, anyAccess = 1, true, true
	}
	if !late && gm.lastLeavesIdle(n) {
		h++ // after the event's access, which cannot be the last (after.go)
		anyAccess = true
	}
	if h > 0 && !nextOK {
		h++
		anyAccess = true
	}
	if h == 0 && gm.leavesIdle(n) {
		h = 1 // not a goal, nor a fault (mayBeFault): some access is left
		anyAccess = true
	}
	sc.extraReads = extraReads
	for _, ri := range extraReads {
		touch.add(ri) // touch is not used any more
	}
	return h, countedReads{any: anyAccess, regs: touch.list}
}

// lastLeavesIdle reports whether one wanted event is left to happen in
// some state of n that took no unfair transition, the others have
// happened everywhere, and that event's access leaves the device outside
// the idle invariant (after.go).
func (gm *game) lastLeavesIdle(n *Node) bool {
	if gm.goal.idle == nil {
		return false
	}
	b := gm.bounds()
	left := ""
	for _, ev := range gm.goal.wantEvents {
		for _, s := range n.B.States {
			if s.HasEvent(ev) {
				continue
			}
			if left != "" && left != ev {
				return false // another event's access may come after it
			}
			left = ev
		}
	}
	if left == "" || !b.after[left] {
		return false
	}
	for _, s := range n.B.States {
		if !s.HasEvent(left) && !s.HasEvent(failureMark) {
			return true
		}
	}
	return false
}

// leavesIdle reports whether some state of n is outside the idle
// invariant the method is held to: n is not a goal.
func (gm *game) leavesIdle(n *Node) bool {
	if gm.goal.idle == nil {
		return false
	}
	b := gm.bounds()
	for _, id := range n.B.ids {
		if int(id) >= len(b.outside) {
			b.outside = append(b.outside, make([]int8, len(gm.cl.recs)-len(b.outside))...)
		}
		if b.outside[id] == 0 {
			b.outside[id] = 1
			if !gm.goal.idle[gm.goal.idleSig(gm.cl.recs[id].s)] {
				b.outside[id] = 2
			}
		}
		if b.outside[id] == 2 {
			return true
		}
	}
	return false
}

// access is a read or write of register ri.
type access struct {
	ri    int
	write bool
}

// emitters says what can make the device emit an event.
type emitters struct {
	accs   []access
	device bool // an internal transition or an input
	stream bool // a stream transfer
}

// boundInfo is what lowerBound precomputes per game.
type boundInfo struct {
	strict []strictField
	// restore lists the finite fields that only their register's writes
	// change, with the values the idle invariant allows (methods held to
	// it only).
	restore []restoreField
	// selRestore lists the bank fields the idle invariant holds to some
	// values (their writes are counted as bank switches).
	selRestore []restoreField
	// setups are the requires of write handlers on other registers'
	// fields (setup.go).
	setups []setup
	// carried lists, per wanted event, the stored values its one emitter
	// carries that only an access to one register can make known.
	carried map[string][]carriedVal
	// owed lists, per wanted event, the carried values an emitted event
	// still owes the driver while they are unread (owed.go).
	owed     map[string][]carriedVal
	emitters map[string]*emitters
	// locks are the writes wanted events need first, and gates the
	// reads (lock.go).
	locks []lock
	gates []gate
	// freeReq[ri]: whether ri's write handler has requires and they do not
	// look at the values written, so one trial write tells whether any
	// write is legal (without requires, every write is).
	freeReq []bool
	// banks[ri] is the bank of register ri when it is FIELD == constant
	// over a field only its register's writes change; selector marks the
	// registers holding such fields.
	banks    []*bankCond
	selector []bool
	// after marks the wanted events whose access leaves the device
	// outside the idle invariant (after.go).
	after map[string]bool
	// outside memoizes leavesIdle by state: 0 not yet asked, 1 in the
	// idle invariant, 2 outside it.
	outside []int8
	// single memoizes stateBound by state (split.go): 0 when not yet
	// computed, else one more than the index of its answer in singles
	// (few states are asked, and an index costs less to grow than a
	// stateBound per state).
	single  []int32
	singles []stateBound
	scratch boundScratch
}

// boundScratch is the space beliefBound and bankAccesses reuse from one
// call to the next (they do not nest).
type boundScratch struct {
	need, touch, all, banked regSet
	extraReads               []int
	// groups holds bankAccesses' groups by selector register, those in
	// use listed in sels.
	groups []bankGroup
	sels   []int
}

// regSet is a set of registers, made for scratch space that is emptied
// often: membership by register, and the members in the order added, so
// that emptying it or going through it costs its size, not the device's.
type regSet struct {
	in   []bool // by register
	list []int
}

// reset empties s, for registers below n, and returns it.
func (s *regSet) reset(n int) *regSet {
	if len(s.in) < n {
		s.in = make([]bool, n)
	} else {
		for _, ri := range s.list {
			s.in[ri] = false
		}
	}
	s.list = s.list[:0]
	return s
}

func (s *regSet) has(ri int) bool { return ri >= 0 && ri < len(s.in) && s.in[ri] }

func (s *regSet) add(ri int) {
	if !s.in[ri] {
		s.in[ri] = true
		s.list = append(s.list, ri)
	}
}

type strictField struct {
	v, ri int
	alts  valueSet
	event string
}

// valueSet is a small set of values (the few a field may hold): a look
// through a short slice is faster than a map's.
type valueSet []*term.T

func (vs valueSet) has(t *term.T) bool { return slices.Contains(vs, t) }

func (vs *valueSet) add(t *term.T) {
	if !vs.has(t) {
		*vs = append(*vs, t)
	}
}

// setElsewhere reports whether something other than a write of the
// field's own register may give it one of its strict values: another
// register's write handler, a read handler or the device, unless it only
// assigns other constants or copies a value the driver can never name
// (the MC146818's update copies the next time, which nobody knows, into
// the time registers). Then its register need not be written at all
// (testdata/devices/minigang: one write of ALL lights all four), and the
// field is left out of the bound.
func (sf *strictField) setElsewhere(m *model.Model) bool {
	v := m.Vars[sf.v]
	own := v.Field.Reg
	elsewhere := false
	eachAssign(m, func(target int, value *dsl.Expr, local *model.Reg, ownWrite bool) {
		if target != sf.v || elsewhere || (local == own && ownWrite) {
			return
		}
		if x, err := m.EvalExpected(value, nil, nil, v.Enum); err == nil && x.IsConst() && !sf.alts.has(term.Resize(x, v.Width)) {
			return // another value
		}
		if value.Kind == dsl.NameExpr && unnamable(m, value.Name()) {
			return
		}
		elsewhere = true
	})
	return elsewhere
}

type restoreField struct {
	v, ri int
	idle  valueSet
}

type carriedVal struct{ v, ri int }

// bankCond is a bank condition FIELD == C.
type bankCond struct {
	v    int // the field's variable
	sel  int // the register holding it
	c    *term.T
	idle *term.T // the one value the idle invariant gives it, or nil
}

func (gm *game) bounds() *boundInfo {
	if gm.bi != nil {
		return gm.bi
	}
	m := gm.m
	b := &boundInfo{emitters: map[string]*emitters{}, carried: map[string][]carriedVal{},
		freeReq: make([]bool, len(m.Regs)), banks: make([]*bankCond, len(m.Regs)), selector: make([]bool, len(m.Regs))}
	regIndex := map[*model.Reg]int{}
	for ri, r := range m.Regs {
		regIndex[r] = ri
	}
	quals := make([]string, 0, len(gm.goal.feedField))
	for q := range gm.goal.feedField {
		quals = append(quals, q)
	}
	sort.Strings(quals)
	for _, qual := range quals {
		f := m.FieldByQual(qual)
		if f == nil || !f.Stored {
			continue
		}
		// The field must hold one of its strict values: derived values
		// come in alternatives (BCD or binary), and any of them will do.
		sf := strictField{v: f.Var, ri: regIndex[f.Reg]}
		for _, c := range gm.goal.feedField[qual] {
			if c.Strict {
				sf.alts.add(c.T)
				// An event's value is needed until the event is emitted.
				sf.event = gm.goal.candEvent[c]
			}
		}
		if len(sf.alts) > 0 && !sf.setElsewhere(m) {
			b.strict = append(b.strict, sf)
		}
	}

	assigned := assignedVars(m)
	sliced := map[int]bool{}
	for _, i := range gm.cl.sliced {
		sliced[i] = true
	}
	// Banks over a field only its register's writes change.
	for ri, r := range m.Regs {
		bc := bankOf(m, r.Bank)
		if bc == nil || assigned[m.Vars[bc.v].Name] {
			continue
		}
		bc.sel = regIndex[m.Vars[bc.v].Field.Reg]
		if gm.goal.idle != nil && len(gm.goal.idleStates) > 0 {
			bc.idle = gm.goal.idleStates[0].Val(bc.v)
			for _, s := range gm.goal.idleStates {
				if s.Val(bc.v) != bc.idle || !bc.idle.IsConst() {
					bc.idle = nil
					break
				}
			}
		}
		b.banks[ri] = bc
		b.selector[bc.sel] = true
	}
	// Fields to restore: finite, stored, changed only by their register's
	// writes, not carried between methods, not a bank selector (bank
	// switches are counted on their own).
	if gm.goal.idle != nil {
		for i, v := range m.Vars {
			f := v.Field
			if !v.Finite || f == nil || !f.Reg.Write || assigned[v.Name] || sliced[i] || gm.goal.carried[i] {
				continue
			}
			rf := restoreField{v: i, ri: regIndex[f.Reg]}
			for _, s := range gm.goal.idleStates {
				rf.idle.add(s.Val(i))
			}
			if b.selector[regIndex[f.Reg]] {
				b.selRestore = append(b.selRestore, rf)
				continue
			}
			b.restore = append(b.restore, rf)
		}
	}
	em := func(name string) *emitters {
		if b.emitters[name] == nil {
			b.emitters[name] = &emitters{}
		}
		return b.emitters[name]
	}
	emits := func(ss []*dsl.Stmt, f func(*emitters)) {
		walkStmts(ss, func(s *dsl.Stmt) {
			if s.Emit != nil {
				f(em(s.Emit.Event))
			}
		})
	}
	sites := map[string][]*dsl.Emit{}
	siteReg := map[*dsl.Emit]*model.Reg{}
	for ri, r := range m.Regs {
		emits(r.OnRead, func(e *emitters) { e.accs = append(e.accs, access{ri, false}) })
		emits(r.OnWrite, func(e *emitters) { e.accs = append(e.accs, access{ri, true}) })
		for _, ss := range [][]*dsl.Stmt{r.OnRead, r.OnWrite} {
			walkStmts(ss, func(s *dsl.Stmt) {
				if s.Emit != nil {
					sites[s.Emit.Event] = append(sites[s.Emit.Event], s.Emit)
					siteReg[s.Emit] = r
				}
			})
		}
		local := map[string]bool{}
		requires := false
		walkStmts(r.OnWrite, func(s *dsl.Stmt) {
			switch {
			case s.Require != nil:
				requires = true
				collectNames(s.Require.Cond, local)
			case s.If != nil:
				collectNames(s.If.Cond, local)
			}
		})
		b.freeReq[ri] = requires
		for _, f := range r.Fields {
			if local[f.Name] {
				b.freeReq[ri] = false
			}
		}
	}
	for _, p := range m.Streams {
		emits(p.OnRead, func(e *emitters) { e.stream = true })
		emits(p.OnWrite, func(e *emitters) { e.stream = true })
		for _, ss := range [][]*dsl.Stmt{p.OnRead, p.OnWrite} {
			walkStmts(ss, func(s *dsl.Stmt) {
				if s.Emit != nil {
					sites[s.Emit.Event] = append(sites[s.Emit.Event], s.Emit)
				}
			})
		}
	}
	for _, t := range append(append([]*model.Transition(nil), m.Internals...), m.Inputs...) {
		emits(t.Body, func(e *emitters) { e.device = true })
		walkStmts(t.Body, func(s *dsl.Stmt) {
			if s.Emit != nil {
				sites[s.Emit.Event] = append(sites[s.Emit.Event], s.Emit)
			}
		})
	}
	for _, ev := range gm.goal.wantEvents {
		if len(sites[ev]) != 1 {
			continue // which values the event carries depends on the emitter
		}
		e := sites[ev][0]
		local := siteReg[e]
		names := map[string]bool{}
		for _, a := range e.Args {
			collectAllNames(a, names)
		}
		for name := range names {
			vi := m.Var(name)
			if vi < 0 && local != nil {
				vi = m.Var(local.Name + "." + name)
			}
			if vi < 0 || m.Vars[vi].Field == nil {
				continue
			}
			if ri, ok := onlyTeacher(m, vi, regIndex); ok && neverKnown(m, vi) {
				b.carried[ev] = append(b.carried[ev], carriedVal{vi, ri})
			}
		}
		sort.Slice(b.carried[ev], func(i, j int) bool { return b.carried[ev][i].v < b.carried[ev][j].v })
	}
	b.owed = gm.owedVars(b.carried)
	bs := collectSites(m, sliced)
	b.locks = locks(m, bs, gm.goal.wantEvents)
	b.gates = gates(bs, gm.goal.wantEvents)
	b.setups = setups(m, assigned, sliced, gm.goal.idleStates, gm.goal.idle != nil)
	b.after = map[string]bool{}
	if gm.goal.idle != nil {
		for _, ev := range gm.goal.wantEvents {
			b.after[ev] = leavesIdleAfter(m, ev, gm.goal.idleStates)
		}
	}
	gm.bi = b
	return b
}

// bankAccesses counts the writes of bank registers needed to reach the
// registers in regs: per bank field, one per distinct value some state
// does not show (or that reopen says must be shown again), and one more to put the field back to its idle value when
// the last of those is not it. ok reports whether one of them may be the
// next move (its register is visible). A register of regs that is itself
// a bank register counts as at least one write of it.
func (gm *game) bankAccesses(n *Node, regs *regSet, reopen []reopening, least map[int]int) (h int, ok bool) {
	b := gm.bounds()
	sc := &b.scratch
	if sc.groups == nil {
		sc.groups = make([]bankGroup, len(gm.m.Regs))
	}
	for _, sel := range sc.sels {
		sc.groups[sel] = bankGroup{open: sc.groups[sel].open[:0]}
	}
	sc.sels = sc.sels[:0]
	get := func(sel int) *bankGroup {
		g := &sc.groups[sel]
		if !g.used {
			g.used = true
			sc.sels = append(sc.sels, sel)
		}
		return g
	}
	for _, ri := range regs.list {
		if b.selector[ri] {
			get(ri).own = true
		}
		bc := b.banks[ri]
		if bc == nil {
			continue
		}
		g := get(bc.sel)
		g.idle = bc.idle
		if !slices.Contains(g.open, bc.c) {
			for _, s := range n.B.States {
				if s.Val(bc.v) != bc.c {
					g.open = append(g.open, bc.c)
					break
				}
			}
		}
		if bc.idle != nil && !g.reset {
			for _, s := range n.B.States {
				if s.Val(bc.v) != bc.idle {
					g.reset = true
					break
				}
			}
		}
	}
	for _, ro := range reopen {
		g := get(ro.bc.sel)
		g.addOpen(ro.bc.c)
		g.idle = ro.bc.idle
		g.closeAfter = g.closeAfter || ro.close
	}
	for _, sel := range sc.sels {
		g := &sc.groups[sel]
		k := len(g.open)
		if g.idle != nil && (!slices.Contains(g.open, g.idle) || g.closeAfter) && (k > 0 || g.reset) {
			k++
		}
		if g.own {
			k = max(k, 1)
		}
		k = max(k, least[sel])
		h += k
		if k > 0 && !ok {
			ok = gm.writeAvailable(n, sel, false)
		}
	}
	return h, ok
}

// bankGroup is what bankAccesses gathers about one bank field.
type bankGroup struct {
	used  bool
	open  []*term.T // the values to show, each once
	idle  *term.T
	own   bool // the selector register is in regs for its own sake
	reset bool // some state's field is not at the idle value
	// closeAfter: the write back to the idle value comes after a
	// reopened bank, so it is not the visit that value has for regs.
	closeAfter bool
}

func (g *bankGroup) addOpen(c *term.T) {
	if !slices.Contains(g.open, c) {
		g.open = append(g.open, c)
	}
}

// bankOf reads a bank condition FIELD == constant over a stored field.
func bankOf(m *model.Model, e *dsl.Expr) *bankCond {
	if e == nil || e.Kind != dsl.BinaryExpr || e.Op != "==" {
		return nil
	}
	for _, side := range [][2]*dsl.Expr{{e.X, e.Y}, {e.Y, e.X}} {
		if side[0].Kind != dsl.NameExpr {
			continue
		}
		f := m.FieldByQual(side[0].Name())
		if f == nil || !f.Stored {
			continue
		}
		c, err := m.EvalExpected(side[1], nil, nil, f.Enum)
		if err != nil || !c.IsConst() {
			continue
		}
		return &bankCond{v: f.Var, c: term.Resize(c, f.Width)}
	}
	return nil
}

// assignedVars lists the variables some handler or transition assigns.
func assignedVars(m *model.Model) map[string]bool {
	assigned := map[string]bool{}
	mark := func(ss []*dsl.Stmt, local *model.Reg) {
		walkStmts(ss, func(s *dsl.Stmt) {
			if s.Assign == nil {
				return
			}
			name := strings.Join(s.Assign.Target.Parts, ".")
			assigned[name] = true
			if local != nil && len(s.Assign.Target.Parts) == 1 {
				assigned[local.Name+"."+name] = true
			}
		})
	}
	for _, r := range m.Regs {
		mark(r.OnRead, r)
		mark(r.OnWrite, r)
	}
	for _, p := range m.Streams {
		mark(p.OnRead, nil)
		mark(p.OnWrite, nil)
	}
	for _, t := range append(append([]*model.Transition(nil), m.Internals...), m.Inputs...) {
		mark(t.Body, nil)
	}
	return assigned
}

// onlyTeacher finds the one register whose access can tell the driver the
// value of stored field vi: its own register, when no other register's
// field shows it.
func onlyTeacher(m *model.Model, vi int, regIndex map[*model.Reg]int) (int, bool) {
	own := m.Vars[vi].Field.Reg
	name := m.Vars[vi].Name
	for _, r := range m.Regs {
		if r == own {
			continue
		}
		for _, f := range r.Fields {
			if f.Stored && f.Var == vi {
				return 0, false
			}
			if f.Value != nil {
				names := map[string]bool{}
				collectAllNames(f.Value, names)
				if names[name] {
					return 0, false
				}
			}
		}
	}
	return regIndex[own], true
}

// neverKnown reports whether every assignment to variable name (outside
// its register's own write) copies a value the driver can never name: a
// data variable that only inputs set, from their parameters.
func neverKnown(m *model.Model, vi int) bool {
	name, owner := m.Vars[vi].Name, m.Vars[vi].Field.Reg
	ok := true
	visit := func(ss []*dsl.Stmt, local *model.Reg) {
		walkStmts(ss, func(s *dsl.Stmt) {
			if s.Assign == nil {
				return
			}
			target := strings.Join(s.Assign.Target.Parts, ".")
			if local != nil && len(s.Assign.Target.Parts) == 1 {
				target = local.Name + "." + target
			}
			if target != name {
				return
			}
			v := s.Assign.Value
			if v.Kind != dsl.NameExpr || !unnamable(m, v.Name()) {
				ok = false
			}
		})
	}
	for _, r := range m.Regs {
		visit(r.OnRead, r)
		if r != owner {
			visit(r.OnWrite, r) // the owner's writes are accesses to it: counted
		}
	}
	for _, p := range m.Streams {
		visit(p.OnRead, nil)
		visit(p.OnWrite, nil)
	}
	for _, t := range append(append([]*model.Transition(nil), m.Internals...), m.Inputs...) {
		visit(t.Body, nil)
	}
	return ok
}

// mayBeFault reports whether n is a belief in which the method may end by
// reporting a fault: every state shows the same fault, chosen by the
// device. Counting the contract's accesses there would not be admissible.
func (gm *game) mayBeFault(n *Node) bool {
	for fi := range gm.m.Faults {
		all := true
		for _, id := range n.B.ids {
			h, err := gm.cl.fault(id, fi)
			if err != nil || !h || !gm.cl.recs[id].s.HasEvent(failureMark) {
				all = err != nil
				if !all {
					break
				}
			}
		}
		if all {
			return true
		}
	}
	return false
}

// reopening is a bank value that must be shown again after registers in
// touch were accessed (a restore that would put them out of reach), and
// whether the write back to the idle value then comes after it as well.
type reopening struct {
	bc    *bankCond
	close bool
}

// closesAfter reports whether, when restore register rr must come after
// the accesses it would put out of reach, the bank field's write back to
// its idle value is a write of its own: rr's bank value is not the idle
// one, and every register of regs behind the idle value is one rr's
// restore puts out of reach (so it is visited before rr is written).
func (gm *game) closesAfter(rr int, bcr *bankCond, regs, touch *regSet) bool {
	if bcr.idle == nil || bcr.c == bcr.idle {
		return false
	}
	b := gm.bounds()
	for _, ri := range regs.list {
		bc := b.banks[ri]
		if bc == nil || bc.sel != bcr.sel || bc.c != bcr.idle {
			continue
		}
		if !touch.has(ri) || !gm.kills(rr, ri) {
			return false
		}
	}
	return true
}

// unnamable reports whether data variable w holds a value the driver can
// never name: no constant reset, and only inputs set it, from their
// parameters.
func unnamable(m *model.Model, w string) bool {
	vi := m.Var(w)
	if vi < 0 || m.Vars[vi].Finite || m.Vars[vi].Reset.IsConst() {
		return false
	}
	only := true
	check := func(ss []*dsl.Stmt, input *model.Transition) {
		walkStmts(ss, func(s *dsl.Stmt) {
			if s.Assign == nil || strings.Join(s.Assign.Target.Parts, ".") != w {
				return
			}
			if input == nil || s.Assign.Value.Kind != dsl.NameExpr || len(s.Assign.Value.Path) != 1 {
				only = false
				return
			}
			param := false
			for _, p := range input.Params {
				param = param || p.Name == s.Assign.Value.Path[0]
			}
			only = only && param
		})
	}
	for _, r := range m.Regs {
		check(r.OnRead, nil)
		check(r.OnWrite, nil)
	}
	for _, p := range m.Streams {
		check(p.OnRead, nil)
		check(p.OnWrite, nil)
	}
	for _, t := range m.Internals {
		check(t.Body, nil)
	}
	for _, t := range m.Inputs {
		check(t.Body, t)
	}
	return only
}
