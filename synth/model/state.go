package model

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync"

	"github.com/drvsynth/drvsynth/internal/mix"
	"github.com/drvsynth/drvsynth/synth/term"
)

// Event is a class event the device emitted, with its arguments.
type Event struct {
	Name string
	Args []*term.T
	// id numbers the event in its model's event table once a state
	// recorded it (0 before).
	id uint32
}

// eventTable numbers the distinct events of one model's states and keeps
// the canonical spelling that orders them.
type eventTable struct {
	mu   sync.Mutex
	ids  map[eventKey]uint32
	more map[string]uint32 // events with more arguments than eventKey holds
	keys []string          // by id; keys[0] is unused
	// sets numbers the distinct lists of events states hold (by their
	// events' ids, in order), from 1; 0 is no events.
	sets map[string]uint32
}

const eventKeyArgs = 8

type eventKey struct {
	name string
	n    int
	args [eventKeyArgs]*term.T
}

// number returns the id of e, assigning one on first sight.
func (t *eventTable) number(e *Event) uint32 {
	if e.id != 0 {
		return e.id
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ids == nil {
		t.ids, t.more, t.keys = map[eventKey]uint32{}, map[string]uint32{}, []string{""}
	}
	var k eventKey
	var long string
	if len(e.Args) <= eventKeyArgs {
		k = eventKey{name: e.Name, n: len(e.Args)}
		copy(k.args[:], e.Args)
		if id, ok := t.ids[k]; ok {
			e.id = id
			return id
		}
	} else {
		long = spellEvent(*e)
		if id, ok := t.more[long]; ok {
			e.id = id
			return id
		}
	}
	id := uint32(len(t.keys))
	t.keys = append(t.keys, spellEvent(*e))
	if long != "" {
		t.more[long] = id
	} else {
		t.ids[k] = id
	}
	e.id = id
	return id
}

// setID is the number of the list of events evs (in a state's order).
func (t *eventTable) setID(evs []Event) uint32 {
	if len(evs) == 0 {
		return 0
	}
	var buf [64]byte
	b := buf[:0]
	for i := range evs {
		b = binary.LittleEndian.AppendUint32(b, t.number(&evs[i]))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.sets[string(b)]; ok {
		return id
	}
	if t.sets == nil {
		t.sets = map[string]uint32{}
	}
	id := uint32(len(t.sets) + 1)
	t.sets[string(b)] = id
	return id
}

func (t *eventTable) spelling(id uint32) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.keys[id]
}

// spellEvent is the canonical text of an event: events are listed in the
// order of these strings.
func spellEvent(e Event) string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = a.Key()
	}
	return e.Name + "(" + strings.Join(parts, ",") + ")"
}

// tables are the interning tables one model's states share.
type tables struct {
	shape  shape
	nodes  nodeTable
	events eventTable
}

// State is one possible state of the device: a value for every variable,
// and the class events emitted since the current method started.
//
// A state is cheap to copy: Clone shares everything, and Set copies only
// the path to the value it changes (see vec.go). Events is shared between
// clones too; treat it as read-only (Emit and ClearEvents replace it).
//
// The last few assignments wait beside the trie (pend) until the state is
// numbered (ID), which interns the trie with them applied: a move whose
// result the game knows already then copies no node at all.
//
// The fields Equal reads of a numbered state (no pend) come first: they
// share one cache line, which is the one a lookup's hit loads.
type State struct {
	tab    *tables
	root   *vnode
	Events []Event
	id     uint64 // ID's result; 0 until it is computed
	// hash is the sum of valueHash over the values, kept up to date by
	// Set: equal states have equal hashes, so most unequal ones are told
	// apart without looking at their values (Equal, Hash).
	hash uint64
	own  uint32 // the token of the nodes this state may change in place
	// The npend assignments pend[:npend] are not in the trie yet: one per
	// variable, in index order.
	npend uint8
	pend  [maxPend]pendSet
}

// valueHash is the part of a state's hash that variable i holding v adds.
// States sum it with XOR, so that Set can take a value's part out again.
func valueHash(i int, v *term.T) uint64 {
	return mix.Bits(uint64(i)<<32 | uint64(v.ID()))
}

// hashTrie is the hash of the values in root.
func (sh shape) hashTrie(root *vnode) uint64 {
	var h uint64
	sh.each(root, func(i int, v *term.T) { h ^= valueHash(i, v) })
	return h
}

// maxPend is how many assignments a state holds beside its trie: enough
// for the writes of most moves (an input that brings seven values, like
// the RTC's tick, included), few enough that Val stays cheap.
const maxPend = 8

// Reset is the state the device is in after reset.
func (m *Model) Reset() *State {
	m.resetOnce.Do(func() {
		vals := make([]*term.T, len(m.Vars))
		for i, v := range m.Vars {
			vals[i] = v.Reset
		}
		m.tab = &tables{shape: shapeFor(len(vals))}
		m.resetRoot = m.tab.shape.build(vals)
		m.resetHash = m.tab.shape.hashTrie(m.resetRoot)
	})
	return &State{tab: m.tab, root: m.resetRoot, hash: m.resetHash}
}

// NewState is a state of m holding vals (one per variable) and no events.
func (m *Model) NewState(vals []*term.T) *State {
	s := m.Reset()
	s.root = s.tab.shape.build(vals)
	s.hash = s.tab.shape.hashTrie(s.root)
	return s
}

// Clone copies s for modification. Both keep sharing what neither changes.
func (s *State) Clone() *State {
	// Neither may change the shared nodes in place any more. (A state
	// whose key was computed owns nothing: it is not written then.)
	s.own = 0
	c := *s
	return &c
}

// CloneTo is Clone into dst, which the caller allocates (from a slab, say).
func (s *State) CloneTo(dst *State) {
	s.own = 0
	*dst = *s
}

// Len is the number of variables.
func (s *State) Len() int { return s.tab.shape.n }

// Val is the value of variable i.
func (s *State) Val(i int) *term.T {
	for k := 0; k < int(s.npend); k++ {
		if int(s.pend[k].i) == i {
			return s.pend[k].v
		}
	}
	return s.tab.shape.get(s.root, i)
}

// Values lists every value, in variable order (a copy).
func (s *State) Values() []*term.T {
	out := make([]*term.T, 0, s.Len())
	s.Each(func(_ int, v *term.T) { out = append(out, v) })
	return out
}

// Each calls f with every variable's index and value, in order. f may
// change s: it sees the values s had when Each began.
func (s *State) Each(f func(i int, v *term.T)) {
	s.flush()
	s.own = 0 // what f sets copies the path, leaving the walked nodes alone
	s.tab.shape.each(s.root, f)
}

// EachMentioning is Each for the values that mention a leaf of one of the
// kinds (term.Param, term.Read, ...), skipping whole subtrees of values
// that do not.
func (s *State) EachMentioning(f func(i int, v *term.T), kinds ...term.Kind) {
	s.ID() // interns the trie, which gives every node its leaf kinds
	s.tab.shape.eachWithKinds(s.root, term.KindsOf(kinds...), f)
}

// Diff calls f with the index of every variable whose value differs
// between s and o (states of the same model), skipping what they share.
func (s *State) Diff(o *State, f func(i int)) {
	s.flush()
	o.flush()
	s.tab.shape.diff(s.root, o.root, f)
}

// DiffAny reports whether f holds for the index of a variable whose value
// differs between s and o (states of the same model): Diff that stops at
// the first.
func (s *State) DiffAny(o *State, f func(i int) bool) bool {
	s.flush()
	o.flush()
	return s.tab.shape.diffAny(s.root, o.root, f)
}

// Set assigns variable i.
func (s *State) Set(i int, v *term.T) {
	for k := 0; k < int(s.npend); k++ {
		if int(s.pend[k].i) == i {
			if old := s.pend[k].v; old != v {
				s.hash ^= valueHash(i, old) ^ valueHash(i, v)
				s.pend[k].v, s.id = v, 0
			}
			return
		}
	}
	old := s.tab.shape.get(s.root, i)
	if old == v {
		return
	}
	s.hash ^= valueHash(i, old) ^ valueHash(i, v)
	if s.npend == maxPend {
		s.flush()
	}
	// In index order, as interning wants them.
	k := int(s.npend)
	for ; k > 0 && int(s.pend[k-1].i) > i; k-- {
		s.pend[k] = s.pend[k-1]
	}
	s.pend[k] = pendSet{i: int32(i), v: v}
	s.npend++
	s.id = 0
}

// flush writes the pending assignments into the trie, copying the nodes
// on their paths that s does not own.
func (s *State) flush() {
	if s.npend == 0 {
		return
	}
	if s.own == 0 {
		s.own = newToken()
	}
	for _, p := range s.pend[:s.npend] {
		s.root = s.tab.shape.set(s.root, int(p.i), p.v, s.own)
	}
	s.npend, s.pend = 0, [maxPend]pendSet{}
}

// Emit records an event; a second identical event is not recorded twice,
// because contracts ask whether an event happened, not how often.
func (s *State) Emit(e Event) {
	id := s.tab.events.number(&e)
	for i := range s.Events {
		if s.tab.events.number(&s.Events[i]) == id {
			return
		}
	}
	spell := s.tab.events.spelling(id)
	at, _ := slices.BinarySearchFunc(s.Events, spell, func(x Event, k string) int {
		return strings.Compare(s.tab.events.spelling(s.tab.events.number(&x)), k)
	})
	evs := make([]Event, 0, len(s.Events)+1)
	evs = append(append(append(evs, s.Events[:at]...), e), s.Events[at:]...)
	s.Events = evs
	s.id = 0
}

// ShareEvents makes evs, the Events of some state, the events of s:
// lists of events are never changed in place (Emit copies), so states
// may share one.
func (s *State) ShareEvents(evs []Event) {
	s.Events = evs
	s.id = 0
}

// HasEvent reports whether s has recorded an event of that name, with
// any arguments.
func (s *State) HasEvent(name string) bool {
	for _, e := range s.Events {
		if e.Name == name {
			return true
		}
	}
	return false
}

// ClearEvents forgets the events, as at the start of a method.
func (s *State) ClearEvents() {
	s.Events = nil
	s.id = 0
}

// ID numbers the state within its model: two states are equal iff their
// IDs are. It is the number of the interned values and of the list of
// events.
func (s *State) ID() uint64 {
	if s.id == 0 {
		s.root = s.tab.nodes.intern(s.tab.shape, s.root, s.pend[:s.npend])
		s.own, s.npend, s.pend = 0, 0, [maxPend]pendSet{}
		s.id = uint64(s.root.id)<<32 | uint64(s.tab.events.setID(s.Events))
	}
	return s.id
}

// Hash is a hash of s: equal states have equal hashes. Unlike ID it
// interns nothing: it costs a few operations per event.
func (s *State) Hash() uint64 {
	h := s.hash
	for i := range s.Events {
		x := uint64(s.tab.events.number(&s.Events[i])) * 0x9e3779b97f4a7c15
		h ^= x ^ x>>29 ^ uint64(i)<<56
	}
	return h
}

// Equal reports whether s and o (states of the same model) are equal, as
// their IDs would say, without interning either: the values and the list
// of events are compared where they differ, skipping what s and o share.
func (s *State) Equal(o *State) bool {
	if s == o {
		return true
	}
	if s.id != 0 && o.id != 0 {
		return s.id == o.id
	}
	if s.hash != o.hash || len(s.Events) != len(o.Events) {
		return false
	}
	for i := range s.Events {
		if s.tab.events.number(&s.Events[i]) != o.tab.events.number(&o.Events[i]) {
			return false
		}
	}
	for _, p := range s.pend[:s.npend] {
		if o.Val(int(p.i)) != p.v {
			return false
		}
	}
	for _, p := range o.pend[:o.npend] {
		if s.Val(int(p.i)) != p.v {
			return false
		}
	}
	// The pending values agree; the rest is in the tries.
	return !s.tab.shape.diffAny(s.root, o.root, func(i int) bool {
		return !s.pending(i) && !o.pending(i)
	})
}

// AppendChangedOver appends to dst the variables s may hold differently
// from base and reports true, when s is base plus assignments beside
// base's trie (a state built from base in scratch space, say): every
// other variable holds base's value. Otherwise it returns dst and false.
func (s *State) AppendChangedOver(dst []int32, base *State) ([]int32, bool) {
	if s.root != base.root || base.npend != 0 {
		return dst, false
	}
	for _, p := range s.pend[:s.npend] {
		dst = append(dst, p.i)
	}
	return dst, true
}

// pending reports whether variable i's value is beside the trie.
func (s *State) pending(i int) bool {
	for _, p := range s.pend[:s.npend] {
		if int(p.i) == i {
			return true
		}
	}
	return false
}

// Key is ID as a string, for maps that mix states with other keys.
func (s *State) Key() string {
	return string(binary.LittleEndian.AppendUint64(nil, s.ID()))
}

// FiniteKey encodes only the finite variables: the part of a state the idle
// invariant keeps.
func (m *Model) FiniteKey(s *State) string {
	var b strings.Builder
	for _, i := range m.finite {
		b.WriteString(s.Val(i).Key())
		b.WriteByte(';')
	}
	return b.String()
}

// FiniteSig is a compact encoding of the finite variables: equal for two
// states iff their FiniteKeys are.
func (m *Model) FiniteSig(s *State) string {
	return string(m.AppendFiniteSig(make([]byte, 0, 4*len(m.finite)), s))
}

// AppendFiniteSig appends FiniteSig(s) to dst, for a caller that looks
// the signature up without keeping it.
func (m *Model) AppendFiniteSig(dst []byte, s *State) []byte {
	for _, i := range m.finite {
		dst = binary.LittleEndian.AppendUint32(dst, s.Val(i).ID())
	}
	return dst
}

// Subst rewrites every value and event argument of s.
func (s *State) Subst(sub map[string]*term.T) *State {
	c := new(State)
	s.SubstTo(c, sub)
	return c
}

// SubstTo is Subst built in dst, whatever dst held (dst may be s): a
// caller that interns the result and keeps it only when it is new can
// build every result in one scratch state.
func (s *State) SubstTo(c *State, sub map[string]*term.T) {
	filter, ok := term.LeavesOf(sub)
	s.ID() // interns the trie, which gives every node its leaf filter
	s.CloneTo(c)
	root := s.root
	change := func(i int, v *term.T) {
		if w := v.Subst(sub); w != v {
			c.Set(i, w)
		}
	}
	if ok {
		c.tab.shape.eachMeeting(root, filter, change)
	} else {
		s.Each(change)
	}
	c.Events = substEvents(c.Events, sub)
	c.id = 0
}

// substEvents is evs with every argument rewritten: evs itself when none
// changes (lists of events are never changed in place), else a copy.
func substEvents(evs []Event, sub map[string]*term.T) []Event {
	var out []Event // made at the first event that changes
	for i, e := range evs {
		var args []*term.T
		for j, a := range e.Args {
			if w := a.Subst(sub); w != a {
				if args == nil {
					args = slices.Clone(e.Args)
				}
				args[j] = w
			}
		}
		if args != nil {
			if out == nil {
				out = slices.Clone(evs)
			}
			out[i] = Event{Name: e.Name, Args: args}
		}
	}
	if out == nil {
		return evs
	}
	return out
}

// EntryState is the state a method may start in when s is where the
// previous one ended: s's finite values, every data variable holding "what
// it held when the method started" (term.E), and no events. The data part
// is the same for every such state, so it is built once and shared.
func (m *Model) EntryState(s *State) *State {
	c := new(State)
	m.EntryStateTo(c, s)
	return c
}

// EntryStateTo is EntryState built in dst, whatever dst held: a caller
// that interns the result and keeps it only when it is new can build
// every entry state in one scratch state.
func (m *Model) EntryStateTo(dst, s *State) {
	m.entryOnce.Do(func() {
		vals := make([]*term.T, len(m.Vars))
		for i, v := range m.Vars {
			vals[i] = v.Reset
			if !v.Finite {
				vals[i] = term.E(v.Name, v.Width)
			}
		}
		m.entryRoot = m.Reset().tab.shape.build(vals)
		m.entryHash = m.tab.shape.hashTrie(m.entryRoot)
	})
	// The finite values (in index order) go in by interning, so that an
	// entry state the model has built before costs no node.
	var buf [64]pendSet
	pend := buf[:0]
	h := m.entryHash
	for _, i := range m.finite {
		v := s.Val(i)
		pend = append(pend, pendSet{i: int32(i), v: v})
		h ^= valueHash(i, m.Vars[i].Reset) ^ valueHash(i, v)
	}
	*dst = State{tab: s.tab, root: s.tab.nodes.intern(s.tab.shape, m.entryRoot, pend), hash: h}
}
