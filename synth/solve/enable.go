package solve

// Enabling moves. A register the goal needs to access may be out of reach
// for a reason no bank write fixes: reading the RTC's time registers
// breaks a require while an update may be copying them, and as long as
// the divider runs the device may start one after any access. Then some
// write must first take the device where the access is safe (stop the
// divider). When no access the lower bound already counts can be that
// write, it is one more; and when only one register can do it, reaching
// that register is part of the cost too.

// blockKey is a skeleton state and a register.
type blockKey struct {
	sk int32
	ri int
}

// blocking is a game's memo of the enabling analysis.
type blocking struct {
	killing  map[blockKey]bool
	enablers map[blockKey][]int
	kills    map[[2]int]bool
	// reach is the skeleton reachable from the idle invariant.
	reach              []int32
	reachDone, reachOK bool
}

// accessible reports whether the driver may access register ri in state
// id: read it, or write it with the values it holds.
func (gm *game) accessible(id int32, ri int) (bool, error) {
	r := gm.m.Regs[ri]
	if r.Read {
		rr, err := gm.cl.read(id, ri, r)
		if err != nil {
			return false, err
		}
		if !rr.viol {
			return true, nil
		}
	}
	if r.Write {
		ws := gm.skeletonWrites(ri, gm.cl.recs[id].s)
		if !ws.ok {
			return true, nil // claim nothing
		}
		for k, vals := range ws.vals {
			w, err := gm.cl.write(id, ws.acts[k], r, vals)
			if err != nil {
				return false, err
			}
			if !w.viol {
				return true, nil
			}
		}
	}
	return false, nil
}

// killing reports whether, from skeleton state sk, the device may by
// itself reach a state where register ri cannot be accessed: then no
// belief holding sk lets the driver access ri.
func (gm *game) killing(sk int32, ri int) (bool, error) {
	if gm.bl == nil {
		gm.bl = &blocking{killing: map[blockKey]bool{}, enablers: map[blockKey][]int{}}
	}
	k := blockKey{sk, ri}
	if v, ok := gm.bl.killing[k]; ok {
		return v, nil
	}
	closed, err := gm.cl.close([]int32{sk})
	if err != nil {
		return false, err
	}
	kill := false
	for _, id := range closed {
		ok, err := gm.accessible(id, ri)
		if err != nil {
			return false, err
		}
		if !ok {
			kill = true
			break
		}
	}
	gm.bl.killing[k] = kill
	return kill, nil
}

// enablersOf lists the registers one access of which takes skeleton state
// sk to a state that is neither a dead end nor killing for ri.
func (gm *game) enablersOf(sk int32, ri int) ([]int, error) {
	k := blockKey{sk, ri}
	if e, ok := gm.bl.enablers[k]; ok {
		return e, nil
	}
	good := func(next int32) (bool, error) {
		if gm.foreignAt(next) {
			return false, nil
		}
		// Accessing ri matters on the way to the goal, not to a fault.
		x := gm.skeleton(next)
		if dead, err := gm.deadEnd(x, false); err != nil || dead {
			return false, err
		}
		kill, err := gm.killing(x, ri)
		return !kill, err
	}
	var out []int
	s := gm.cl.recs[sk].s
	// sk is killing for ri (enabling asks only then), so an access that
	// leads sk back to itself enables nothing: only skeletonRegs can.
	for _, wi := range gm.skeletonRegs() {
		w := gm.m.Regs[wi]
		ok := false
		if w.Read {
			rr, err := gm.cl.read(sk, wi, w)
			if err != nil {
				return nil, err
			}
			if !rr.viol {
				if ok, err = good(rr.next); err != nil {
					return nil, err
				}
			}
		}
		if w.Write && !ok {
			ws := gm.skeletonWrites(wi, s)
			if !ws.ok {
				ok = true // claim nothing
			}
			for k, vals := range ws.vals {
				if ok {
					break
				}
				wr, err := gm.cl.write(sk, ws.acts[k], w, vals)
				if err != nil {
					return nil, err
				}
				if !wr.viol {
					if ok, err = good(wr.next); err != nil {
						return nil, err
					}
				}
			}
		}
		if ok {
			out = append(out, wi)
		}
	}
	if len(gm.m.Streams) > 0 {
		out = append(out, -1) // a stream transfer might enable it: claim nothing
	}
	gm.bl.enablers[k] = out
	return out, nil
}

// enabling returns, for the registers in touch, the registers that can
// take the belief where they become accessible, when every state of n
// keeps them out of reach; nil when some access is possible already (or
// the analysis claims nothing).
func (gm *game) enabling(n *Node, touch []int) (map[int]bool, error) {
	var enab map[int]bool
	for _, ri := range touch {
		blocked := true
		for _, id := range n.B.ids {
			kill, err := gm.killing(gm.skeleton(id), ri)
			if err != nil {
				return nil, err
			}
			if !kill {
				blocked = false
				break
			}
		}
		if !blocked {
			continue
		}
		if enab == nil {
			enab = map[int]bool{}
		}
		for _, id := range n.B.ids {
			es, err := gm.enablersOf(gm.skeleton(id), ri)
			if err != nil {
				return nil, err
			}
			for _, e := range es {
				enab[e] = true
			}
		}
	}
	return enab, nil
}

// maxSkeleton bounds the skeleton states kills explores.
const maxSkeleton = 20000

// kills reports whether putting restore register rr's fields back to their
// idle values leaves register ri out of reach for good: in every skeleton
// state reachable from the idle invariant with those fields idle, the
// state is a dead end for the goal or killing for ri. Then the last write
// of rr comes after the access to ri. It claims nothing (false) when the
// reachable skeleton is larger than maxSkeleton.
func (gm *game) kills(rr, ri int) bool {
	if gm.bl.kills == nil {
		gm.bl.kills = map[[2]int]bool{}
	}
	k := [2]int{rr, ri}
	if v, ok := gm.bl.kills[k]; ok {
		return v
	}
	gm.bl.kills[k] = false
	var fixed []restoreField
	for _, rf := range gm.bounds().restore {
		if rf.ri == rr {
			fixed = append(fixed, rf)
		}
	}
	reach, ok := gm.reachableSkeleton()
	if len(fixed) == 0 || !ok {
		return false
	}
	for _, sk := range reach {
		s := gm.cl.recs[sk].s
		idle := true
		for _, rf := range fixed {
			idle = idle && rf.idle.has(s.Val(rf.v))
		}
		if !idle {
			continue
		}
		dead, err := gm.deadEnd(sk, false)
		if err != nil {
			return false
		}
		if !dead {
			kill, err := gm.killing(sk, ri)
			if err != nil || !kill {
				return false
			}
		}
	}
	gm.bl.kills[k] = true
	return true
}

// reachableSkeleton lists the skeleton states any sequence of moves
// reaches from the idle invariant; false past maxSkeleton.
func (gm *game) reachableSkeleton() ([]int32, bool) {
	if gm.bl.reachDone {
		return gm.bl.reach, gm.bl.reachOK
	}
	gm.bl.reachDone = true
	seen := map[int32]bool{}
	var queue []int32
	for _, s := range gm.goal.idleStates {
		sk := gm.skeleton(gm.cl.intern(s))
		if !seen[sk] {
			seen[sk] = true
			queue = append(queue, sk)
		}
	}
	for i := 0; i < len(queue); i++ {
		if len(queue) > maxSkeleton {
			return nil, false
		}
		succ, err := gm.skeletonMoves(queue[i])
		if err != nil {
			return nil, false
		}
		for _, x := range succ {
			if !seen[x] {
				seen[x] = true
				queue = append(queue, x)
			}
		}
	}
	gm.bl.reach, gm.bl.reachOK = queue, true
	return queue, true
}
