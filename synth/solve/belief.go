// Package solve synthesizes a driver strategy for every class method by
// solving a game on beliefs: the sets of device states the driver cannot
// tell apart given what it did and what it read.
package solve

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/internal/mix"

	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// maxBeliefStates bounds one belief; a spec whose nondeterminism exceeds it
// needs coarser state.
const maxBeliefStates = 4096

// Belief is a set of device states, closed under what the device may do by
// itself, plus what the driver has learned about values it read.
type Belief struct {
	States []*model.State
	// Learned maps an entry value (a location's value at method start) to
	// the driver variable that now holds it, so frame conditions can still
	// be checked after the value was read back.
	Learned map[string]*term.T
	key     string
	lkey    string  // the Learned part of key
	ids     []int32 // the closer's numbers of States, in the same order
	num     int32   // the closer's number of the belief, from 0
	// closed: States are closed under the device's own moves (a closure
	// gave them).
	closed bool
}

// Key is a canonical encoding of the belief.
func (b *Belief) Key() string { return b.key }

// closer interns device states and computes closures under the device's own
// moves, remembering everything per state: beliefs overlap heavily, so the
// same state is closed, read and written many times, in every round of the
// idle fixpoint and in every method.
type closer struct {
	m *model.Model
	// maxNodes bounds the beliefs of one game (Options.MaxBeliefs).
	maxNodes int
	// depth is the deepest budget of the iterative deepening (deepening).
	depth int
	ids   stateTable // finds the states in recs by their hashes
	recs  []*srec
	// states are by id recs[id].s: a lookup compares a candidate, and a
	// write compares its successor, without first loading the records,
	// one cache miss fewer on the hit nearly every lookup is.
	states []*model.State
	// bids number states in the order beliefs first mention them (-1: no
	// belief has yet), which is the order a belief lists its states in;
	// bnext is the next number.
	bids  []int32
	bnext int32
	// mark and gen implement set unions without maps.
	mark []uint32
	gen  uint32
	// succ lists the states each state's moves lead to, for close: a
	// count, then the states; succAt is where a state's states begin in
	// succ (0: its moves are not known yet).
	succ   []int32
	succAt []int32
	// wacts numbers the register writes (register and values) seen so far.
	wacts map[string]int32
	// beliefs are the beliefs built so far, by their states and learned
	// values (beliefSet): a belief built again (most are) is the one built
	// first.
	beliefs beliefTable
	// scratch space of beliefSet, addBelief, writeAct, read, write and
	// deviceMoves
	scratchIDs   []int32
	scratchKey   []byte
	scratchState model.State
	closeOut     []int32
	closeWork    []int32
	scratchMoves []move
	failureOnly  []model.Event // markFailure's
	// guards memoize the device transitions' guards (enabled), and
	// guardKey is enabled's scratch space.
	guards   []guardMemo
	guardKey []byte
	// dead are variables nothing reads, and deadVal the one value each
	// holds in place of any value the driver cannot name.
	dead    []int
	deadVal []*term.T
	// sliced are the finite variables outside the cone of influence
	// (sliceVars), held at their reset values.
	sliced []int
	// fold says, per variable, what normalize does with it: 0 nothing,
	// -1 sliced, j+1 dead (c.dead[j]).
	fold        []int
	scratchVars []int32
	// exhaustive: no reductions (Options.exhaustive).
	exhaustive bool
	// slot numbers the registers accesses have touched (plus one; 0: not
	// yet), in the order they were first touched. The per-state caches are
	// indexed by slot, so they grow with the registers the moves use, not
	// with the registers of the spec.
	slot   []int32
	nslots int
	// The records of states and of their reads come from these.
	recSlab   slab[srec]
	stateSlab slab[model.State]
	movesSlab slab[move]
	learnSlab slab[learnRes]
	// subsSlab and entriesSlab hold learnRes lists longer than one.
	subsSlab    slab[map[string]*term.T]
	entriesSlab slab[[]string]
	valsSlab    slab[*term.T]
	wdoneSlab   slab[wdone]
	readSlab    slab[readRes]
	readsSlab   slab[*readRes]
	fvalsSlab   slab[[]*term.T]
	visSlab     slab[int8]
	// learnSubs memoizes learnSub.
	learnSubs map[[2]*term.T]*learnedSub
	// Beliefs, which live as long as the closer, come from these.
	beliefSlab slab[Belief]
	idsSlab    slab[int32]
	statesSlab slab[*model.State]
}

// srec is what the closer knows about one state.
type srec struct {
	s       *model.State
	movesOK bool
	moves   []move      // nil until computed
	reads   []*readRes  // per register slot, nil until computed
	vis     []int8      // per register slot: 0 unknown, 1 visible, 2 not
	faults  []int8      // per fault: 0 unknown, 1 holds, 2 not
	fvals   [][]*term.T // per register slot: what its fields read as
	writes  []wdone     // the writes done in this state, in act order
}

// regSlot is register ri's slot, numbering it if it has none yet.
func (c *closer) regSlot(ri int) int {
	if c.slot[ri] == 0 {
		c.nslots++
		c.slot[ri] = int32(c.nslots)
	}
	return int(c.slot[ri]) - 1
}

// fit makes a per-slot cache long enough for slot k, to every slot
// numbered so far. A state's first cache comes from sl.
func fit[T any](cache []T, k, nslots int, sl *slab[T]) []T {
	if k < len(cache) {
		return cache
	}
	if cache == nil {
		return sl.run(nslots)
	}
	return append(cache, make([]T, nslots-len(cache))...)
}

// readRes is a driver read of one register in one state.
type readRes struct {
	vals []*term.T
	next int32
	viol bool
	// learnt caches, per driver variable, the state after the driver
	// learned the data fields' values into it.
	learnt  []learnt
	learnt1 [1]learnt // room for the first
}

// learnt is learnRead's result for the driver variable rv.
type learnt struct {
	rv *term.T
	lr *learnRes
}

// learnRes is the state after a read in which the values of data fields
// became known as slices of the read variable, and the substitutions
// (applied in order) that turned the values into those slices.
type learnRes struct {
	next int32
	subs []map[string]*term.T
	// entries lists, per substitution, its keys that are entry values:
	// what the driver learns of the method's start.
	entries [][]string
	// Room for the first substitution, which most reads make alone.
	sub1     [1]map[string]*term.T
	entries1 [1][]string
}

// learnRead applies what a read (rr, of register r, into variable rv)
// teaches about the data fields to the state after the read.
func (c *closer) learnRead(rr *readRes, r *model.Reg, data []int, rv *term.T) *learnRes {
	for _, l := range rr.learnt {
		if l.rv == rv {
			return l.lr
		}
	}
	lr := c.learnSlab.one()
	lr.next = rr.next
	lr.subs, lr.entries = lr.sub1[:0], lr.entries1[:0]
	base := c.recs[rr.next].s
	st := base
	for _, fi := range data {
		f := r.Fields[fi]
		ls := c.learnSub(rr.vals[fi], term.Sl(rv, f.Lo+f.Width-1, f.Lo))
		if len(ls.sub) > 0 {
			// Built in scratch space: intern keeps a copy if it is new.
			st.SubstTo(&c.scratchState, ls.sub)
			st = &c.scratchState
			lr.subs = append(c.subsSlab.room(lr.subs, len(data)), ls.sub)
			lr.entries = append(c.entriesSlab.room(lr.entries, len(data)), ls.entries)
		}
	}
	if len(lr.subs) > 0 {
		lr.next = c.internFrom(st, base)
	}
	if rr.learnt == nil {
		rr.learnt = rr.learnt1[:0]
	}
	rr.learnt = append(rr.learnt, learnt{rv: rv, lr: lr})
	return lr
}

// learnSub is what learn finds for value t read into r, made once: the
// same value is read into the same variable slice in many states, and
// neither the substitution nor the entries change once made.
func (c *closer) learnSub(t, r *term.T) *learnedSub {
	k := [2]*term.T{t, r}
	ls := c.learnSubs[k]
	if ls == nil {
		ls = &learnedSub{sub: map[string]*term.T{}}
		learn(t, r, ls.sub, &ls.entries)
		if c.learnSubs == nil {
			c.learnSubs = map[[2]*term.T]*learnedSub{}
		}
		c.learnSubs[k] = ls
	}
	return ls
}

// learnedSub is a substitution learn made and the entry values among its
// keys.
type learnedSub struct {
	sub     map[string]*term.T
	entries []string
}

type wres struct {
	next int32
	viol bool
	// diff marks what the write changed (closer.diffMask).
	diff uint64
}

// wdone is the result of write act in a state, packed: next is -1 where
// the write breaks a require (wres.viol).
type wdone struct {
	act, next int32
	diff      uint64
}

func (d wdone) res() wres { return wres{next: d.next, viol: d.next < 0, diff: d.diff} }

func newCloser(m *model.Model) *closer {
	c := &closer{m: m, wacts: map[string]int32{}, dead: deadVars(m), sliced: sliceVars(m),
		slot: make([]int32, len(m.Regs)), guards: newGuardMemos(m)}
	c.fold = make([]int, len(m.Vars))
	for j, i := range c.dead {
		c.deadVal = append(c.deadVal, term.E(m.Vars[i].Name, m.Vars[i].Width))
		c.fold[i] = j + 1
	}
	for _, i := range c.sliced {
		c.fold[i] = -1
	}
	return c
}

// normalize folds what cannot matter: dead data the driver could not name,
// and sliced variables, which it holds at their reset values. It returns s
// itself when nothing changes, and changes the scratch state in place.
func (c *closer) normalize(s *model.State) *model.State {
	cloned := s == &c.scratchState
	set := func(i int, v *term.T) {
		if !cloned {
			s, cloned = s.Clone(), true
		}
		s.Set(i, v)
	}
	for j, i := range c.dead {
		if v := s.Val(i); v != c.deadVal[j] && !available(v) {
			set(i, c.deadVal[j])
		}
	}
	for _, i := range c.sliced {
		if r := c.m.Vars[i].Reset; s.Val(i) != r {
			set(i, r)
		}
	}
	return s
}

// normalizeFrom is normalize(s) for s built from base, a state the
// closer keeps (normalized, so): when s differs from base only beside
// its trie, only the variables it changed can need folding.
func (c *closer) normalizeFrom(s, base *model.State) *model.State {
	changed, ok := s.AppendChangedOver(c.scratchVars[:0], base)
	c.scratchVars = changed
	if !ok {
		return c.normalize(s)
	}
	cloned := s == &c.scratchState
	for _, i := range changed {
		k := c.fold[i]
		if k == 0 {
			continue
		}
		x, v := s.Val(int(i)), c.m.Vars[i].Reset // sliced: held at reset
		if k > 0 {
			v = c.deadVal[k-1]
			if available(x) {
				continue // the driver can name it: kept
			}
		}
		if x == v {
			continue
		}
		if !cloned {
			s, cloned = s.Clone(), true
		}
		s.Set(int(i), v)
	}
	return s
}

// isSliced reports whether variable i is held at its reset value.
func (c *closer) isSliced(i int) bool {
	for _, x := range c.sliced {
		if x == i {
			return true
		}
	}
	return false
}

// intern numbers a state. A state numbered before is found by its hash
// and compared where it differs, which costs no interning of its trie;
// only a new state's trie is interned, so that the states the closer
// keeps share their nodes.
func (c *closer) intern(s *model.State) int32 {
	return c.internNormal(c.normalize(s))
}

// internFrom is intern(s) for s built from state base of the closer.
func (c *closer) internFrom(s, base *model.State) int32 {
	return c.internNormal(c.normalizeFrom(s, base))
}

// internNormal is intern(s) for s normalized.
func (c *closer) internNormal(s *model.State) int32 {
	h := s.Hash()
	if id := c.ids.find(h, func(id int32) bool { return c.states[id].Equal(s) }); id >= 0 {
		return id
	}
	if s == &c.scratchState {
		kept := c.stateSlab.one()
		s.CloneTo(kept)
		s = kept
	}
	s.ID()
	id := int32(len(c.recs))
	c.ids.add(h)
	r := c.recSlab.one()
	*r = srec{s: s}
	c.recs = append(c.recs, r)
	c.states = append(c.states, s)
	c.bids = append(c.bids, -1)
	c.mark = append(c.mark, 0)
	c.succAt = append(c.succAt, 0)
	return id
}

// nextGen starts a new union.
func (c *closer) nextGen() uint32 {
	c.gen++
	if c.gen == 0 {
		clear(c.mark)
		c.gen = 1
	}
	return c.gen
}

// newBelief builds a belief from states.
func (c *closer) newBelief(states []*model.State, learned map[string]*term.T) *Belief {
	ids := make([]int32, len(states))
	for i, s := range states {
		ids[i] = c.intern(s)
	}
	return c.newBeliefIDs(ids, learned)
}

// newBeliefIDs builds a belief from interned states. Its key is the sorted
// list of their numbers and what the driver learned. A belief with that key
// built before is returned as it is: beliefs are never changed once built,
// and learned holds the same values then.
func (c *closer) newBeliefIDs(in []int32, learned map[string]*term.T) *Belief {
	lkey := learnedKey(learned)
	g, h := c.beliefSet(in, lkey)
	if b := c.findSet(g, h, lkey); b != nil {
		return b
	}
	return c.addBelief(in, h, lkey, learned)
}

// beliefSet gathers the distinct states of in (in any order, repeats
// allowed) in c.scratchIDs, in no order, marks them with a new
// generation, and returns it and the hash of the belief of those states
// and the learned values whose key part (appendLearnedKey) is lkey. The
// hash does not depend on the states' order, so a belief built before
// (most are) is found without sorting them or building its key.
func (c *closer) beliefSet(in []int32, lkey string) (uint32, uint64) {
	g := c.nextGen()
	set := c.scratchIDs[:0]
	h := c.beliefs.lkeyHash(lkey)
	for _, id := range in {
		if c.mark[id] == g {
			continue
		}
		c.mark[id] = g
		set = append(set, id)
		h += idHash(id)
	}
	c.scratchIDs = set
	return g, h
}

// idHash is the part of a belief's hash one of its states adds.
func idHash(id int32) uint64 {
	return mix.Bits(uint64(id) + 0x9e3779b97f4a7c15)
}

// findSet is the belief of the states beliefSet just gathered (marked g,
// hashed h) with the learned part lkey, or nil.
func (c *closer) findSet(g uint32, h uint64, lkey string) *Belief {
	n := len(c.scratchIDs)
	return c.beliefs.find(h, func(b *Belief) bool {
		if len(b.ids) != n || b.lkey != lkey {
			return false
		}
		for _, id := range b.ids {
			if c.mark[id] != g {
				return false
			}
		}
		return true
	})
}

// addBelief builds the belief of the states in (those beliefSet just
// gathered, hashed h) and learned, whose key part is lkey.
func (c *closer) addBelief(in []int32, h uint64, lkey string, learned map[string]*term.T) *Belief {
	// States are numbered in the order beliefs first list them.
	for _, id := range in {
		if c.bids[id] < 0 {
			c.bids[id] = c.bnext
			c.bnext++
		}
	}
	sorted := c.scratchIDs
	slices.Sort(sorted)
	kb := binary.LittleEndian.AppendUint32(c.scratchKey[:0], uint32(len(sorted)))
	for _, id := range sorted {
		kb = binary.LittleEndian.AppendUint32(kb, uint32(id))
	}
	lkeyAt := len(kb)
	kb = append(kb, lkey...)
	c.scratchKey = kb
	ids := append(c.idsSlab.run(len(sorted))[:0], sorted...)
	slices.SortFunc(ids, func(x, y int32) int { return cmp.Compare(c.bids[x], c.bids[y]) })
	b := c.beliefSlab.one()
	*b = Belief{States: c.statesSlab.run(len(ids)), Learned: learned, ids: ids, num: int32(len(c.beliefs.list))}
	for i, id := range ids {
		b.States[i] = c.states[id]
	}
	b.key = string(kb)
	b.lkey = b.key[lkeyAt:]
	c.beliefs.add(h, b)
	return b
}

// closeBelief is newBeliefIDs(close(states), learned), where lkey is
// appendLearnedKey of learned: the callers make it once for the many
// beliefs one expansion closes (for most, it is the expanded belief's
// lkey). When states are those of a belief some closure gave before, the
// closure would add nothing (every state of a closed set leads only into
// it) and is not computed again: its moves were all computed then, so
// skipping it interns nothing less.
func (c *closer) closeBelief(states []int32, learned map[string]*term.T, lkey string) (*Belief, error) {
	g, h := c.beliefSet(states, lkey)
	b := c.findSet(g, h, lkey)
	if b != nil && b.closed {
		return b, nil
	}
	n := len(c.scratchIDs)
	closed, err := c.close(states)
	if err != nil {
		return nil, err
	}
	// When the closure added nothing, the set is the one just looked up,
	// still in scratch space (close gathers none).
	if len(closed) != n {
		g, h = c.beliefSet(closed, lkey)
		b = c.findSet(g, h, lkey)
	}
	if b == nil {
		b = c.addBelief(closed, h, lkey, learned)
	}
	b.closed = true
	return b, nil
}

// learnedKey is appendLearnedKey(nil, learned) as a string.
func learnedKey(learned map[string]*term.T) string {
	if len(learned) == 0 {
		return ""
	}
	var buf [256]byte // most keys fit: then only the string is made
	return string(appendLearnedKey(buf[:0], learned))
}

// appendLearnedKey appends the canonical text of learned to kb: its
// entries as key=value, in key order, joined by commas.
func appendLearnedKey(kb []byte, learned map[string]*term.T) []byte {
	if len(learned) == 0 {
		return kb
	}
	var buf [16]string
	keys := buf[:0]
	for k := range learned {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			kb = append(kb, ',')
		}
		kb = append(append(append(kb, k...), '='), learned[k].Key()...)
	}
	return kb
}

// within reports whether belief a is a subset of belief b with the same
// learned values.
func (c *closer) within(a, b *Belief) bool {
	if len(a.ids) > len(b.ids) {
		return false
	}
	if a.lkey != b.lkey {
		return false
	}
	g := c.nextGen()
	for _, id := range b.ids {
		c.mark[id] = g
	}
	for _, id := range a.ids {
		if c.mark[id] != g {
			return false
		}
	}
	return true
}

// close adds every state the device can reach by itself: internal
// transitions, fair or not, and inputs from the outside world. The result
// lists the given states first, then, depth first, what each adds (a
// state reached from an earlier one is not explored again: everything it
// reaches is already in). The result is scratch space, valid until the
// next close: a caller that keeps it copies it (newBeliefIDs does).
func (c *closer) close(states []int32) ([]int32, error) {
	g := c.nextGen()
	out, work := c.closeOut[:0], c.closeWork[:0]
	defer func() { c.closeOut, c.closeWork = out[:0], work[:0] }()
	for _, id := range states {
		if c.mark[id] == g {
			continue
		}
		c.mark[id] = g
		out = append(out, id)
		work = append(work[:0], id)
		for len(work) > 0 {
			x := work[len(work)-1]
			work = work[:len(work)-1]
			if c.succAt[x] == 0 {
				if _, err := c.moves(x); err != nil {
					return nil, err
				}
			}
			at := c.succAt[x]
			for _, y := range c.succ[at : at+c.succ[at-1]] {
				if c.mark[y] != g {
					c.mark[y] = g
					out = append(out, y)
					work = append(work, y)
				}
			}
		}
		if len(out) > maxBeliefStates {
			return nil, fmt.Errorf("a belief grew past %d states: the device's own moves are too nondeterministic to enumerate", maxBeliefStates)
		}
	}
	return out, nil
}

// moves lists what the device may do by itself in state id.
func (c *closer) moves(id int32) ([]move, error) {
	r := c.recs[id]
	if r.movesOK {
		return r.moves, nil
	}
	mv, err := deviceMoves(c, r.s)
	if err != nil {
		return nil, err
	}
	r.moves, r.movesOK = mv, true
	c.succ = append(c.succ, int32(len(mv)))
	c.succAt[id] = int32(len(c.succ))
	for _, x := range mv {
		c.succ = append(c.succ, x.next)
	}
	return mv, nil
}

// read is a driver read of register ri in state id.
func (c *closer) read(id int32, ri int, reg *model.Reg) (*readRes, error) {
	r := c.recs[id]
	k := c.regSlot(ri)
	r.reads = fit(r.reads, k, c.nslots, &c.readsSlab)
	if rr := r.reads[k]; rr != nil {
		return rr, nil
	}
	vals, viol, err := c.m.ReadRegTo(&c.scratchState, r.s, reg, c.valsSlab.run(len(reg.Fields)))
	if err != nil {
		return nil, err
	}
	rr := c.readSlab.one()
	*rr = readRes{vals: vals, viol: viol != nil, next: -1}
	if viol == nil {
		rr.next = c.internFrom(&c.scratchState, r.s)
	}
	r.reads[k] = rr
	return rr, nil
}

// writeAct numbers the write of vals into register ri.
func (c *closer) writeAct(ri int, vals []*term.T) int32 {
	kb := binary.LittleEndian.AppendUint32(c.scratchKey[:0], uint32(ri))
	for _, v := range vals {
		kb = binary.LittleEndian.AppendUint32(kb, v.ID())
	}
	c.scratchKey = kb
	a, ok := c.wacts[string(kb)]
	if !ok {
		a = int32(len(c.wacts))
		c.wacts[string(kb)] = a
	}
	return a
}

// write is a driver write (act, numbered by writeAct) of register reg with
// vals in state id: the successor, or a violated require.
func (c *closer) write(id int32, act int32, reg *model.Reg, vals []*term.T) (wres, error) {
	r := c.recs[id]
	// A state's writes are kept in act order; acts are numbered as first
	// tried, and every state tries them in much the same order, so a new
	// one mostly goes at the end.
	at := searchWrites(r.writes, act)
	if at < len(r.writes) && r.writes[at].act == act {
		return r.writes[at].res(), nil
	}
	// The state after the write is built in scratch space: intern keeps a
	// copy only when it is new, which most are not.
	viol, err := c.m.WriteRegTo(&c.scratchState, r.s, reg, vals)
	if err != nil {
		return wres{}, err
	}
	w := wres{viol: viol != nil, next: -1}
	if viol == nil {
		w.next = c.internFrom(&c.scratchState, r.s)
		w.diff = c.diffMask(id, w.next)
	}
	// Most states see a few writes: room for them at once.
	r.writes = c.wdoneSlab.room(r.writes, 8)
	r.writes = slices.Insert(r.writes, at, wdone{act: act, next: w.next, diff: w.diff})
	return w, nil
}

// diffMask marks what differs between states a and b: bit i for variable
// i, when the model has at most diffVars of them, and the top bit when
// they hold different numbers of events. Without the variables' bits
// (more variables) a caller compares the states themselves.
func (c *closer) diffMask(a, b int32) uint64 {
	if a == b {
		return 0
	}
	sa, sb := c.states[a], c.states[b]
	var m uint64
	if len(sa.Events) != len(sb.Events) {
		m |= eventsDiffer
	}
	if len(c.m.Vars) <= diffVars {
		sa.Diff(sb, func(i int) { m |= 1 << uint(i) })
	}
	return m
}

const (
	diffVars     = 63
	eventsDiffer = 1 << 63
)

// searchWrites is where act is, or belongs, in writes (in act order).
// (slices.BinarySearchFunc costs a call per step here, in the closer's
// hottest lookup.)
func searchWrites(writes []wdone, act int32) int {
	lo, hi := 0, len(writes)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if writes[mid].act < act {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// fieldVals is what the fields of register ri read as in state id (without
// performing the read).
func (c *closer) fieldVals(id int32, ri int, reg *model.Reg) ([]*term.T, error) {
	r := c.recs[id]
	k := c.regSlot(ri)
	r.fvals = fit(r.fvals, k, c.nslots, &c.fvalsSlab)
	if v := r.fvals[k]; v != nil {
		return v, nil
	}
	v := c.valsSlab.run(len(reg.Fields)) // kept as long as the state
	for i, f := range reg.Fields {
		x, err := c.m.FieldValue(f, r.s)
		if err != nil {
			return nil, err
		}
		v[i] = x
	}
	r.fvals[k] = v
	return v, nil
}

// visible reports whether the bank condition of register ri (bank) holds
// in state id.
func (c *closer) visible(id int32, ri int, bank *dsl.Expr) (bool, error) {
	if bank == nil {
		return true, nil // in every bank: nothing to look up
	}
	r := c.recs[id]
	k := c.regSlot(ri)
	r.vis = fit(r.vis, k, c.nslots, &c.visSlab)
	if v := r.vis[k]; v != 0 {
		return v == 1, nil
	}
	ok, err := c.m.Visible(bank, r.s)
	if err != nil {
		return false, err
	}
	r.vis[k] = 2
	if ok {
		r.vis[k] = 1
	}
	return ok, nil
}

// fault reports whether fault fi holds in state id.
func (c *closer) fault(id int32, fi int) (bool, error) {
	r := c.recs[id]
	if r.faults == nil {
		r.faults = make([]int8, len(c.m.Faults))
	}
	if v := r.faults[fi]; v != 0 {
		return v == 1, nil
	}
	ok, err := c.m.FaultHolds(c.m.Faults[fi], r.s)
	if err != nil {
		return false, err
	}
	r.faults[fi] = 2
	if ok {
		r.faults[fi] = 1
	}
	return ok, nil
}

// failureMark is the pseudo-event a state carries once the device took a
// transition the spec does not promise (one not marked fair) during the
// current method. A fault ends a method only in such states: a driver may
// report a failure the device chose, never one it provoked itself (by
// writing an invalid command, say), which the game would otherwise count
// as a cheap win.
const failureMark = "!unforced"

// markFailure emits failureMark in s. A state with no events yet gets
// the one list the closer keeps of that event alone: most states have
// none, and the list would be made for each only to be dropped, as most
// successors are known already.
func (c *closer) markFailure(s *model.State) {
	none := len(s.Events) == 0
	if none && c.failureOnly != nil {
		s.ShareEvents(c.failureOnly)
		return
	}
	s.Emit(model.Event{Name: failureMark})
	if none {
		c.failureOnly = s.Events
	}
}

type move struct {
	t     *model.Transition
	input bool
	next  int32
}

// deviceMoves lists what the device may do by itself in s.
func deviceMoves(c *closer, s *model.State) ([]move, error) {
	m := c.m
	out := c.scratchMoves[:0]
	try := func(gi int, t *model.Transition, input bool) error {
		ok, err := c.enabled(gi, t, s)
		if err != nil || !ok {
			return err
		}
		n, err := m.FireTo(&c.scratchState, t, s, nil)
		if err != nil {
			return err
		}
		if n = c.normalizeFrom(n, s); n.Equal(s) {
			return nil
		}
		if !input && !t.Fair {
			// Remember that the device chose to fail (or to do anything
			// else the driver cannot count on): only such a state may end
			// a method with a fault.
			c.markFailure(n)
		}
		out = append(out, move{t: t, input: input, next: c.internNormal(n)})
		return nil
	}
	for i, t := range m.Internals {
		if err := try(i, t, false); err != nil {
			return nil, err
		}
	}
	for i, t := range m.Inputs {
		if err := try(len(m.Internals)+i, t, true); err != nil {
			return nil, err
		}
	}
	c.scratchMoves = out
	// Kept as long as the state: from the slab, of the length it needs.
	return append(c.movesSlab.run(len(out))[:0], out...), nil
}

// available reports whether generated code can produce t: it names only
// constants, request parameters and values the driver read.
func available(t *term.T) bool {
	return !t.Mentions(term.Entry, "") && !t.Mentions(term.Unknown, "")
}

// deadVars lists the data variables nothing ever reads: stored fields of
// write-only registers that no expression of the spec names (in their own
// register's write handler a bare field name is the value being written,
// not the stored one). What such a variable holds cannot matter, but a
// value the driver could not name anyway (an entry value, an unknown)
// would still split states that are the same device; the closer folds all
// of those into one. Values the driver can name are kept, because writes
// offer them as "keep" candidates.
func deadVars(m *model.Model) []int {
	named := map[string]bool{}
	expr := func(e *dsl.Expr) { collectAllNames(e, named) }
	stmts := func(ss []*dsl.Stmt) {
		walkStmts(ss, func(s *dsl.Stmt) {
			switch {
			case s.Require != nil:
				expr(s.Require.Cond)
			case s.If != nil:
				expr(s.If.Cond)
			case s.Assign != nil:
				expr(s.Assign.Value)
			case s.Emit != nil:
				for _, a := range s.Emit.Args {
					expr(a)
				}
			}
		})
	}
	for _, r := range m.Regs {
		expr(r.Bank)
		for _, f := range r.Fields {
			expr(f.Value)
		}
		stmts(r.OnRead)
		stmts(r.OnWrite)
	}
	for _, p := range m.Streams {
		expr(p.Bank)
		stmts(p.OnRead)
		stmts(p.OnWrite)
	}
	for _, t := range append(append([]*model.Transition(nil), m.Internals...), m.Inputs...) {
		expr(t.Guard)
		stmts(t.Body)
	}
	expr(m.IRQ)
	for _, f := range m.Faults {
		expr(f.Cond)
	}
	for _, pb := range m.Bindings {
		expr(pb.Body)
	}
	var out []int
	for i, v := range m.Vars {
		if v.Finite || v.Field == nil || v.Field.Reg.Read || named[v.Name] {
			continue
		}
		out = append(out, i)
	}
	return out
}
