package solve

// inertAccesses marks, once per game, the registers whose reads and whose
// writes cannot give an edge, so that expanding a belief costs nothing for
// them (a spec with hundreds of registers a method never needs):
//
//   - a write gives an edge only if it changes a relevant variable or the
//     events (changesRelevant). A register without a write handler whose
//     stored fields are all irrelevant changes neither.
//   - a read gives an edge only if it has an effect (a read handler, a
//     read-clear field), learns a value worth learning, or shows a
//     constant that differs between states. A register without a handler
//     or read-clear field whose fields are all stored, irrelevant data
//     that no device behaviour assigns does none of these: such a field
//     holds, in every state of a belief, the same value (its reset value,
//     its entry value, or what the driver wrote), and an irrelevant entry
//     value is not worth learning.
func (gm *game) inertAccesses() (reads, writes []bool) {
	if gm.inertR != nil {
		return gm.inertR, gm.inertW
	}
	m, rel := gm.m, gm.goal.relevant
	reads, writes = make([]bool, len(m.Regs)), make([]bool, len(m.Regs))
	for ri, r := range m.Regs {
		w := len(r.OnWrite) == 0
		rd := len(r.OnRead) == 0
		for _, f := range r.Fields {
			if f.Stored && rel[f.Var] {
				w = false
			}
			if !f.Stored || f.RC || rel[f.Var] || m.Vars[f.Var].Finite || m.Assigned(f.Var) {
				rd = false
			}
		}
		reads[ri], writes[ri] = rd, w
	}
	gm.inertR, gm.inertW = reads, writes
	return reads, writes
}
