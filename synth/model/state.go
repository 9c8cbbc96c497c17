package model

import (
	"encoding/binary"
	"sort"
	"strings"

	"github.com/drvsynth/drvsynth/synth/term"
)

// Event is a class event the device emitted, with its arguments.
type Event struct {
	Name string
	Args []*term.T
}

func (e Event) key() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = a.Key()
	}
	return e.Name + "(" + strings.Join(parts, ",") + ")"
}

// State is one possible state of the device: a value for every variable,
// and the class events emitted since the current method started.
type State struct {
	Vals   []*term.T
	Events []Event
	key    string
}

// Reset is the state the device is in after reset.
func (m *Model) Reset() *State {
	s := &State{Vals: make([]*term.T, len(m.Vars))}
	for i, v := range m.Vars {
		s.Vals[i] = v.Reset
	}
	return s
}

// Clone copies s for modification.
func (s *State) Clone() *State {
	c := &State{Vals: append([]*term.T(nil), s.Vals...), Events: append([]Event(nil), s.Events...)}
	return c
}

// Set assigns variable i.
func (s *State) Set(i int, v *term.T) {
	s.Vals[i] = v
	s.key = ""
}

// Emit records an event; a second identical event is not recorded twice,
// because contracts ask whether an event happened, not how often.
func (s *State) Emit(e Event) {
	k := e.key()
	for _, old := range s.Events {
		if old.key() == k {
			return
		}
	}
	s.Events = append(s.Events, e)
	sort.Slice(s.Events, func(i, j int) bool { return s.Events[i].key() < s.Events[j].key() })
	s.key = ""
}

// ClearEvents forgets the events, as at the start of a method.
func (s *State) ClearEvents() {
	s.Events = nil
	s.key = ""
}

// Key is a canonical encoding of the state: two states are equal iff their
// keys are. It is compact (terms are hash-consed, so a value is its ID),
// not readable.
func (s *State) Key() string {
	if s.key == "" {
		b := make([]byte, 0, 4*len(s.Vals)+16*len(s.Events))
		for _, v := range s.Vals {
			b = binary.LittleEndian.AppendUint32(b, v.ID())
		}
		for _, e := range s.Events {
			b = append(b, e.Name...)
			b = append(b, 0)
			for _, a := range e.Args {
				b = binary.LittleEndian.AppendUint32(b, a.ID())
			}
		}
		s.key = string(b)
	}
	return s.key
}

// FiniteKey encodes only the finite variables: the part of a state the idle
// invariant keeps.
func (m *Model) FiniteKey(s *State) string {
	var b strings.Builder
	for i, v := range m.Vars {
		if v.Finite {
			b.WriteString(s.Vals[i].Key())
			b.WriteByte(';')
		}
	}
	return b.String()
}

// FiniteSig is a compact encoding of the finite variables: equal for two
// states iff their FiniteKeys are.
func (m *Model) FiniteSig(s *State) string {
	b := make([]byte, 0, 4*len(s.Vals))
	for i, v := range m.Vars {
		if v.Finite {
			b = binary.LittleEndian.AppendUint32(b, s.Vals[i].ID())
		}
	}
	return string(b)
}

// Subst rewrites every value and event argument of s.
func (s *State) Subst(sub map[string]*term.T) *State {
	c := s.Clone()
	for i, v := range c.Vals {
		c.Vals[i] = v.Subst(sub)
	}
	for i, e := range c.Events {
		args := make([]*term.T, len(e.Args))
		for j, a := range e.Args {
			args[j] = a.Subst(sub)
		}
		c.Events[i] = Event{e.Name, args}
	}
	c.key = ""
	return c
}
