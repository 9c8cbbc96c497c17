package solve

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/term"
)

// A sector loop solves a method over a buffer of whole sectors one sector
// at a time. The block class says that an event whose buffer spans k
// sectors stands for the k one-sector events at lba, lba+1, ..., each
// with the next piece of the buffer. A device that moves one sector per
// event (the ATA disk: one DRQ data phase per sector, every emit with the
// count 1) can never show a k-sector event, so the whole-buffer game has
// no strategy; the one-sector game has. The method is then that game
// played once per piece, with the position parameter advanced by one:
// the one-sector game starts from the idle invariant and ends inside it,
// like a method of its own, so k plays in a row are k calls, which is
// what the class's reading of a k-sector event asks for.
//
// A device that takes the whole count at once (vblk: one request for the
// buffer) emits the count it was given and keeps the whole-buffer game.

// SectorLoop describes a method solved one piece of its buffer at a time.
type SectorLoop struct {
	Buf  string // the slice parameter
	Size int    // bytes per piece (the N of the contract's len(buf) % N == 0)
	Pos  string // the parameter that advances by one per piece (the LBA)
	// Bits, when not 0, is how many bits of Pos the device takes (ATA:
	// 28, every emit zero-extends its lba: {0[35:0], lba}): every
	// position of a request must be below 1<<Bits, and the method
	// refuses others with ErrInvalidArgument before any access.
	Bits int
	// Tail, when not nil, is the strategy played once after the last
	// piece: a clause E || P of the contract, with E an event of the
	// pieces and P a class predicate, is met by P holding at the end
	// (the block class's FUA write on a disk without FUA: the sectors
	// written one by one, then the cache flushed once).
	Tail *Strategy
	// narrow lists the device's position expressions under the zero
	// extension (lba), which the narrowed position feeds.
	narrow []*dsl.Expr
	// tail are the contract's clauses the tail meets (P of each E || P).
	tail []*dsl.Clause
}

// sectorLoop reports whether meth is solved as a sector loop on m: its
// contract requires len(buf) % N == 0, every ensures is an event whose
// count is len(buf) / N right after a position parameter, and the device
// emits each of those events only with the count 1.
func sectorLoop(m *model.Model, meth *dsl.Method) *SectorLoop {
	var buf *dsl.Param
	for _, p := range meth.Params {
		if p.Type.Slice {
			if buf != nil {
				return nil
			}
			buf = p
		}
	}
	if buf == nil || len(meth.Results) > 0 {
		return nil
	}
	sl := &SectorLoop{Buf: buf.Name}
	for _, c := range meth.Clauses {
		if c.For != nil {
			return nil
		}
		if c.Requires != nil {
			eachConj(c.Requires, func(e *dsl.Expr) {
				if e.Kind == dsl.BinaryExpr && e.Op == "==" && e.Y.Kind == dsl.NumberExpr && e.Y.Value == 0 &&
					e.X.Kind == dsl.BinaryExpr && e.X.Op == "%" && isLen(e.X.X, buf.Name) && e.X.Y.Kind == dsl.NumberExpr && e.X.Y.Value > 1 {
					sl.Size = int(e.X.Y.Value)
				}
			})
		}
	}
	if sl.Size == 0 {
		return nil
	}
	events := map[string]int{} // event name -> index of its count argument
	// event checks one event of the contract: its count is len(buf) / N,
	// right after the position parameter.
	event := func(e *dsl.Expr) bool {
		at := -1
		for i, a := range e.Args {
			if isCount(a, buf.Name, sl.Size) {
				at = i
			}
		}
		if at < 1 {
			return false
		}
		pos := positionParam(e.Args[at-1])
		if sl.Pos != "" && sl.Pos != pos || !isScalarParam(meth, pos) {
			return false
		}
		sl.Pos = pos
		events[e.Name()] = at
		return true
	}
	for _, c := range meth.Clauses {
		if c.Ensures == nil {
			continue
		}
		tail, ok := pieceClause(m, c.Ensures, buf.Name, event)
		if !ok {
			return nil
		}
		if tail != nil {
			sl.tail = append(sl.tail, &dsl.Clause{Pos: c.Pos, Ensures: tail})
		}
	}
	if len(events) == 0 {
		return nil
	}
	// Every emit of the contract's events moves one piece.
	ones, others := 0, 0
	zeros := map[int]bool{} // widths of the zero extensions of the position
	eachEmit(reflect.ValueOf(m.Spec.Device), func(em *dsl.Emit) {
		at, ok := events[em.Event]
		if !ok || at >= len(em.Args) {
			return
		}
		if a := em.Args[at]; a.Kind == dsl.NumberExpr && a.Value == 1 {
			ones++
		} else {
			others++
		}
		pos := em.Args[at-1]
		if z := zeroExtension(pos); z > 0 {
			sl.narrow = append(sl.narrow, pos.Args[1])
			zeros[z] = true
		} else {
			zeros[0] = true
		}
	})
	if ones == 0 || others > 0 {
		return nil
	}
	if len(zeros) == 1 && !zeros[0] {
		w := paramWidth(meth, sl.Pos)
		for z := range zeros {
			if z < w {
				sl.Bits = w - z
			}
		}
	}
	if sl.Bits == 0 {
		sl.narrow = nil
	}
	return sl
}

// pieceClause reports whether ensures e holds piece by piece: an event of
// the contract (checked by event), or a choice (||) between such an event
// and a class predicate that does not look at the buffer, which is then
// the tail's to meet (returned). A predicate on its own is not taken: it
// is about the end of the whole method, and nothing says the pieces may
// break it in between.
func pieceClause(m *model.Model, e *dsl.Expr, buf string, event func(*dsl.Expr) bool) (tail *dsl.Expr, ok bool) {
	isEvent := func(x *dsl.Expr) bool { return x.Kind == dsl.CallExpr && m.Events[x.Name()] != nil }
	isPred := func(x *dsl.Expr) bool {
		if (x.Kind != dsl.NameExpr && x.Kind != dsl.CallExpr) || m.Preds[x.Name()] == nil {
			return false
		}
		names := map[string]bool{}
		collectAllNames(x, names)
		return !names[buf]
	}
	switch {
	case isEvent(e):
		return nil, event(e)
	case e.Kind == dsl.BinaryExpr && e.Op == "||" && isEvent(e.X) && isPred(e.Y):
		return e.Y, event(e.X)
	case e.Kind == dsl.BinaryExpr && e.Op == "||" && isPred(e.X) && isEvent(e.Y):
		return e.X, event(e.Y)
	}
	return nil, false
}

// tailOf reports whether ensures e is a choice the tail meets.
func (sl *SectorLoop) tailOf(e *dsl.Expr) bool {
	for _, t := range sl.tail {
		if e.Kind == dsl.BinaryExpr && e.Op == "||" && (e.X == t.Ensures || e.Y == t.Ensures) {
			return true
		}
	}
	return false
}

// tailMethod is the method the tail solves: the predicates the contract
// lets hold at the end in place of per-piece events, without parameters.
func (sl *SectorLoop) tailMethod(meth *dsl.Method) *dsl.Method {
	if sl == nil || len(sl.tail) == 0 {
		return nil
	}
	return &dsl.Method{Pos: meth.Pos, Name: meth.Name, Clauses: sl.tail}
}

// zeroExtension is the width of the zero e starts with when e is {0[h:l],
// X}, else 0.
func zeroExtension(e *dsl.Expr) int {
	if e.Kind == dsl.ConcatExpr && len(e.Args) == 2 && e.Args[0].Kind == dsl.SliceExpr &&
		e.Args[0].X.Kind == dsl.NumberExpr && e.Args[0].X.Value == 0 {
		return e.Args[0].Hi - e.Args[0].Lo + 1
	}
	return 0
}

func paramWidth(meth *dsl.Method, name string) int {
	for _, p := range meth.Params {
		if p.Name == name && p.Type.Data != nil {
			return *p.Type.Data
		}
	}
	return 0
}

// narrowParams makes the piece's position the Bits the device takes,
// zero-extended to the parameter's width: the method has refused
// positions that do not fit. Called before the goal's feeds are derived.
func (sl *SectorLoop) narrowParams(meth *dsl.Method, g *goal) {
	if sl == nil || sl.Bits == 0 {
		return
	}
	w := paramWidth(meth, sl.Pos)
	g.params[sl.Pos] = term.Cat(term.C(0, w-sl.Bits), term.P(sl.Pos, sl.Bits))
}

// narrowFeeds lets the narrowed position feed what the device
// zero-extends (lba, and through the command's assignment the task file
// fields). Called after the goal's feeds are derived.
func (sl *SectorLoop) narrowFeeds(m *model.Model, g *goal) {
	if sl == nil || sl.Bits == 0 {
		return
	}
	assigned := map[string][]fieldExpr{}
	for _, r := range m.Regs {
		walkStmts(r.OnWrite, func(s *dsl.Stmt) {
			if s.Assign != nil && len(s.Assign.Target.Parts) == 1 {
				assigned[s.Assign.Target.Parts[0]] = append(assigned[s.Assign.Target.Parts[0]], fieldExpr{r, s.Assign.Value})
			}
		})
	}
	why := fmt.Sprintf("the contract's %s, below 1<<%d", sl.Pos, sl.Bits)
	if len(g.wantEvents) == 1 {
		// The position feeds that event: the fields need it only until
		// the event happens (noteEvent).
		g.feedingEvent = g.wantEvents[0]
		defer func() { g.feedingEvent = "" }()
	}
	for _, e := range sl.narrow {
		g.mapArg(m, nil, e, term.P(sl.Pos, sl.Bits), why, assigned)
	}
}

// piece is meth's contract for one piece: len(buf) is the piece's
// size, so len(buf) / N is 1, and the requires about the buffer's length
// hold by construction and are dropped (the whole method checks them).
func (sl *SectorLoop) piece(meth *dsl.Method) *dsl.Method {
	if sl == nil {
		return meth
	}
	piece := *meth
	piece.Clauses = nil
	for _, c := range meth.Clauses {
		if c.Ensures == nil {
			continue
		}
		e := c.Ensures
		if sl.tailOf(e) {
			continue // met once, by the tail, after the last piece
		}
		piece.Clauses = append(piece.Clauses, &dsl.Clause{Pos: c.Pos, Ensures: sl.pieceExpr(e)})
	}
	return &piece
}

func (sl *SectorLoop) pieceExpr(e *dsl.Expr) *dsl.Expr {
	if e == nil {
		return nil
	}
	if isCount(e, sl.Buf, sl.Size) {
		return &dsl.Expr{Pos: e.Pos, Kind: dsl.NumberExpr, Value: 1, Text: "1"}
	}
	if isLen(e, sl.Buf) {
		return &dsl.Expr{Pos: e.Pos, Kind: dsl.NumberExpr, Value: uint64(sl.Size)}
	}
	c := *e
	c.X, c.Y, c.Z = sl.pieceExpr(e.X), sl.pieceExpr(e.Y), sl.pieceExpr(e.Z)
	c.Args = nil
	for _, a := range e.Args {
		c.Args = append(c.Args, sl.pieceExpr(a))
	}
	return &c
}

func isLen(e *dsl.Expr, buf string) bool {
	return e.Kind == dsl.CallExpr && e.Name() == "len" && len(e.Args) == 1 &&
		e.Args[0].Kind == dsl.NameExpr && e.Args[0].Name() == buf
}

func isCount(e *dsl.Expr, buf string, size int) bool {
	return e.Kind == dsl.BinaryExpr && e.Op == "/" && isLen(e.X, buf) &&
		e.Y.Kind == dsl.NumberExpr && e.Y.Value == uint64(size)
}

// positionParam is the parameter a position argument names: lba, or
// lba zero-extended ({0[35:0], lba}); "" for anything else.
func positionParam(e *dsl.Expr) string {
	if e.Kind == dsl.ConcatExpr && len(e.Args) == 2 && e.Args[0].Kind == dsl.SliceExpr &&
		e.Args[0].X.Kind == dsl.NumberExpr && e.Args[0].X.Value == 0 {
		e = e.Args[1]
	}
	if e.Kind == dsl.NameExpr && len(e.Path) == 1 {
		return e.Path[0]
	}
	return ""
}

func isScalarParam(meth *dsl.Method, name string) bool {
	for _, p := range meth.Params {
		if p.Name == name {
			return !p.Type.Slice && !p.Out && p.Type.Data != nil
		}
	}
	return false
}

// eachConj calls f for every conjunct of e.
func eachConj(e *dsl.Expr, f func(*dsl.Expr)) {
	if e.Kind == dsl.BinaryExpr && e.Op == "&&" {
		eachConj(e.X, f)
		eachConj(e.Y, f)
		return
	}
	f(e)
}

// eachEmit calls f for every emit statement under v.
func eachEmit(v reflect.Value, f func(*dsl.Emit)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if em, ok := v.Interface().(*dsl.Emit); ok {
			f(em)
			return
		}
		eachEmit(v.Elem(), f)
	case reflect.Struct:
		for _, i := range specFields(v.Type()) {
			eachEmit(v.Field(i), f)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			eachEmit(v.Index(i), f)
		}
	}
}

// copiedConsts adds to consts, for a register field copied whole into a
// state variable (left = SECCOUNT.COUNT on the command write), the
// literals the spec compares that variable with (left == 1): writing one
// of them is how a driver makes the device's later choice on the variable
// go one way, a one-sector command that ends after its sector.
func copiedConsts(m *model.Model, consts map[string][]uint64) {
	if m.Spec == nil || m.Spec.Device == nil || m.Spec.Device.Device == nil {
		return
	}
	compared := map[string][]uint64{}
	var expr func(e *dsl.Expr)
	expr = func(e *dsl.Expr) {
		if e == nil {
			return
		}
		if e.Kind == dsl.BinaryExpr {
			switch e.Op {
			case "==", "!=", "<", "<=", ">", ">=":
				for _, side := range [][2]*dsl.Expr{{e.X, e.Y}, {e.Y, e.X}} {
					if side[0].Kind == dsl.NameExpr && len(side[0].Path) == 1 && m.Var(side[0].Path[0]) >= 0 && side[1].Kind == dsl.NumberExpr {
						compared[side[0].Path[0]] = append(compared[side[0].Path[0]], side[1].Value)
					}
				}
			}
		}
		for _, x := range []*dsl.Expr{e.X, e.Y, e.Z} {
			expr(x)
		}
		for _, a := range e.Args {
			expr(a)
		}
	}
	copies := map[string][]string{} // state variable -> fields copied into it
	walkSpec(reflect.ValueOf(m.Spec.Device.Device.Items), nil, expr, func(a *dsl.Assign) {
		expr(a.Value)
		v := a.Value
		if len(a.Target.Parts) == 1 && v.Kind == dsl.NameExpr && len(v.Path) == 2 && m.Reg(v.Path[0]) != nil {
			copies[a.Target.Parts[0]] = append(copies[a.Target.Parts[0]], v.Name())
		}
	})
	for _, v := range sortedKeys(copies) {
		for _, f := range copies[v] {
			for _, c := range compared[v] {
				if !slices.Contains(consts[f], c) {
					consts[f] = append(consts[f], c)
				}
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
