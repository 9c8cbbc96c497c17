package solve

import (
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// onlyFed reports whether variable vi matters to the goal only as a place
// the goal writes a value into: a data field or variable the goal feeds,
// which no binding, emit or frame reads, and which no candidate value is
// computed from. Its value on entry is then not worth learning: a data
// field with feeds is written only with them (fieldCands), so a read that
// learns the old value (an ATA task-file register the driver is about to
// overwrite with the LBA) gives the driver nothing it can use, and would
// only multiply the beliefs by what the driver happens to have read.
func (gm *game) onlyFed(vi int) bool {
	g, v := gm.goal, gm.m.Vars[vi]
	if v.Finite || g.framed(vi) {
		return false
	}
	var cands []*Cand
	cands = append(cands, g.feedVar[vi]...)
	if v.Field != nil {
		cands = append(cands, g.feedField[v.Field.Qual()]...)
	}
	if len(cands) == 0 {
		return false
	}
	if gm.mentioned == nil {
		gm.mentioned = mentionedNames(gm.m)
	}
	if gm.mentioned[v.Name] {
		return false
	}
	for _, cs := range g.feedField {
		if mentionsEntry(cs, v) {
			return false
		}
	}
	for _, cs := range g.feedVar {
		if mentionsEntry(cs, v) {
			return false
		}
	}
	return true
}

func mentionsEntry(cs []*Cand, v *model.Var) bool {
	for _, c := range cs {
		if c.T.Mentions(term.Entry, v.Name) {
			return true
		}
	}
	return false
}
