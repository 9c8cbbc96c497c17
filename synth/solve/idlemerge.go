package solve

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"

	"github.com/drvsynth/drvsynth/synth/model"
)

// Two idle states that differ only in variables nothing will ever look at
// again are one state to every driver and every contract: the ATA disk's
// left (sectors still to move) and committing (a sector being written) are
// both set afresh by the next command before anything reads them, so the
// idle states a fault leaves with left = 1 or committing = 1 behave exactly
// like those with 0. The invariant keeps one of each such class (the dead
// variables at their reset values), which halves the states every ATA
// belief holds before the command is written.
//
// deadAt finds, for one idle state, a set D of state variables (not
// register fields) such that changing them changes nothing observable,
// ever. It runs the device's behaviour abstractly from the state with the
// variables of D unknown and tainted, every value the driver writes and
// every input unknown but untainted, and follows every register access,
// stream transfer, internal transition and input, through both branches of
// every condition it cannot decide. A taint that reaches something
// observable (a value a read shows, a condition that decides what the
// device does or whether the driver may act, an event's argument, a
// fault, the interrupt line, a class binding, data the contract may
// compare) makes the first variable it came from live: it leaves D, and
// once the run is over the next starts with it known. When a run ends with
// no such use, the state's behaviour does not depend on D at all (the
// standard noninterference argument: every observation is computed from
// untainted values only, and those are the same whatever D held), so the
// state and every state that differs from it only in D are bisimilar. A
// variable assigned an untainted value is clean again from there on: that
// is how left stops mattering once a READ SECTORS command sets it, and a
// state in which nothing is tainted any more needs no further look.

// deadLimit bounds the abstract states one run may visit; past it no
// variable is taken as dead (the answer is a property of the spec, and the
// default is the exact invariant, only larger).
const deadLimit = 20000

// aval is an abstract value: a known constant, or unknown (any value); and
// the candidate variables (bits, by index in deadAnalysis.cands) it depends
// on. A known value depends on none: it is the same whatever they held.
type aval struct {
	known bool
	val   uint64
	taint uint64
}

func avKnown(v uint64) aval { return aval{known: true, val: v} }

var avAny = aval{}

// deadAnalysis is the analysis of one model; deadAt answers per state.
type deadAnalysis struct {
	m      *model.Model
	cands  []int // finite state variables that are not register fields
	finite []int
	// slot is where a variable's value sits in an abstract state, which
	// holds the finite variables only (-1 for a data variable: always
	// unknown and untainted), so that a step costs what the finite part
	// does, whatever number of data registers the device has.
	slot []int
	bit  map[int]uint64
	// members resolves a bare enum member that is not read against an
	// enum (as the model's uniqueMember): -1 when ambiguous.
	members map[string]int64
	// known groups the states analysed by their dead variables: a state
	// that agrees with one of them outside those is dead in the same
	// ones (the runs that found them go the same way from it).
	known []*deadClass
	exact map[string][]int // by FiniteSig
	blame uint64           // of the step under way
	// runs remembers each run by where it starts: most idle states start
	// the first run alike (every candidate tainted).
	runs map[int32]runResult
	// The abstract states the runs met, by key: a state's step is the
	// same in every run (whatever the run started from, and whichever
	// candidates it taints), so each is stepped once, and a run that
	// meets it again follows what that step found. visited holds the
	// number of the last run to meet each.
	ids     map[string]int32
	nodes   []deadNode
	visited []uint32
	runNo   uint32

	// The behaviour, compiled (idlemerge_code.go).
	fields   map[*model.Field]*acode
	observed []*acode // faults, the interrupt line, the class bindings
	regs     []*deadReg
	streams  []*deadStream
	trans    []*deadTrans

	// Scratch of the run under way: the states a step ends in, abstract
	// states to reuse, the field values a read shows, a key.
	out    [][]aval
	spare  [][]aval
	vals   []aval
	keyBuf []byte
}

// deadReg is a register as the analysis steps it.
type deadReg struct {
	bank *acode // nil: always visible
	// read: a read can show a finite value or change the state; it
	// shows fields, and runs onRead when changes (after clearing what
	// clears says).
	read, changes bool
	fields        []*acode
	clears        []rcClear
	onRead        *anode
	// write: a write can change the state; it runs onWrite, then stores
	// the values written (unknown) into the finite fields stores names.
	write   bool
	onWrite *anode
	stores  []fieldStore
	noVals  []aval // the values written: unknown, untainted
}

// rcClear is what a read clears: a stored field's variable (to 0), or
// a variable a field without storage shows (unknown, keeping its taint).
type rcClear struct {
	slot int
	zero bool
}

// fieldStore is a written field's variable: a write-1-to-clear field
// keeps its taint (a 0 bit leaves it), any other takes the value.
type fieldStore struct {
	slot int
	w1c  bool
}

// deadStream is a stream as the analysis steps it.
type deadStream struct {
	bank            *acode
	read, write     bool
	layouts         []deadLayout
	onRead, onWrite *anode
}

// deadLayout is a layout's condition (nil: always) and the values it
// shows.
type deadLayout struct {
	when   *acode
	fields []*acode
}

// deadTrans is an internal transition or an input.
type deadTrans struct {
	guard *acode // nil: always enabled
	body  *anode
}

// deadNode is an abstract state a run met: the state until it is
// stepped, and then what its step used (see use) and where it leads.
type deadNode struct {
	state   []aval
	stepped bool
	blame   uint64
	next    []int32
}

type runResult struct {
	live uint64
	ok   bool
}

type deadClass struct {
	dead []int
	skip []bool
	sigs map[string]bool
}

func newDeadAnalysis(m *model.Model) *deadAnalysis {
	da := &deadAnalysis{m: m, bit: map[int]uint64{}, members: map[string]int64{}, runs: map[int32]runResult{}, ids: map[string]int32{}, exact: map[string][]int{}, fields: map[*model.Field]*acode{}}
	da.slot = make([]int, len(m.Vars))
	for i, v := range m.Vars {
		da.slot[i] = -1
		if v.Finite {
			da.slot[i] = len(da.finite)
			da.finite = append(da.finite, i)
		}
		if v.Finite && v.Field == nil && len(da.cands) < 64 {
			da.bit[i] = 1 << len(da.cands)
			da.cands = append(da.cands, i)
		}
	}
	add := func(en *model.Enum) {
		if en == nil {
			return
		}
		for _, mb := range en.Members {
			if old, ok := da.members[mb.Name]; ok && old != int64(mb.Value) {
				da.members[mb.Name] = -1
			} else {
				da.members[mb.Name] = int64(mb.Value)
			}
		}
	}
	for _, v := range m.Vars {
		add(v.Enum)
	}
	for _, r := range m.Regs {
		for _, f := range r.Fields {
			add(f.Enum)
		}
	}
	da.compileModel()
	return da
}

// compileModel compiles what a step evaluates and runs.
func (da *deadAnalysis) compileModel() {
	m := da.m
	for _, f := range m.Faults {
		da.observed = append(da.observed, da.compile(f.Cond, nil, nil))
	}
	if m.IRQ != nil {
		da.observed = append(da.observed, da.compile(m.IRQ, nil, nil))
	}
	for _, name := range sortedKeys(m.Bindings) {
		pb := m.Bindings[name]
		locals := map[string]bool{}
		for _, p := range pb.Params {
			locals[p.Name] = true
		}
		da.observed = append(da.observed, da.compile(pb.Body, &ascope{locals: locals}, nil))
	}
	for _, r := range m.Regs {
		// A register that is neither read nor written is still
		// visible or not: its bank is a condition the run decides.
		if dr := da.compileReg(r); dr.read || dr.write || dr.bank != nil {
			da.regs = append(da.regs, dr)
		}
	}
	for _, p := range m.Streams {
		da.streams = append(da.streams, da.compileStream(p))
	}
	for _, t := range append(append([]*model.Transition(nil), m.Internals...), m.Inputs...) {
		locals := map[string]bool{}
		for _, p := range t.Params {
			locals[p.Name] = true
		}
		dt := &deadTrans{body: da.compileStmts(t.Body, &ascope{locals: locals}, nil)}
		if t.Guard != nil {
			dt.guard = da.compile(t.Guard, nil, nil)
		}
		da.trans = append(da.trans, dt)
	}
}

// compileReg compiles r's accesses. A read that shows only stored data
// shows unknown, untainted values and changes nothing; a write that only
// stores data (which stays unknown and untainted) leaves the state as it
// was: neither is a step (on a spec with hundreds of such registers,
// trying each from every abstract state was most of the analysis).
func (da *deadAnalysis) compileReg(r *model.Reg) *deadReg {
	dr := &deadReg{}
	if r.Bank != nil {
		dr.bank = da.compile(r.Bank, nil, nil)
	}
	sc := &ascope{reg: r}
	if r.Read {
		dr.changes = len(r.OnRead) > 0 || hasRC(r)
		dr.read = dr.changes
		for _, f := range r.Fields {
			dr.read = dr.read || !f.Stored || da.m.Vars[f.Var].Finite
		}
	}
	if dr.read {
		for _, f := range r.Fields {
			dr.fields = append(dr.fields, da.fieldCode(f))
			switch {
			case !f.RC:
			case f.Stored:
				if k := da.slot[f.Var]; k >= 0 {
					dr.clears = append(dr.clears, rcClear{slot: k, zero: true})
				}
			case f.Value != nil:
				for _, k := range da.mentioned(f.Value) {
					dr.clears = append(dr.clears, rcClear{slot: k})
				}
			}
		}
		dr.onRead = da.compileStmts(r.OnRead, sc, nil)
	}
	if r.Write {
		dr.write = len(r.OnWrite) > 0
		for _, f := range r.Fields {
			if !f.Stored {
				continue
			}
			if k := da.slot[f.Var]; k >= 0 {
				dr.write = true
				dr.stores = append(dr.stores, fieldStore{slot: k, w1c: f.W1C})
			}
		}
	}
	if dr.write {
		dr.onWrite = da.compileStmts(r.OnWrite, sc, nil)
		dr.noVals = make([]aval, len(r.Fields))
	}
	return dr
}

func (da *deadAnalysis) compileStream(p *model.Stream) *deadStream {
	ds := &deadStream{read: p.Read, write: p.Write}
	if p.Bank != nil {
		ds.bank = da.compile(p.Bank, nil, nil)
	}
	sc := &ascope{locals: map[string]bool{"buf": true}}
	if p.Read {
		for _, l := range p.Layouts {
			var dl deadLayout
			if l.When != nil {
				dl.when = da.compile(l.When, nil, nil)
			}
			for _, f := range l.Fields {
				if f.Value != nil {
					dl.fields = append(dl.fields, da.compile(f.Value, nil, nil))
				}
			}
			ds.layouts = append(ds.layouts, dl)
		}
		ds.onRead = da.compileStmts(p.OnRead, sc, nil)
	}
	if p.Write {
		ds.onWrite = da.compileStmts(p.OnWrite, sc, nil)
	}
	return ds
}

func hasRC(r *model.Reg) bool {
	for _, f := range r.Fields {
		if f.RC {
			return true
		}
	}
	return false
}

// deadAt lists the variables dead in s (indexes into m.Vars, ascending).
func (da *deadAnalysis) deadAt(s *model.State) []int {
	sig := da.m.FiniteSig(s)
	if d, ok := da.exact[sig]; ok {
		return d
	}
	for _, c := range da.known {
		if c.sigs[da.sigWithout(c.skip, s)] {
			da.exact[sig] = c.dead
			return c.dead
		}
	}

	start := make([]aval, len(da.finite))
	for k, i := range da.finite {
		if val := s.Val(i); val.IsConst() {
			start[k] = avKnown(val.Val)
		}
	}
	d := uint64(0)
	for _, i := range da.cands {
		d |= da.bit[i]
	}
	for d != 0 {
		live, ok := da.run(start, d)
		if !ok {
			tracef("idle merge: a dead-variable run passed %d abstract states; this idle state keeps all its variables", deadLimit)
			d = 0
			break
		}
		if live == 0 {
			break
		}
		d &^= live
	}
	var out []int
	for _, i := range da.cands {
		if d&da.bit[i] != 0 {
			out = append(out, i)
		}
	}
	key := fmt.Sprint(out)
	var c *deadClass
	for _, x := range da.known {
		if fmt.Sprint(x.dead) == key {
			c = x
		}
	}
	if c == nil {
		c = &deadClass{dead: out, skip: make([]bool, len(da.m.Vars)), sigs: map[string]bool{}}
		for _, i := range out {
			c.skip[i] = true
		}
		da.known = append(da.known, c)
	}
	c.sigs[da.sigWithout(c.skip, s)] = true
	da.exact[sig] = out
	return out
}

// sigWithout encodes s's finite values but those skip marks.
func (da *deadAnalysis) sigWithout(skip []bool, s *model.State) string {
	b := make([]byte, 0, 4*len(da.m.Vars))
	for i, v := range da.m.Vars {
		if v.Finite && !skip[i] {
			b = binary.LittleEndian.AppendUint32(b, s.Val(i).ID())
		}
	}
	return string(b)
}

// run explores from start with the variables of d tainted, and returns
// the variables it found live (see use), or false past deadLimit.
func (da *deadAnalysis) run(start []aval, d uint64) (live uint64, ok bool) {
	st := append([]aval(nil), start...)
	for _, i := range da.cands {
		if d&da.bit[i] != 0 {
			st[da.slot[i]] = aval{taint: da.bit[i]}
		}
	}
	first := da.node(st)
	if r, ok := da.runs[first]; ok {
		return r.live, r.ok
	}
	defer func() { da.runs[first] = runResult{live, ok} }()
	da.runNo++
	blame := uint64(0)
	queue := []int32{first}
	da.visited[first] = da.runNo
	for i := 0; i < len(queue); i++ {
		da.expand(queue[i])
		nd := &da.nodes[queue[i]]
		blame |= nd.blame
		for _, x := range nd.next {
			if da.visited[x] == da.runNo {
				continue
			}
			if len(queue) >= deadLimit {
				return 0, false
			}
			da.visited[x] = da.runNo
			queue = append(queue, x)
		}
	}
	return blame & d, true
}

// node is the id of the abstract state s, which it keeps when it is new
// (and else releases).
func (da *deadAnalysis) node(s []aval) int32 {
	k := da.key(s)
	if id, ok := da.ids[string(k)]; ok {
		da.release(s)
		return id
	}
	id := int32(len(da.nodes))
	da.ids[string(k)] = id
	da.nodes = append(da.nodes, deadNode{state: s})
	da.visited = append(da.visited, 0)
	return id
}

// expand steps node id once: what it uses, and its tainted successors
// (a successor in which nothing depends on a candidate any more, nor
// will, needs no look).
func (da *deadAnalysis) expand(id int32) {
	if da.nodes[id].stepped {
		return
	}
	s := da.nodes[id].state
	da.blame = 0
	da.out = da.out[:0]
	da.steps(s)
	var next []int32
	for _, after := range da.out {
		if !da.tainted(after) {
			da.release(after)
			continue
		}
		if x := da.node(after); x != id && !slices.Contains(next, x) {
			next = append(next, x)
		}
	}
	da.nodes[id] = deadNode{stepped: true, blame: da.blame, next: next}
	da.release(s)
}

// copyOf is a copy of the abstract state s, reusing a released one.
func (da *deadAnalysis) copyOf(s []aval) []aval {
	if n := len(da.spare); n > 0 {
		c := da.spare[n-1]
		da.spare = da.spare[:n-1]
		copy(c, s)
		return c
	}
	return append([]aval(nil), s...)
}

// release gives back an abstract state no longer needed.
func (da *deadAnalysis) release(s []aval) { da.spare = append(da.spare, s) }

// tainted reports whether some finite variable of s is tainted: data
// variables never hold a taint (see exec).
func (da *deadAnalysis) tainted(s []aval) bool {
	for _, a := range s {
		if a.taint != 0 {
			return true
		}
	}
	return false
}

// key encodes an abstract state (its finite variables: data ones are
// always unknown and untainted, see exec), in a buffer the next call
// reuses. Each value's tag byte says what follows it (a value of 32 or
// 64 bits, a taint), so that no two states share a key.
func (da *deadAnalysis) key(s []aval) []byte {
	const tainted = 4
	b := da.keyBuf[:0]
	for _, a := range s {
		var tag byte
		switch {
		case !a.known:
			tag = 0
		case a.val>>32 == 0:
			tag = 1
		default:
			tag = 2
		}
		if a.taint != 0 {
			tag |= tainted
		}
		b = append(b, tag)
		switch tag &^ tainted {
		case 1:
			b = binary.LittleEndian.AppendUint32(b, uint32(a.val))
		case 2:
			b = binary.LittleEndian.AppendUint64(b, a.val)
		}
		if a.taint != 0 {
			b = binary.LittleEndian.AppendUint64(b, a.taint)
		}
	}
	da.keyBuf = b
	return b
}

// use records that a is observable: when it is tainted, the first of the
// variables it depends on (in declaration order) is live. (Blaming the
// first only matters for precision: a guard like phase == Busy &&
// committing is about committing only once phase is known.)
func (da *deadAnalysis) use(a aval) {
	if a.taint != 0 {
		da.blame |= a.taint & -a.taint
	}
}

// decide is a condition that decides what happens: both ways when it is
// unknown. A tainted one goes neither way: the run has found a live
// variable, and goes on only to find more before the next run, which
// starts with it known.
func (da *deadAnalysis) decide(a aval) (canTrue, canFalse bool) {
	if a.taint != 0 {
		da.use(a)
		return false, false
	}
	if a.known {
		return a.val != 0, a.val == 0
	}
	return true, true
}

// visible reports whether a register or stream under bank can be
// accessed in s.
func (da *deadAnalysis) visible(bank *acode, s []aval) bool {
	if bank == nil {
		return true
	}
	t, _ := da.decide(da.eval(bank, s, nil))
	return t
}

// steps adds the abstract successors of s to da.out, after checking what
// s shows by itself (faults, the interrupt line, the class bindings).
func (da *deadAnalysis) steps(s []aval) {
	for _, c := range da.observed {
		da.use(da.eval(c, s, nil))
	}
	for _, r := range da.regs {
		if !da.visible(r.bank, s) {
			continue
		}
		if r.read {
			da.read(r, s)
		}
		if r.write {
			da.write(r, s)
		}
	}
	for _, p := range da.streams {
		if !da.visible(p.bank, s) {
			continue
		}
		if p.read {
			for _, l := range p.layouts {
				if l.when != nil {
					if t, _ := da.decide(da.eval(l.when, s, nil)); !t {
						continue
					}
				}
				for _, f := range l.fields {
					da.use(da.eval(f, s, nil))
				}
			}
			da.exec(p.onRead, da.copyOf(s), nil)
		}
		if p.write {
			da.exec(p.onWrite, da.copyOf(s), nil)
		}
	}
	for _, t := range da.trans {
		if t.guard != nil {
			if can, _ := da.decide(da.eval(t.guard, s, nil)); !can {
				continue
			}
		}
		da.exec(t.body, da.copyOf(s), nil)
	}
}

// read is a read of r in s: what it shows, and the states after it.
func (da *deadAnalysis) read(r *deadReg, s []aval) {
	vals := da.vals[:0]
	for _, f := range r.fields {
		v := da.eval(f, s, nil)
		da.use(v)
		vals = append(vals, v)
	}
	da.vals = vals
	if !r.changes {
		return
	}
	next := da.copyOf(s)
	for _, c := range r.clears {
		if c.zero {
			next[c.slot] = avKnown(0)
		} else {
			next[c.slot] = aval{taint: next[c.slot].taint}
		}
	}
	da.exec(r.onRead, next, vals)
}

// write is a write of r in s, of any value of every field: the states
// after it.
func (da *deadAnalysis) write(r *deadReg, s []aval) {
	from := len(da.out)
	da.exec(r.onWrite, da.copyOf(s), r.noVals)
	for _, after := range da.out[from:] {
		for _, st := range r.stores {
			if st.w1c {
				after[st.slot] = aval{taint: after[st.slot].taint}
			} else {
				after[st.slot] = avAny
			}
		}
	}
}

// representative is the state of s's class the invariant keeps: s with
// its dead variables at their reset values; and those variables.
func (da *deadAnalysis) representative(s *model.State) (*model.State, []int) {
	dead := da.deadAt(s)
	if len(dead) == 0 {
		return s, nil
	}
	c := s.Clone()
	for _, i := range dead {
		c.Set(i, da.m.Vars[i].Reset)
	}
	return c, dead
}

// idleClasses gives a goal's idle test: the set of keys of the classes of
// the invariant and the key of a state's class. A state belongs to the
// class of representative t when it agrees with t in every variable the
// invariant fixes (finite, not carried) except those free in t. States
// grouped by the variables free in them share one key function each.
func idleClasses(m *model.Model, carried []bool, idle map[string]*model.State, free map[string][]int) (map[string]bool, func(*model.State) string) {
	type group struct {
		prefix string
		skip   []bool
	}
	var groups []*group
	byPrefix := map[string]*group{}
	keys := map[string]bool{}
	for _, k := range sortedKeys(idle) {
		prefix := fmt.Sprint(free[k])
		gr := byPrefix[prefix]
		if gr == nil {
			gr = &group{prefix: prefix, skip: make([]bool, len(m.Vars))}
			for _, i := range free[k] {
				gr.skip[i] = true
			}
			byPrefix[prefix] = gr
			groups = append(groups, gr)
		}
		keys[gr.prefix+maskedSig(m, carried, gr.skip, idle[k])] = true
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].prefix < groups[j].prefix })
	return keys, func(s *model.State) string {
		for _, gr := range groups {
			if k := gr.prefix + maskedSig(m, carried, gr.skip, s); keys[k] {
				return k
			}
		}
		return ""
	}
}

// maskedSig is idleSig without the variables skip marks.
func maskedSig(m *model.Model, carried, skip []bool, s *model.State) string {
	b := make([]byte, 0, 4*s.Len())
	for i, v := range m.Vars {
		if v.Finite && !carried[i] && !skip[i] {
			b = binary.LittleEndian.AppendUint32(b, s.Val(i).ID())
		}
	}
	return string(b)
}
