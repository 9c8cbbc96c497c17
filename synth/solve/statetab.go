package solve

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

// find calls eq with the number of every state stored under hash h, until
// eq reports true; it returns that number, or -1.
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
		if e>>32 == h>>32 {
			if id := int32(uint32(e)) - 1; t.hash[id] == h && eq(id) {
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
