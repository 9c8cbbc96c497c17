package solve

import "github.com/drvsynth/drvsynth/synth/model"

// betweenCalls adds to the states a method ends in what the device may do
// before the next call. That is the closure of the beliefs already, except
// for rare transitions (at most once per call, see model.RareMark), which
// may happen again any number of times, since any time may pass between
// two calls, and between transitions (see model.BetweenMark), which happen
// only there. Without either the states come back unchanged.
func betweenCalls(m *model.Model, cl *closer, states []*model.State) ([]*model.State, error) {
	rare, between := false, false
	for _, t := range m.Internals {
		rare = rare || t.Rare
		between = between || t.Between
	}
	if !rare && !between {
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
			if between {
				// The closer sees the mark, so it lets between
				// transitions happen; the mark goes when the events do.
				c = c.Clone()
				c.Emit(model.Event{Name: model.BetweenMark})
			}
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
