package model

import (
	"sync"
	"sync/atomic"

	"github.com/drvsynth/drvsynth/internal/mix"
	"github.com/drvsynth/drvsynth/synth/term"
)

// The values of a state live in a persistent trie of fixed shape: leaves of
// up to 16 values, inner nodes of up to 16 children. Cloning a state copies
// one pointer; a write copies the path to the value it changes, so a state
// shares every node a move did not touch with the state it came from, and
// its cost does not grow with the variables the move leaves alone.
//
// Nodes are hash-consed per model once a state's key is asked for: equal
// subtrees become one node with one number, so the key of a state is the
// number of its root, computed from the nodes on the changed path only.

const (
	fanBits = 4
	fan     = 1 << fanBits
)

// vnode is a node of the trie: a leaf (vals) or an inner node (kids).
type vnode struct {
	// id numbers an interned node; 0 while it is not interned. An interned
	// node never changes.
	id uint32
	// own is the token of the one state that may still change the node in
	// place (0: nobody).
	own  uint32
	vals []*term.T
	kids []*vnode
	// leaves filters the leaves of the values below an interned node, and
	// kinds are their kinds.
	leaves term.Leaves
	kinds  term.KindSet
}

type leafBlock struct {
	vnode
	arr [fan]*term.T
}

type innerBlock struct {
	vnode
	arr [fan]*vnode
}

func newLeaf(n int, own uint32) *vnode {
	b := &leafBlock{}
	b.own, b.vals = own, b.arr[:n:n]
	return &b.vnode
}

func newInner(n int, own uint32) *vnode {
	b := &innerBlock{}
	b.own, b.kids = own, b.arr[:n:n]
	return &b.vnode
}

// copyFor returns a copy of n that the state with token own may change.
func (n *vnode) copyFor(own uint32) *vnode {
	if n.vals != nil {
		c := newLeaf(len(n.vals), own)
		copy(c.vals, n.vals)
		return c
	}
	c := newInner(len(n.kids), own)
	copy(c.kids, n.kids)
	return c
}

// ownTokens hands out the tokens that say which state owns a node.
var ownTokens atomic.Uint32

func newToken() uint32 {
	for {
		if t := ownTokens.Add(1); t != 0 {
			return t
		}
	}
}

// shape is the trie layout for a number of values.
type shape struct {
	n     int
	depth int // levels of inner nodes above the leaves
}

func shapeFor(n int) shape {
	s := shape{n: n}
	for leaves := (n + fan - 1) / fan; leaves > 1; leaves = (leaves + fan - 1) / fan {
		s.depth++
	}
	return s
}

// build makes a trie holding vals.
func (sh shape) build(vals []*term.T) *vnode {
	var level []*vnode
	for lo := 0; lo < len(vals) || lo == 0; lo += fan {
		hi := min(lo+fan, len(vals))
		l := newLeaf(hi-lo, 0)
		copy(l.vals, vals[lo:hi])
		level = append(level, l)
	}
	for d := 0; d < sh.depth; d++ {
		var up []*vnode
		for lo := 0; lo < len(level); lo += fan {
			hi := min(lo+fan, len(level))
			in := newInner(hi-lo, 0)
			copy(in.kids, level[lo:hi])
			up = append(up, in)
		}
		level = up
	}
	return level[0]
}

func (sh shape) get(root *vnode, i int) *term.T {
	n := root
	for d := sh.depth; d > 0; d-- {
		n = n.kids[(i>>(fanBits*d))&(fan-1)]
	}
	return n.vals[i&(fan-1)]
}

// set stores v at i in the trie of a state with token own, copying the
// nodes on the path that the state does not own. It returns the new root.
func (sh shape) set(root *vnode, i int, v *term.T, own uint32) *vnode {
	if sh.get(root, i) == v {
		return root
	}
	if root.own != own || root.id != 0 {
		root = root.copyFor(own)
	}
	n := root
	for d := sh.depth; d > 0; d-- {
		k := (i >> (fanBits * d)) & (fan - 1)
		c := n.kids[k]
		if c.own != own || c.id != 0 {
			c = c.copyFor(own)
			n.kids[k] = c
		}
		n = c
	}
	n.vals[i&(fan-1)] = v
	return root
}

// each calls f for every value, in index order.
func (sh shape) each(root *vnode, f func(i int, v *term.T)) {
	var walk func(n *vnode, base, d int)
	walk = func(n *vnode, base, d int) {
		if d == 0 {
			for k, v := range n.vals {
				f(base+k, v)
			}
			return
		}
		span := 1 << (fanBits * d)
		for k, c := range n.kids {
			walk(c, base+k*span, d-1)
		}
	}
	walk(root, 0, sh.depth)
}

// eachMeeting is each restricted to values whose leaves may meet filter,
// on an interned trie: subtrees that cannot are skipped.
func (sh shape) eachMeeting(root *vnode, filter term.Leaves, f func(i int, v *term.T)) {
	var walk func(n *vnode, base, d int)
	walk = func(n *vnode, base, d int) {
		if !n.leaves.Meets(filter) {
			return
		}
		if d == 0 {
			for k, v := range n.vals {
				if v.Leaves().Meets(filter) {
					f(base+k, v)
				}
			}
			return
		}
		span := 1 << (fanBits * d)
		for k, c := range n.kids {
			walk(c, base+k*span, d-1)
		}
	}
	walk(root, 0, sh.depth)
}

// eachWithKinds is each restricted to values with a leaf of one of the
// kinds, on an interned trie.
func (sh shape) eachWithKinds(root *vnode, kinds term.KindSet, f func(i int, v *term.T)) {
	var walk func(n *vnode, base, d int)
	walk = func(n *vnode, base, d int) {
		if n.kinds&kinds == 0 {
			return
		}
		if d == 0 {
			for k, v := range n.vals {
				if v.LeafKinds()&kinds != 0 {
					f(base+k, v)
				}
			}
			return
		}
		span := 1 << (fanBits * d)
		for k, c := range n.kids {
			walk(c, base+k*span, d-1)
		}
	}
	walk(root, 0, sh.depth)
}

// diff calls f for every index whose values differ between two tries of
// this shape, skipping the subtrees they share.
func (sh shape) diff(a, b *vnode, f func(i int)) {
	diffWalk(a, b, 0, sh.depth, f)
}

func diffWalk(a, b *vnode, base, d int, f func(i int)) {
	if a == b || (a.id != 0 && a.id == b.id) {
		return
	}
	if d == 0 {
		for k, v := range a.vals {
			if v != b.vals[k] {
				f(base + k)
			}
		}
		return
	}
	span := 1 << (fanBits * d)
	for k, c := range a.kids {
		diffWalk(c, b.kids[k], base+k*span, d-1, f)
	}
}

// diffAny reports whether f holds for an index whose values differ
// between two tries of this shape, skipping the subtrees they share.
func (sh shape) diffAny(a, b *vnode, f func(i int) bool) bool {
	return diffAnyWalk(a, b, 0, sh.depth, f)
}

func diffAnyWalk(a, b *vnode, base, d int, f func(i int) bool) bool {
	if a == b || (a.id != 0 && a.id == b.id) {
		return false
	}
	if d == 0 {
		for k, v := range a.vals {
			if v != b.vals[k] && f(base+k) {
				return true
			}
		}
		return false
	}
	span := 1 << (fanBits * d)
	for k, c := range a.kids {
		if diffAnyWalk(c, b.kids[k], base+k*span, d-1, f) {
			return true
		}
	}
	return false
}

// nodeTable hash-conses the nodes of one model's states. It is an
// open-addressing table of one word per slot (32 bits of the key's hash
// beside the node's place in keys and nodes): a lookup reads one slot and
// compares one key, and hashes only the ids a node has.
type nodeTable struct {
	mu    sync.Mutex
	slots []uint64 // hash>>32<<32 | place+1; 0 is empty
	// keys are by place, in chunks of keyChunk: the table grows without
	// copying them (most of its bytes).
	keys  [][]nodeKey
	nodes []*vnode
	hash  []uint64 // by place: the key's hash, to grow the table
	next  uint32
	// The nodes interning makes live as long as the table: they come
	// from chunks, one allocation per nodeChunk nodes, and an inner
	// node's children from chunks of kidsChunk, as many as it has (the
	// root of a state of 31 values has two).
	leafFree  []leafBlock
	innerFree []vnode
	kidsFree  []*vnode
}

const (
	nodeChunk = 128
	kidsChunk = 1024
)

const keyChunk = 1024

// key is the key stored at place at.
func (t *nodeTable) key(at uint32) *nodeKey {
	return &t.keys[at/keyChunk][at%keyChunk]
}

// newLeaf is newLeaf(n, 0) for a node the table keeps.
func (t *nodeTable) newLeaf(n int) *vnode {
	if len(t.leafFree) == 0 {
		t.leafFree = make([]leafBlock, nodeChunk)
	}
	b := &t.leafFree[0]
	t.leafFree = t.leafFree[1:]
	b.vals = b.arr[:n:n]
	return &b.vnode
}

// newInner is newInner(n, 0) for a node the table keeps.
func (t *nodeTable) newInner(n int) *vnode {
	if len(t.innerFree) == 0 {
		t.innerFree = make([]vnode, nodeChunk)
	}
	if len(t.kidsFree) < n {
		t.kidsFree = make([]*vnode, kidsChunk)
	}
	v := &t.innerFree[0]
	t.innerFree = t.innerFree[1:]
	v.kids = t.kidsFree[:n:n]
	t.kidsFree = t.kidsFree[n:]
	return v
}

// hash is a hash of k.
func (k *nodeKey) hash() uint64 {
	h := uint64(k.n) << 1
	if k.leaf {
		h |= 1
	}
	for _, id := range k.ids[:k.n] {
		h = (h ^ uint64(id)) * 0x100000001b3
	}
	return mix.Bits(h) // the slot comes from the low bits
}

// find is the node stored under k (hashed h), or nil.
func (t *nodeTable) find(k *nodeKey, h uint64) *vnode {
	if len(t.slots) == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		e := t.slots[i]
		if e == 0 {
			return nil
		}
		if e>>32 == h>>32 {
			if at := uint32(e) - 1; *t.key(at) == *k {
				return t.nodes[at]
			}
		}
	}
}

// add stores n under k (hashed h).
func (t *nodeTable) add(k *nodeKey, h uint64, n *vnode) {
	if len(t.nodes)%keyChunk == 0 {
		t.keys = append(t.keys, make([]nodeKey, 0, keyChunk))
	}
	last := len(t.keys) - 1
	t.keys[last] = append(t.keys[last], *k)
	t.nodes = append(t.nodes, n)
	if 2*len(t.nodes) > len(t.slots) {
		t.slots = make([]uint64, max(1024, 2*len(t.slots)))
		for at, h := range t.hash {
			t.put(h, uint32(at))
		}
	}
	t.hash = append(t.hash, h)
	t.put(h, uint32(len(t.nodes)-1))
}

func (t *nodeTable) put(h uint64, at uint32) {
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = h>>32<<32 | uint64(at+1)
}

type nodeKey struct {
	leaf bool
	n    uint8
	ids  [fan]uint32
}

// pendSet is an assignment a state holds beside its trie (State.pend).
type pendSet struct {
	i int32
	v *term.T
}

// intern makes the trie root of shape sh, with the assignments pend (in
// index order) applied, interned, and returns the one node equal to it. A
// node whose interned equal exists already is not copied: interning a
// state that differs from a known one in a few values allocates nothing
// when the result is known too, which is the common case (most moves lead
// to states the game has seen).
func (t *nodeTable) intern(sh shape, root *vnode, pend []pendSet) *vnode {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.internAt(root, sh.depth, 0, pend)
}

// internAt interns node n at level d (0: a leaf) holding the values from
// index base on, with pend (all within n) applied.
func (t *nodeTable) internAt(n *vnode, d, base int, pend []pendSet) *vnode {
	if len(pend) == 0 && n.id != 0 {
		return n
	}
	var k nodeKey
	var h uint64
	var leaves term.Leaves
	var kinds term.KindSet
	if d == 0 {
		k.leaf, k.n = true, uint8(len(n.vals))
		for i, v := range n.vals {
			k.ids[i] = v.ID()
		}
		for _, p := range pend {
			k.ids[int(p.i)-base] = p.v.ID()
		}
		h = k.hash()
		if old := t.find(&k, h); old != nil {
			return old
		}
		if len(pend) > 0 {
			c := t.newLeaf(len(n.vals))
			copy(c.vals, n.vals)
			for _, p := range pend {
				c.vals[int(p.i)-base] = p.v
			}
			n = c
		}
		for _, v := range n.vals {
			leaves.Add(v.Leaves())
			kinds |= v.LeafKinds()
		}
	} else {
		k.n = uint8(len(n.kids))
		var kids [fan]*vnode
		span := 1 << (fanBits * d) // values below one child
		rest := pend
		for i, c := range n.kids {
			j := 0
			for j < len(rest) && int(rest[j].i) < base+(i+1)*span {
				j++
			}
			kids[i] = t.internAt(c, d-1, base+i*span, rest[:j])
			rest = rest[j:]
			k.ids[i] = kids[i].id
		}
		h = k.hash()
		if old := t.find(&k, h); old != nil {
			return old
		}
		if len(pend) > 0 {
			n = t.newInner(len(n.kids))
		}
		// An untouched node keeps its values: its children are replaced by
		// their interned equals.
		copy(n.kids, kids[:len(n.kids)])
		for _, c := range n.kids {
			leaves.Add(c.leaves)
			kinds |= c.kinds
		}
	}
	t.next++
	n.id, n.own, n.leaves, n.kinds = t.next, 0, leaves, kinds
	t.add(&k, h, n)
	return n
}
