package solve

import (
	"maps"

	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// A method that retries may make the device emit the event its contract
// binds results from more than once: the RTC's ReadTime reads the clock
// again after an update spoilt its first reading, and each reading of the
// seconds emits observed. The contract asks for one of them (the event
// happened with these arguments), so the results may be bound from any,
// as long as every state of the belief agrees on them and the driver holds
// them. holds binds from the first event, which is all a method that
// emits once needs; holdsAmong is what it falls back to.

// holdsAmong checks the ensures clauses in every state of b (holds has
// checked the rest), binding the out parameters from whichever emitted
// events make the states agree.
func (g *goal) holdsAmong(m *model.Model, b *Belief) (bool, map[string]*term.T, error) {
	if len(g.outs) == 0 || !emitsTwice(b) {
		// Each state has one binding at most: the one holds tried.
		return false, nil, nil
	}
	var common []map[string]*term.T
	for i, s := range b.States {
		all := []map[string]*term.T{{}}
		for _, e := range g.ensures {
			var err error
			if all, err = g.bindAll(m, g.clauseOf(m, e), s, all); err != nil || len(all) == 0 {
				return false, nil, err
			}
		}
		if i == 0 {
			common = all
			continue
		}
		common = keepShared(common, all)
		if len(common) == 0 {
			return false, nil, nil
		}
	}
	for _, r := range common {
		if g.resultsAvailable(r) {
			return true, r, nil
		}
	}
	return false, nil, nil
}

// bindAll extends each of the bindings in by clause c in s, in every way
// the events of s allow.
func (g *goal) bindAll(m *model.Model, c *clause, s *model.State, in []map[string]*term.T) ([]map[string]*term.T, error) {
	switch c.kind {
	case clauseAnd:
		l, err := g.bindAll(m, c.x, s, in)
		if err != nil || len(l) == 0 {
			return nil, err
		}
		return g.bindAll(m, c.y, s, l)
	case clauseEvent:
		var out []map[string]*term.T
		for _, ev := range s.Events {
			binds, ok := g.matchEvent(ev, c.name, c.want)
			if !ok {
				continue
			}
			for _, b := range in {
				if x, ok := merged(b, binds); ok {
					out = append(out, x)
				}
			}
		}
		return out, nil
	}
	var out []map[string]*term.T
	for _, b := range in {
		// eval only adds to the bindings it is given.
		x := make(map[string]*term.T, len(b))
		maps.Copy(x, b)
		ok, err := g.eval(m, c, s, x)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, x)
		}
	}
	return out, nil
}

// merged is a and b together, unless they bind a name differently.
func merged(a, b map[string]*term.T) (map[string]*term.T, bool) {
	x := make(map[string]*term.T, len(a)+len(b))
	maps.Copy(x, a)
	for k, v := range b {
		if w, ok := x[k]; ok && w != v {
			return nil, false
		}
		x[k] = v
	}
	return x, true
}

// keepShared keeps the bindings of have that want also has.
func keepShared(have, want []map[string]*term.T) []map[string]*term.T {
	var out []map[string]*term.T
	for _, h := range have {
		for _, w := range want {
			if maps.Equal(h, w) {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

// emitsTwice reports whether some state of b emitted an event more than
// once, with different arguments (Emit records identical ones once, and
// keeps events in the order of their spelling, NAME(args...), so events of
// one name are next to each other).
func emitsTwice(b *Belief) bool {
	for _, s := range b.States {
		for i := 1; i < len(s.Events); i++ {
			if s.Events[i].Name == s.Events[i-1].Name && !model.IsPseudoEvent(s.Events[i].Name) {
				return true
			}
		}
	}
	return false
}
