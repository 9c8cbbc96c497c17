package model

import "github.com/drvsynth/drvsynth/synth/term"

// Fresh unknowns are numbered per state (see freshHolders): a firing gets
// the smallest generation no value of the state holds, and renumber then
// numbers the generations in the order the state first holds them, so
// that states differing only in how their unknowns are numbered are one
// state. Both look only at the variables that can hold an unknown.

// sourceGen is an unknown of one of a transition's sources: which source
// (its index among the transition's parameters) and which generation.
type sourceGen struct {
	src int
	gen uint64
}

// unknownsOf appends to out every unknown of t's sources in v, left to
// right.
func (t *Transition) unknownsOf(v *term.T, out []sourceGen) []sourceGen {
	if v.LeafKinds()&term.KindsOf(term.Unknown) == 0 {
		return out
	}
	if v.Kind == term.Unknown {
		src := v.Source()
		for i, f := range t.fresh {
			if f == src {
				return append(out, sourceGen{i, v.Generation()})
			}
		}
		return out
	}
	for _, a := range v.Args {
		out = t.unknownsOf(a, out)
	}
	for _, c := range v.Cases {
		out = t.unknownsOf(c.Result, out)
	}
	return out
}

// eachHeld calls f with every value of s that may hold an unknown: the
// holders' values, then the events' arguments.
func (m *Model) eachHeld(s *State, f func(v *term.T)) {
	for _, i := range m.holders {
		f(s.Val(i))
	}
	for _, e := range s.Events {
		for _, a := range e.Args {
			f(a)
		}
	}
}

// freshGeneration is the smallest generation of t's sources that no value
// of s holds.
func (m *Model) freshGeneration(s *State, t *Transition) uint64 {
	var buf [32]sourceGen
	used := buf[:0]
	m.eachHeld(s, func(v *term.T) { used = t.unknownsOf(v, used) })
	for g := uint64(0); ; g++ {
		taken := false
		for _, u := range used {
			taken = taken || u.gen == g
		}
		if !taken {
			return g
		}
	}
}

// renumber gives the generations of t's unknowns that s holds the numbers
// 0, 1, ... in the order they first occur (holders in index order, then
// events; within one value, the first source's before the second's), and
// returns s, changed in place.
func (m *Model) renumber(s *State, t *Transition) *State {
	var obuf [16]uint64
	order := obuf[:0]
	var buf [32]sourceGen
	m.eachHeld(s, func(v *term.T) {
		found := t.unknownsOf(v, buf[:0])
		for src := range t.fresh {
			for _, u := range found {
				if u.src == src && !hasGen(order, u.gen) {
					order = append(order, u.gen)
				}
			}
		}
	})
	var r term.Renaming
	for to, from := range order {
		if uint64(to) == from {
			continue
		}
		for _, f := range t.fresh {
			r.Add(f.Gen(from), f.Gen(uint64(to)))
		}
	}
	if r.Len() == 0 {
		return s
	}
	for _, i := range m.holders {
		if v := s.Val(i); v.Leaves().Meets(r.Leaves()) {
			s.Set(i, v.Rename(&r))
		}
	}
	if len(s.Events) > 0 {
		evs := make([]Event, len(s.Events))
		for i, e := range s.Events {
			args := make([]*term.T, len(e.Args))
			for j, a := range e.Args {
				args[j] = a.Rename(&r)
			}
			evs[i] = Event{Name: e.Name, Args: args}
		}
		s.Events, s.id = evs, 0
	}
	return s
}

func hasGen(gens []uint64, g uint64) bool {
	for _, x := range gens {
		if x == g {
			return true
		}
	}
	return false
}
