package solve

// slab hands out values of T from chunks, so that the many small records
// the solver keeps for as long as their game or closer lives (edges,
// outcomes, per-state reads) cost one allocation per chunk instead of one
// each. A chunk lives as long as any value in it.
type slab[T any] struct {
	free []T
}

const slabChunk = 256

// one is a new zero T.
func (s *slab[T]) one() *T {
	if len(s.free) == 0 {
		s.free = make([]T, slabChunk)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}

// room is xs with room for one more T: a full xs is copied into a run
// twice as long (at least least), so that a list that grows one by one
// costs few runs and no allocation of its own.
func (s *slab[T]) room(xs []T, least int) []T {
	if len(xs) < cap(xs) {
		return xs
	}
	grown := s.run(max(least, 2*cap(xs)))[:len(xs)]
	copy(grown, xs)
	return grown
}

// run is n new zero Ts, in a slice whose capacity is n: appending to it
// copies it rather than overwrite its neighbours.
func (s *slab[T]) run(n int) []T {
	if n == 0 {
		return []T{}
	}
	if n > slabChunk/4 {
		return make([]T, n)
	}
	if len(s.free) < n {
		s.free = make([]T, slabChunk)
	}
	r := s.free[:n:n]
	s.free = s.free[n:]
	return r
}
