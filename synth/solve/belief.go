// Package solve synthesizes a driver strategy for every class method by
// solving a game on beliefs: the sets of device states the driver cannot
// tell apart given what it did and what it read.
package solve

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

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
}

// newBelief builds a belief from states, which must have been interned by
// c (closures are), so that the belief's key is a short list of state ids.
func (c *closer) newBelief(states []*model.State, learned map[string]*term.T) *Belief {
	ids := make([]int, 0, len(states))
	seen := map[int]bool{}
	for _, s := range states {
		id := c.id(s)
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	uniq := make([]*model.State, len(ids))
	var sb strings.Builder
	for i, id := range ids {
		uniq[i] = c.states[id]
		sb.WriteString(strconv.Itoa(id))
		sb.WriteByte(',')
	}
	b := &Belief{States: uniq, Learned: learned}
	sb.WriteByte('|')
	lk := make([]string, 0, len(learned))
	for k, v := range learned {
		lk = append(lk, k+"="+v.Key())
	}
	sort.Strings(lk)
	sb.WriteString(strings.Join(lk, ","))
	b.key = sb.String()
	return b
}

// Key is a canonical encoding of the belief.
func (b *Belief) Key() string { return b.key }

// closer computes closures under the device's own moves, remembering the
// closure of every single state: beliefs overlap heavily, so most states are
// closed many times.
type closer struct {
	m      *model.Model
	cache  map[string][]*model.State
	ids    map[string]int
	states []*model.State
}

func newCloser(m *model.Model) *closer {
	return &closer{m: m, cache: map[string][]*model.State{}, ids: map[string]int{}}
}

// id interns a state.
func (c *closer) id(s *model.State) int {
	k := s.Key()
	if id, ok := c.ids[k]; ok {
		return id
	}
	id := len(c.states)
	c.ids[k] = id
	c.states = append(c.states, s)
	return id
}

// close adds every state the device can reach by itself: internal
// transitions, fair or not, and inputs from the outside world.
func (c *closer) close(states []*model.State) ([]*model.State, error) {
	seen := map[string]bool{}
	var out []*model.State
	for _, s := range states {
		cl, err := c.closeOne(s)
		if err != nil {
			return nil, err
		}
		for _, x := range cl {
			if !seen[x.Key()] {
				seen[x.Key()] = true
				out = append(out, x)
			}
		}
		if len(out) > maxBeliefStates {
			return nil, fmt.Errorf("a belief grew past %d states: the device's own moves are too nondeterministic to enumerate", maxBeliefStates)
		}
	}
	return out, nil
}

func (c *closer) closeOne(s *model.State) ([]*model.State, error) {
	if cl, ok := c.cache[s.Key()]; ok {
		return cl, nil
	}
	seen := map[string]bool{s.Key(): true}
	out := []*model.State{s}
	work := []*model.State{s}
	for len(work) > 0 {
		x := work[len(work)-1]
		work = work[:len(work)-1]
		succ, err := deviceMoves(c.m, x)
		if err != nil {
			return nil, err
		}
		for _, n := range succ {
			if !seen[n.next.Key()] {
				seen[n.next.Key()] = true
				out = append(out, n.next)
				work = append(work, n.next)
				if len(out) > maxBeliefStates {
					return nil, fmt.Errorf("a belief grew past %d states: the device's own moves are too nondeterministic to enumerate", maxBeliefStates)
				}
			}
		}
	}
	c.cache[s.Key()] = out
	return out, nil
}

type move struct {
	t     *model.Transition
	input bool
	next  *model.State
}

// deviceMoves lists what the device may do by itself in s.
func deviceMoves(m *model.Model, s *model.State) ([]move, error) {
	var out []move
	for _, t := range m.Internals {
		ok, err := m.Enabled(t, s)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		n, err := m.Fire(t, s, nil)
		if err != nil {
			return nil, err
		}
		if n.Key() != s.Key() {
			out = append(out, move{t: t, next: n})
		}
	}
	for _, t := range m.Inputs {
		ok, err := m.Enabled(t, s)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		n, err := m.Fire(t, s, nil)
		if err != nil {
			return nil, err
		}
		if n.Key() != s.Key() {
			out = append(out, move{t: t, input: true, next: n})
		}
	}
	return out, nil
}

// available reports whether generated code can produce t: it names only
// constants, request parameters and values the driver read.
func available(t *term.T) bool {
	return !t.Mentions(term.Entry, "") && !t.Mentions(term.Unknown, "")
}
