package solve

import (
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// LayoutRead is one value a stream read teaches the driver: a layout field
// of the transfer, now held in the driver variable Var.
type LayoutRead struct {
	Layout *model.Layout
	Field  *model.LayoutField
	Var    string
}

// scratchName is the driver's buffer a layout read fills, when the method
// has no buffer of its own to read into.
func scratchName(l *model.Layout) string { return "s" + l.Name }

// expandLayoutRead offers a read of one transfer of stream p into a scratch
// buffer: in every state of the belief the same layout shows, and one of
// its fields holds a value the goal may need (IDENTIFY's sector count for
// Capacity). What the driver learns is the values of those fields; the
// read itself is one access, like any stream transfer.
func (gm *game) expandLayoutRead(n *Node, p *model.Stream) error {
	if p.Size <= 0 {
		return nil // the checker wants a size with a layout
	}
	var lay *model.Layout
	for i, s := range n.B.States {
		l, err := gm.m.ActiveLayout(p, s)
		if err != nil {
			return err
		}
		if l == nil || (i > 0 && l != lay) {
			return nil
		}
		lay = l
	}
	// vals[k][i] is what field k shows in state i.
	var fields []*model.LayoutField
	var vals [][]*term.T
	for _, f := range lay.Fields {
		if f.Value == nil {
			continue
		}
		per := make([]*term.T, len(n.B.States))
		worth := false
		for i, s := range n.B.States {
			v, err := gm.m.Eval(f.Value, s, nil)
			if err != nil {
				return err
			}
			per[i] = term.Resize(v, 8*f.Bytes)
			worth = worth || gm.worthLearning(per[i])
		}
		if worth {
			fields = append(fields, f)
			vals = append(vals, per)
		}
	}
	if len(fields) == 0 {
		return nil
	}
	buf := scratchName(lay)
	nexts := make([]*model.State, len(n.B.States))
	for i, s := range n.B.States {
		next, viol, err := gm.m.StreamIO(s, p, true, term.R(buf, 0))
		if err != nil {
			return err
		}
		if viol != nil {
			return nil
		}
		nexts[i] = next
	}
	if gm.goal.emitsForeign(nexts) {
		return nil
	}
	act := &Action{Kind: ActStreamRead, Stream: p, Buf: buf}
	learned := copyLearned(n.B.Learned)
	vars := make([]*term.T, len(fields))
	for k, f := range fields {
		name := readVarName(n.B, lay.Name+"_"+f.Name)
		vars[k] = term.R(name, 8*f.Bytes)
		act.Learn = append(act.Learn, &LayoutRead{Layout: lay, Field: f, Var: name})
	}
	for i := range nexts {
		for k := range fields {
			sub := map[string]*term.T{}
			var entries []string
			learn(vals[k][i], vars[k], sub, &entries)
			if len(sub) == 0 {
				continue
			}
			nexts[i] = nexts[i].Subst(sub)
			for key, v := range learned {
				if v.Mentions(term.Entry, "") || v.Mentions(term.Unknown, "") {
					learned[key] = v.Subst(sub)
				}
			}
			for _, key := range entries {
				if _, seen := learned[key]; !seen {
					learned[key] = sub[key]
				}
			}
		}
	}
	ids := make([]int32, len(nexts))
	for i, s := range nexts {
		ids[i] = gm.cl.intern(s)
	}
	closed, err := gm.cl.close(ids)
	if err != nil {
		return err
	}
	b := gm.cl.newBeliefIDs(closed, learned)
	if b.Key() == n.B.Key() {
		return nil
	}
	n.Edges = append(n.Edges, &Edge{Act: act, Outs: []*Outcome{{Next: gm.node(b, n.depth+1)}}})
	return nil
}
