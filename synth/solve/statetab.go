package solve

import "hash/maphash"

// stateTable finds the closer's states by hash (model.State.Hash). It is
// an open-addressing table of one word per slot, the high half of the
// hash beside the state's number: a lookup mostly reads one cache line,
// where a Go map of the same keys reads two or three, and the closer looks
// states up millions of times, nearly always finding them.
type stateTable struct {
	slots []uint64 // hash>>32<<32 | id+1; 0 is empty
	hash  []uint64 // by id: the full hash, to grow the table
	n     int
}

// find calls eq with the number of every state stored under hash h (and
// of the rare few whose hash agrees in its high half and slot), until eq
// reports true; it returns that number, or -1.
func (t *stateTable) find(h uint64, eq func(id int32) bool) int32 {
	if len(t.slots) == 0 {
		return -1
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.start(h); ; i = (i + 1) & mask {
		e := t.slots[i]
		if e == 0 {
			return -1
		}
		// The full hash is not compared: eq compares the states' hashes
		// first, and reading it here would cost a second cache miss on
		// the hit nearly every lookup is.
		if e>>32 == h>>32 {
			if id := int32(uint32(e)) - 1; eq(id) {
				return id
			}
		}
	}
}

// add stores the next state, numbered len of those stored so far, under
// hash h.
func (t *stateTable) add(h uint64) {
	id := int32(len(t.hash))
	t.hash = append(t.hash, h)
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	t.put(h, id)
	t.n++
}

func (t *stateTable) start(h uint64) uint64 {
	// The low half of the hash picks the slot; the high half is kept.
	return h & uint64(len(t.slots)-1)
}

func (t *stateTable) put(h uint64, id int32) {
	mask := uint64(len(t.slots) - 1)
	i := t.start(h)
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = h>>32<<32 | uint64(uint32(id+1))
}

func (t *stateTable) grow() {
	old := t.slots
	t.slots = make([]uint64, max(1024, 2*len(old)))
	for _, e := range old {
		if e != 0 {
			id := int32(uint32(e)) - 1
			t.put(t.hash[id], id)
		}
	}
}

// beliefTable finds the closer's beliefs by the hash of their states and
// learned values (closer.beliefSet), the same way: one word per slot, the
// high half of the hash beside the belief's number. A candidate is
// compared only when 32 bits of its hash agree.
type beliefTable struct {
	slots []uint64 // hash>>32<<32 | num+1; 0 is empty
	list  []*Belief
	hash  []uint64 // by num: the full hash, to grow the table
	seed  maphash.Seed
}

// lkeyHash is the part of a belief's hash its learned values, whose key
// part is lkey, add.
func (t *beliefTable) lkeyHash(lkey string) uint64 {
	if len(t.slots) == 0 {
		t.seed = maphash.MakeSeed()
		t.slots = make([]uint64, 1024)
	}
	if lkey == "" {
		return 0 // most beliefs
	}
	return maphash.String(t.seed, lkey)
}

// find is the belief hashed h for which eq holds, or nil.
func (t *beliefTable) find(h uint64, eq func(b *Belief) bool) *Belief {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		e := t.slots[i]
		if e == 0 {
			return nil
		}
		if e>>32 == h>>32 {
			if b := t.list[uint32(e)-1]; eq(b) {
				return b
			}
		}
	}
}

// add stores b, numbered len(t.list), under hash h.
func (t *beliefTable) add(h uint64, b *Belief) {
	t.list = append(t.list, b)
	t.hash = append(t.hash, h)
	if 2*len(t.list) > len(t.slots) {
		old := t.slots
		t.slots = make([]uint64, 2*len(old))
		for _, e := range old {
			if e != 0 {
				t.put(t.hash[uint32(e)-1], uint32(e)-1)
			}
		}
	}
	t.put(h, uint32(len(t.list)-1))
}

func (t *beliefTable) put(h uint64, num uint32) {
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = h>>32<<32 | uint64(num+1)
}
