package solve

import "github.com/drvsynth/drvsynth/synth/model"

// betweenCalls adds to the states a method ends in what the device may do
// before the next call. That is the closure of the beliefs already, except
// for rare transitions (at most once per call, see model.RareMark): any
// time may pass between two calls, so each may happen again, any number of
// times. Without rare transitions the states come back unchanged.
func betweenCalls(m *model.Model, cl *closer, states []*model.State) ([]*model.State, error) {
	rare := false
	for _, t := range m.Internals {
		rare = rare || t.Rare
	}
	if !rare {
		return states, nil
	}
	seen := map[string]bool{}
	var out, work []*model.State
	add := func(s *model.State) {
		c := s.Clone()
		c.ClearEvents()
		if k := c.Key(); !seen[k] {
			seen[k] = true
			out = append(out, c)
			work = append(work, c)
		}
	}
	for _, s := range states {
		add(s)
	}
	for len(work) > 0 {
		ids := make([]int32, len(work))
		for i, s := range work {
			ids[i] = cl.intern(s)
		}
		work = work[:0]
		closed, err := cl.close(ids)
		if err != nil {
			return nil, err
		}
		for _, id := range closed {
			add(cl.recs[id].s)
		}
	}
	return out, nil
}
