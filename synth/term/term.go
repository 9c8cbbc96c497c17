// Package term is the symbolic value domain of the synthesizer.
//
// Finite device state (flags, small counters, enums) always holds constants
// and is enumerated by the solver. Wide data (a byte to send, a divisor, a
// sector number) is never enumerated: it holds a term that says where the
// value came from — a request parameter, a value the driver read, the value
// a location had when the method started — sliced and concatenated the way
// the device's registers cut it up.
package term

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Kind of a term.
type Kind uint8

const (
	Const   Kind = iota // Val
	Param               // a request parameter or loop element, by Name
	Read                // a value the driver read into variable Name
	Entry               // the value location Name had when the method started
	Unknown             // a value nobody can name (an input from the line)
	Slice               // Args[0][Hi:Lo]
	Concat              // Args, most significant first
	Op                  // Name applied to Args: an arithmetic or match over params
)

// T is an immutable term. Build terms only with the constructors, which
// normalize and hash-cons: equal values have equal keys, and are the same
// pointer, so comparing two terms is comparing two pointers.
type T struct {
	Kind  Kind
	Width int // bits; 0 for unsized arithmetic results
	Val   uint64
	Name  string
	Args  []*T
	Hi    int
	Lo    int
	// Cases holds the arms of a match Op: pattern value -> result.
	Cases []Case
	key   string
	id    uint32
	kinds uint8 // bit k set: a leaf of Kind k occurs in the term
	// leaves has bit (id mod 256) set for every leaf that is not a
	// constant: a filter that tells most terms a substitution leaves alone.
	leaves Leaves
	// source is, for an unknown, generation 0 of its source (see Fresh),
	// and gens on generation 0 lists the generations made so far, by
	// number, so that Gen finds one without building a key.
	source *T
	gens   atomic.Pointer[[]*T]
}

// Leaves is a set of non-constant leaves, kept as a 256-bit filter: a leaf
// in the set has its bit set; a set bit may stand for another leaf too.
type Leaves [4]uint64

// Meets reports whether the filters share a bit: whether a term with
// leaves l may mention a leaf of o.
func (l Leaves) Meets(o Leaves) bool {
	return l[0]&o[0] != 0 || l[1]&o[1] != 0 || l[2]&o[2] != 0 || l[3]&o[3] != 0
}

// Add puts the leaves of o into l.
func (l *Leaves) Add(o Leaves) {
	for i := range l {
		l[i] |= o[i]
	}
}

// KindSet is a set of leaf kinds.
type KindSet uint8

// KindsOf is the set of the given kinds.
func KindsOf(ks ...Kind) KindSet {
	var s KindSet
	for _, k := range ks {
		s |= 1 << k
	}
	return s
}

// LeafKinds is the set of the kinds of t's non-constant leaves.
func (t *T) LeafKinds() KindSet { return KindSet(t.kinds) }

// Leaves is the filter of t's non-constant leaves.
func (t *T) Leaves() Leaves { return t.leaves }

// LeavesOf is the filter of the leaves a substitution keyed like Subst's
// replaces; ok is false when a key is not a leaf's.
func LeavesOf(sub map[string]*T) (l Leaves, ok bool) {
	internMu.Lock()
	defer internMu.Unlock()
	for k := range sub {
		t := leafByKey[k]
		if t == nil {
			return l, false
		}
		l.Add(t.leaves)
	}
	return l, true
}

// Case is one arm of a match term.
type Case struct {
	Pattern uint64
	Label   string // the pattern's name in the spec, for generated code
	Result  *T
}

// Key is a canonical encoding: two terms are equal iff their keys are.
func (t *T) Key() string { return t.key }

// ID is a number unique to the term's value within this process: two terms
// are equal iff their IDs are (iff they are the same pointer). Solvers use
// it to build compact keys of states.
func (t *T) ID() uint32 { return t.id }

// Hash-consing. Every term is built once; the table maps its structure
// (kind, scalars, and the identities of its already interned arguments) to
// the one pointer that stands for it. Terms are few (they come from the
// spec's expressions and the request parameters), so the table is never
// pruned; constants that name concrete data (a simulator's values) are
// bounded by the values a run uses.
type ikey struct {
	kind   Kind
	width  int
	val    uint64
	name   string
	hi, lo int
	a0, a1 *T
	more   string // packed IDs of further arguments, and of match arms
}

var (
	internMu sync.Mutex
	table    = map[ikey]*T{}
	nextID   uint32
	// leafByKey finds the non-constant leaves by key, for LeavesOf.
	leafByKey = map[string]*T{}
	// small holds the constants below 256 of every width up to 64, the
	// overwhelming majority, without a lock.
	small [65][256]atomic.Pointer[T]
)

func lookup(k ikey) *T {
	internMu.Lock()
	t := table[k]
	internMu.Unlock()
	return t
}

// intern stores t under k unless another goroutine got there first.
func intern(k ikey, t *T) *T {
	internMu.Lock()
	defer internMu.Unlock()
	if old := table[k]; old != nil {
		return old
	}
	nextID++
	t.id = nextID
	if t.Kind >= Param && t.Kind <= Unknown {
		t.kinds = 1 << t.Kind
		t.leaves[(t.id/64)%4] |= 1 << (t.id % 64)
		leafByKey[t.key] = t
	}
	for _, a := range t.Args {
		t.kinds |= a.kinds
		t.leaves.Add(a.leaves)
	}
	for _, c := range t.Cases {
		t.kinds |= c.Result.kinds
		t.leaves.Add(c.Result.leaves)
	}
	table[k] = t
	return t
}

// argKey fills the argument part of an intern key.
func argKey(k *ikey, args []*T) {
	switch len(args) {
	default:
		b := make([]byte, 0, 4*(len(args)-2))
		for _, a := range args[2:] {
			b = binary.LittleEndian.AppendUint32(b, a.id)
		}
		k.more = string(b)
		fallthrough
	case 2:
		k.a1 = args[1]
		fallthrough
	case 1:
		k.a0 = args[0]
	case 0:
	}
}

func (t *T) String() string { return t.key }

func mask(w int) uint64 {
	if w >= 64 || w <= 0 {
		return ^uint64(0)
	}
	return 1<<uint(w) - 1
}

// C is the constant v truncated to w bits.
func C(v uint64, w int) *T {
	v &= mask(w)
	if w >= 0 && w <= 64 && v < 256 {
		if t := small[w][v].Load(); t != nil {
			return t
		}
		t := mkConst(v, w)
		small[w][v].Store(t)
		return t
	}
	return mkConst(v, w)
}

func mkConst(v uint64, w int) *T {
	k := ikey{kind: Const, width: w, val: v}
	if t := lookup(k); t != nil {
		return t
	}
	t := &T{Kind: Const, Width: w, Val: v}
	t.key = strconv.FormatUint(v, 10) + "'" + strconv.Itoa(w)
	return intern(k, t)
}

// Bool is the one-bit constant for b.
func Bool(b bool) *T {
	if b {
		return C(1, 1)
	}
	return C(0, 1)
}

// P is the request parameter name.
func P(name string, w int) *T { return leaf(Param, "p:", name, w) }

// R is the value held by driver variable name.
func R(name string, w int) *T { return leaf(Read, "r:", name, w) }

// E is the entry value of location name.
func E(name string, w int) *T { return leaf(Entry, "e:", name, w) }

// U is an unknown value named for where it came from.
func U(name string, w int) *T { return leaf(Unknown, "u:", name, w) }

// Fresh is the unknown value number gen from the source name: an input
// that fires again brings a new value, which must not be taken for the one
// it brought before. Fresh(name, w, 0) is U(name, w).
func Fresh(name string, w int, gen uint64) *T { return U(name, w).Gen(gen) }

// Source is generation 0 of the source of unknown t (see Fresh), nil when
// t is not an unknown.
func (t *T) Source() *T { return t.source }

// Generation is the number of unknown t (see Fresh).
func (t *T) Generation() uint64 { return t.Val }

// Gen is generation gen of source u, which is generation 0 of an unknown
// (U): Fresh(name, w, gen) for u = U(name, w).
func (u *T) Gen(gen uint64) *T {
	if gen == 0 {
		return u
	}
	if u.Kind != Unknown || u.Val != 0 {
		panic("term: Gen of " + u.key + ", which is not an unknown's generation 0")
	}
	if gs := u.gens.Load(); gs != nil && gen < uint64(len(*gs)) && (*gs)[gen] != nil {
		return (*gs)[gen]
	}
	ik := ikey{kind: Unknown, name: u.Name, width: u.Width, val: gen}
	key := "u:" + u.Name + "#" + strconv.FormatUint(gen, 10) + "'" + strconv.Itoa(u.Width)
	t := intern(ik, &T{Kind: Unknown, Name: u.Name, Width: u.Width, Val: gen, key: key, source: u})
	if gen < 1<<10 { // the small numbers renumbering keeps states to
		internMu.Lock()
		var gs []*T
		if old := u.gens.Load(); old != nil {
			gs = *old
		}
		gs = append([]*T(nil), gs...) // readers may hold the old slice
		for uint64(len(gs)) <= gen {
			gs = append(gs, nil)
		}
		gs[gen] = t
		u.gens.Store(&gs)
		internMu.Unlock()
	}
	return t
}

func leaf(k Kind, prefix, name string, w int) *T {
	ik := ikey{kind: k, name: name, width: w}
	if t := lookup(ik); t != nil {
		return t
	}
	t := &T{Kind: k, Name: name, Width: w, key: prefix + name + "'" + strconv.Itoa(w)}
	if k == Unknown {
		t.source = t
	}
	return intern(ik, t)
}

// IsConst reports whether t is a constant.
func (t *T) IsConst() bool { return t.Kind == Const }

// IsTrue reports whether t is a non-zero constant.
func (t *T) IsTrue() bool { return t.Kind == Const && t.Val != 0 }

// IsFalse reports whether t is the constant zero.
func (t *T) IsFalse() bool { return t.Kind == Const && t.Val == 0 }

// Sl is t[hi:lo].
func Sl(t *T, hi, lo int) *T {
	if t.Width > 0 && lo == 0 && hi == t.Width-1 {
		return t
	}
	switch t.Kind {
	case Const:
		return C(t.Val>>uint(lo), hi-lo+1)
	case Slice:
		return Sl(t.Args[0], t.Lo+hi, t.Lo+lo)
	case Concat:
		// Pick the parts the slice covers, least significant last.
		var parts []*T
		top := 0
		for _, a := range t.Args {
			top += a.Width
		}
		for _, a := range t.Args {
			top -= a.Width // a occupies [top+a.Width-1 : top]
			aHi, aLo := top+a.Width-1, top
			if aHi < lo || aLo > hi {
				continue
			}
			h, l := min(hi, aHi)-aLo, max(lo, aLo)-aLo
			parts = append(parts, Sl(a, h, l))
		}
		return Cat(parts...)
	}
	k := ikey{kind: Slice, width: hi - lo + 1, hi: hi, lo: lo, a0: t}
	if s := lookup(k); s != nil {
		return s
	}
	s := &T{Kind: Slice, Width: hi - lo + 1, Args: []*T{t}, Hi: hi, Lo: lo}
	s.key = t.key + "[" + strconv.Itoa(hi) + ":" + strconv.Itoa(lo) + "]"
	return intern(k, s)
}

// Cat concatenates parts, most significant first, merging adjacent slices
// of one term and adjacent constants.
func Cat(parts ...*T) *T {
	// Most concatenations are of a few parts and known already: the
	// parts are gathered on the stack and copied only into a new term.
	var flatBuf, outBuf [8]*T
	flat, out := flatBuf[:0], outBuf[:0]
	for _, p := range parts {
		if p.Kind == Concat {
			flat = append(flat, p.Args...)
		} else {
			flat = append(flat, p)
		}
	}
	for _, p := range flat {
		if n := len(out); n > 0 {
			prev := out[n-1]
			switch {
			case prev.Kind == Const && p.Kind == Const && prev.Width+p.Width <= 64:
				out[n-1] = C(prev.Val<<uint(p.Width)|p.Val, prev.Width+p.Width)
				continue
			case prev.Kind == Slice && p.Kind == Slice && prev.Args[0] == p.Args[0] && prev.Lo == p.Hi+1:
				out[n-1] = Sl(prev.Args[0], prev.Hi, p.Lo)
				continue
			}
		}
		out = append(out, p)
	}
	if len(out) == 1 {
		return out[0]
	}
	w := 0
	for _, p := range out {
		w += p.Width
	}
	k := ikey{kind: Concat, width: w}
	argKey(&k, out)
	if t := lookup(k); t != nil {
		return t
	}
	keys := make([]string, len(out))
	for i, p := range out {
		keys[i] = p.key
	}
	return intern(k, &T{Kind: Concat, Width: w, Args: slices.Clone(out), key: "{" + strings.Join(keys, ",") + "}"})
}

// O is the operation name over args (an arithmetic operator or a builtin).
// Constant operands fold.
func O(name string, w int, args ...*T) *T {
	allConst := true
	for _, a := range args {
		allConst = allConst && a.Kind == Const
	}
	if allConst {
		if v, ok := fold(name, args); ok {
			if w == 0 {
				w = 64
			}
			return C(v, w)
		}
	}
	k := ikey{kind: Op, name: name, width: w}
	argKey(&k, args)
	if t := lookup(k); t != nil {
		return t
	}
	keys := make([]string, len(args))
	for i, a := range args {
		keys[i] = a.key
	}
	// A copy: the caller may reuse its slice, and a variadic slice that
	// does not escape costs the caller nothing.
	own := append([]*T(nil), args...)
	return intern(k, &T{Kind: Op, Name: name, Width: w, Args: own, key: name + "(" + strings.Join(keys, ",") + ")'" + strconv.Itoa(w)})
}

// Match is a match over scrutinee with the given arms.
func Match(scrutinee *T, w int, cases []Case) *T {
	if scrutinee.Kind == Const {
		for _, c := range cases {
			if c.Pattern == scrutinee.Val {
				return c.Result
			}
		}
	}
	// Arms are keyed like the key string: by pattern and result (a label
	// is only the pattern's spelling).
	b := make([]byte, 0, 12*len(cases))
	for _, c := range cases {
		b = binary.LittleEndian.AppendUint64(b, c.Pattern)
		b = binary.LittleEndian.AppendUint32(b, c.Result.id)
	}
	k := ikey{kind: Op, name: "match", width: w, hi: -1, a0: scrutinee, more: string(b)}
	if t := lookup(k); t != nil {
		return t
	}
	parts := make([]string, len(cases))
	for i, c := range cases {
		parts[i] = fmt.Sprintf("%d=>%s", c.Pattern, c.Result.key)
	}
	cases = append([]Case(nil), cases...)
	return intern(k, &T{Kind: Op, Name: "match", Width: w, Args: []*T{scrutinee}, Cases: cases,
		key: "match(" + scrutinee.key + "){" + strings.Join(parts, ",") + "}'" + strconv.Itoa(w)})
}

// Resize gives an unsized or differently sized term the width w (slicing or
// zero-extending), so that it can be stored in a location of that width.
func Resize(t *T, w int) *T {
	switch {
	case t.Width == w:
		return t
	case t.Kind == Const:
		return C(t.Val, w)
	case t.Width > w:
		return Sl(t, w-1, 0)
	case t.Width == 0 && t.Kind == Op && t.Name == "match" && t.Cases != nil:
		return Match(t.Args[0], w, t.Cases)
	case t.Width == 0 && t.Kind == Op:
		return O(t.Name, w, t.Args...)
	default:
		return Cat(C(0, w-t.Width), t)
	}
}

func fold(name string, a []*T) (uint64, bool) {
	b := func(x bool) uint64 {
		if x {
			return 1
		}
		return 0
	}
	if len(a) == 1 {
		x := a[0].Val
		switch name {
		case "!":
			return b(x == 0), true
		case "~":
			return ^x & mask(a[0].Width), true
		case "-":
			return -x, true
		}
		return 0, false
	}
	if len(a) != 2 {
		return 0, false
	}
	return Binary(name, a[0].Val, a[1].Val)
}

// Binary applies a binary operator of the spec language to two values, as
// uint64 arithmetic; a comparison or connective gives 1 or 0. It reports
// false for an unknown operator and for division by zero.
func Binary(op string, x, y uint64) (uint64, bool) {
	b := func(c bool) uint64 {
		if c {
			return 1
		}
		return 0
	}
	switch op {
	case "+":
		return x + y, true
	case "-":
		return x - y, true
	case "*":
		return x * y, true
	case "/":
		if y == 0 {
			return 0, false
		}
		return x / y, true
	case "%":
		if y == 0 {
			return 0, false
		}
		return x % y, true
	case "&":
		return x & y, true
	case "|":
		return x | y, true
	case "^":
		return x ^ y, true
	case "<<":
		return x << y, true
	case ">>":
		return x >> y, true
	case "==":
		return b(x == y), true
	case "!=":
		return b(x != y), true
	case "<":
		return b(x < y), true
	case "<=":
		return b(x <= y), true
	case ">":
		return b(x > y), true
	case ">=":
		return b(x >= y), true
	case "&&":
		return b(x != 0 && y != 0), true
	case "||":
		return b(x != 0 || y != 0), true
	}
	return 0, false
}

// Mentions reports whether t contains a leaf of kind k (with the given name,
// or any name when name is "").
func (t *T) Mentions(k Kind, name string) bool {
	if k >= Param && k <= Unknown && t.kinds&(1<<k) == 0 {
		return false
	}
	if t.Kind == k && (name == "" || t.Name == name) {
		return true
	}
	for _, a := range t.Args {
		if a.Mentions(k, name) {
			return true
		}
	}
	for _, c := range t.Cases {
		if c.Result.Mentions(k, name) {
			return true
		}
	}
	return false
}

// Subst replaces every leaf whose key is in m.
func (t *T) Subst(m map[string]*T) *T {
	if t.kinds == 0 || len(m) == 0 {
		return t // no leaves to replace
	}
	if r, ok := m[t.key]; ok {
		return r
	}
	switch t.Kind {
	case Slice:
		a := t.Args[0].Subst(m)
		if a == t.Args[0] {
			return t
		}
		return Sl(a, t.Hi, t.Lo)
	case Concat:
		parts := make([]*T, len(t.Args))
		changed := false
		for i, a := range t.Args {
			parts[i] = a.Subst(m)
			changed = changed || parts[i] != a
		}
		if !changed {
			return t
		}
		return Cat(parts...)
	case Op:
		if t.Name == "match" {
			s := t.Args[0].Subst(m)
			cs := make([]Case, len(t.Cases))
			for i, c := range t.Cases {
				cs[i] = Case{c.Pattern, c.Label, c.Result.Subst(m)}
			}
			return Match(s, t.Width, cs)
		}
		args := make([]*T, len(t.Args))
		for i, a := range t.Args {
			args[i] = a.Subst(m)
		}
		return O(t.Name, t.Width, args...)
	}
	return t
}

// A Renaming replaces leaves, given by identity: a substitution of a few
// leaves (renumbering unknowns, say) that needs no keys. The zero value
// replaces nothing, and a renaming of up to renamingInline leaves
// allocates nothing.
type Renaming struct {
	n        int
	from, to [renamingInline]*T
	more     [][2]*T // the pairs past the first renamingInline
	leaves   Leaves
}

const renamingInline = 16

// Add makes r replace leaf from by to.
func (r *Renaming) Add(from, to *T) {
	if r.n < renamingInline {
		r.from[r.n], r.to[r.n] = from, to
	} else {
		r.more = append(r.more, [2]*T{from, to})
	}
	r.n++
	r.leaves.Add(from.leaves)
}

// Len is the number of leaves r replaces.
func (r *Renaming) Len() int { return r.n }

// Leaves is the filter of the leaves r replaces: a term whose leaves do not
// meet it is left alone.
func (r *Renaming) Leaves() Leaves { return r.leaves }

// of is what r replaces leaf t by (t itself when nothing).
func (r *Renaming) of(t *T) *T {
	for i := range min(r.n, renamingInline) {
		if r.from[i] == t {
			return r.to[i]
		}
	}
	for _, p := range r.more {
		if p[0] == t {
			return p[1]
		}
	}
	return t
}

// Rename replaces every leaf of t that r replaces.
func (t *T) Rename(r *Renaming) *T {
	if !t.leaves.Meets(r.leaves) {
		return t
	}
	switch t.Kind {
	case Slice:
		a := t.Args[0].Rename(r)
		if a == t.Args[0] {
			return t
		}
		return Sl(a, t.Hi, t.Lo)
	case Concat:
		var parts []*T
		for i, a := range t.Args {
			b := a.Rename(r)
			if b != a && parts == nil {
				parts = append(make([]*T, 0, len(t.Args)), t.Args[:i]...)
			}
			if parts != nil {
				parts = append(parts, b)
			}
		}
		if parts == nil {
			return t
		}
		return Cat(parts...)
	case Op:
		if t.Name == "match" {
			s := t.Args[0].Rename(r)
			cs := make([]Case, len(t.Cases))
			changed := s != t.Args[0]
			for i, c := range t.Cases {
				cs[i] = Case{c.Pattern, c.Label, c.Result.Rename(r)}
				changed = changed || cs[i].Result != c.Result
			}
			if !changed {
				return t
			}
			return Match(s, t.Width, cs)
		}
		var args []*T
		for i, a := range t.Args {
			b := a.Rename(r)
			if b != a && args == nil {
				args = append(make([]*T, 0, len(t.Args)), t.Args[:i]...)
			}
			if args != nil {
				args = append(args, b)
			}
		}
		if args == nil {
			return t
		}
		return O(t.Name, t.Width, args...)
	case Const:
		return t
	}
	return r.of(t)
}
