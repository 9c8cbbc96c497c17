package dsl

import (
	"fmt"
	"sort"
)

// checkDevice checks a device spec against the class already in c.cls.
// First every declaration is collected (so order in the file does not
// matter), then the layout of registers and streams is checked, then every
// expression and statement.
func (c *checker) checkDevice(f *File) {
	c.src(f)
	d := f.Device
	dev := &ckDevice{
		file:     f,
		busWidth: 8,
		types:    map[string]*ckNamed{},
		consts:   map[string]*ckConstSym{},
		states:   map[string]*ckState{},
		regs:     map[string]*ckReg{},
		regions:  map[string]*RegionDecl{},
		members:  map[string][]*ckEnumType{},
	}
	c.dev = dev
	if c.cls != nil {
		for name, ens := range c.cls.members {
			dev.members[name] = append([]*ckEnumType(nil), ens...)
		}
	}

	values := c.namespace() // consts, states, registers, streams share expressions
	typeNames := c.namespace()
	regionNames := c.namespace()
	actions := c.namespace() // internal transitions, inputs, faults
	var (
		bus      *BusDecl
		regs     []*ckReg // registers and streams in file order
		states   []*ckState
		types    []*ckNamed
		consts   []*ckConstSym
		bindings []*BindDecl
		irq      *InterruptDecl
	)
	for _, it := range d.Items {
		switch {
		case it.Bus != nil:
			if bus != nil {
				c.errorf(it.Bus.Pos, "duplicate bus declaration (first at %s)", where(bus.Pos))
				c.related(bus.Pos, "first bus declaration")
				continue
			}
			bus = it.Bus
			dev.port = bus.Kind == "port"
			if bus.Width != nil {
				if !ckOneOf(*bus.Width, 8, 16, 32, 64) {
					c.errorf(c.tokenAfter(bus.Pos, "width"), "bus width must be 8, 16, 32 or 64 bits, not %d", *bus.Width)
				} else {
					dev.busWidth = *bus.Width
				}
			}
		case it.Region != nil:
			r := it.Region
			pos := c.identAt(r.Pos, 1)
			if regionNames.declare("region", r.Name, pos) {
				dev.regions[r.Name] = r
			}
			if r.Size <= 0 {
				c.errorf(c.tokenAfter(r.Pos, "size"), "region %s has no bytes", r.Name)
			}
		case it.Const != nil:
			k := &ckConstSym{decl: it.Const, pos: c.identAt(it.Const.Pos, 1)}
			if values.declare("const", k.decl.Name, k.pos) {
				dev.consts[k.decl.Name] = k
				consts = append(consts, k)
			}
		case it.Type != nil:
			nt := &ckNamed{decl: it.Type, pos: c.identAt(it.Type.Pos, 1)}
			if typeNames.declare("type", nt.decl.Name, nt.pos) {
				if c.cls != nil && c.cls.types[nt.decl.Name] != nil {
					c.errorf(nt.pos, "type %s hides the class type of the same name", nt.decl.Name)
				}
				dev.types[nt.decl.Name] = nt
				types = append(types, nt)
			}
		case it.State != nil:
			s := &ckState{decl: it.State, pos: c.identAt(it.State.Pos, 1)}
			if values.declare("state", s.decl.Name, s.pos) {
				dev.states[s.decl.Name] = s
				states = append(states, s)
			}
		case it.Register != nil:
			r := &ckReg{reg: it.Register, name: it.Register.Name, access: it.Register.Access,
				pos: c.identAt(it.Register.Pos, 1), fields: map[string]*ckField{}}
			if values.declare("register", r.name, r.pos) {
				dev.regs[r.name] = r
			}
			regs = append(regs, r)
		case it.Stream != nil:
			r := &ckReg{stream: it.Stream, name: it.Stream.Name, access: it.Stream.Access,
				pos: c.identAt(it.Stream.Pos, 1), fields: map[string]*ckField{}}
			if values.declare("stream", r.name, r.pos) {
				dev.regs[r.name] = r
			}
			regs = append(regs, r)
		case it.Internal != nil:
			actions.declare("internal transition", it.Internal.Name, c.identAt(it.Internal.Pos, 1))
		case it.Input != nil:
			actions.declare("input", it.Input.Name, c.identAt(it.Input.Pos, 1))
		case it.Fault != nil:
			actions.declare("fault", it.Fault.Name, c.identAt(it.Fault.Pos, 1))
		case it.Interrupt != nil:
			if irq != nil {
				c.errorf(it.Interrupt.Pos, "duplicate interrupt condition (first at %s): combine them with ||", where(irq.Pos))
				c.related(irq.Pos, "first interrupt condition")
			} else {
				irq = it.Interrupt
			}
		case it.Bind != nil:
			bindings = append(bindings, it.Bind)
		}
	}
	if bus == nil {
		c.errorf(c.identAt(d.Pos, 1), "device %s has no bus declaration (bus port|mmio width N [irq])", d.Name)
	}
	if irq != nil && bus != nil && !bus.IRQ {
		c.errorf(irq.Pos, "interrupt condition given, but the bus has no irq line: write bus %s ... irq", bus.Kind)
	}

	// Types first: states, fields and parameters refer to them.
	for _, nt := range types {
		c.resolveNamed(nt, false)
		if nt.t != nil && nt.t.kind == ckEnum {
			addMembers(dev.members, nt.t.enum)
		}
	}
	for _, s := range states {
		// A state variable may hold a buffer: the contents of a data window.
		s.t = c.resolveType(s.decl.Type, s.decl.Name, true, false)
		if s.t.kind == ckEnum && s.decl.Type.Enum != nil {
			addMembers(dev.members, s.t.enum)
		}
		if s.decl.Carried && (s.decl.Type.Slice || s.decl.Type.Data != nil) {
			c.errorf(s.pos, "state %s is data: only finite state (bool, uint, enum) can be carried between methods; data is never part of the idle invariant", s.decl.Name)
		}
	}
	for _, r := range regs {
		if r.reg != nil {
			c.layoutRegister(r)
		} else {
			c.layoutStream(r)
		}
	}
	c.overlaps(regs)

	// Bodies.
	for _, k := range consts {
		c.constType(k)
	}
	for _, s := range states {
		if s.decl.Init != nil {
			c.expect(&ckScope{constOnly: true}, s.decl.Init, s.t, "initial value of "+s.decl.Name)
		}
	}
	for _, r := range regs {
		c.registerBody(r)
	}
	for _, it := range d.Items {
		switch {
		case it.Internal != nil:
			in := it.Internal
			sc := &ckScope{action: "internal transition"}
			if in.Fair && in.Rare {
				c.errorf(c.identAt(in.Pos, 1), "internal %s cannot be both fair and rare: a fair transition is guaranteed to happen, a rare one at most once per method call", in.Name)
			}
			if in.Between && (in.Fair || in.Rare) {
				c.errorf(c.identAt(in.Pos, 1), "internal %s cannot be between and also fair or rare: a between transition happens only between method calls, whenever the device likes", in.Name)
			}
			if in.Guard != nil {
				c.cond(sc, in.Guard, "guard of internal "+in.Name)
			} else if in.Fair {
				c.warnf(c.identAt(in.Pos, 1), "internal %s is fair and has no guard: always enabled: the device never stops taking it (add when COND)", in.Name)
			}
			c.stmts(sc, in.Body)
		case it.Input != nil:
			in := it.Input
			sc := &ckScope{locals: c.params(in.Params, false, false), action: "input"}
			if in.Guard != nil {
				c.cond(sc, in.Guard, "guard of input "+in.Name)
			}
			c.stmts(sc, in.Body)
		case it.Interrupt != nil:
			c.cond(&ckScope{}, it.Interrupt.Cond, "interrupt condition")
		case it.Fault != nil:
			c.cond(&ckScope{}, it.Fault.Cond, "condition of fault "+it.Fault.Name)
		}
	}
	c.bindings(d, bindings)
}

func ckOneOf(v int, set ...int) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

// constType evaluates a const declaration once; a const is an untyped
// constant (or bool) computed from numbers and other consts.
func (c *checker) constType(k *ckConstSym) *ckType {
	switch k.state {
	case ckResolved:
		return k.t
	case ckResolving:
		c.errorf(k.pos, "constant %s is defined in terms of itself", k.decl.Name)
		k.t = ckInvalidType
		return k.t
	}
	k.state = ckResolving
	t := c.expr(&ckScope{constOnly: true}, k.decl.Value, nil)
	if k.t == nil {
		k.t = t
	}
	k.state = ckResolved
	return k.t
}

// bitsText prints a bit range as written: [7:0] or [3].
func bitsText(b *BitRange) string {
	if b.Lo == nil {
		return fmt.Sprintf("[%d]", b.Hi)
	}
	return fmt.Sprintf("[%d:%d]", b.Hi, *b.Lo)
}

// layoutRegister checks a register's size, reset value, place and fields.
func (c *checker) layoutRegister(r *ckReg) {
	rd := r.reg
	r.width = c.dev.busWidth
	if rd.Width != nil {
		if ckOneOf(*rd.Width, 8, 16, 32, 64) {
			r.width = *rd.Width
		} else {
			c.errorf(c.tokenAfter(rd.Pos, "width"), "register width must be 8, 16, 32 or 64 bits, not %d", *rd.Width)
		}
	}
	if rd.Reset != nil && (*rd.Reset < 0 || !ckFits(uint64(*rd.Reset), r.width)) {
		c.errorf(c.tokenAfter(rd.Pos, "reset"), "reset value %#x of register %s does not fit in %s", *rd.Reset, r.name, ckPlural(r.width, "bit"))
	}
	c.location(r, rd.At, c.accessBytes(r.width))

	names := c.namespace()
	var placed []*ckField
	for _, it := range rd.Body {
		if it.Field == nil {
			continue
		}
		fd := it.Field
		f := &ckField{decl: fd, reg: r, pos: c.identAt(fd.Pos, 1)}
		declared := names.declare("field", fd.Name, f.pos)
		br := fd.Bits
		width := 1
		valid := false
		switch {
		case br == nil:
		case br.Low() > br.Hi:
			c.errorf(br.Pos, "bit range %s of field %s is reversed: write [high:low]", bitsText(br), fd.Name)
		case br.Hi >= r.width:
			c.errorf(br.Pos, "field %s %s does not fit in the %d-bit register %s", fd.Name, bitsText(br), r.width, r.name)
		default:
			valid = true
			width = br.Width()
		}
		if valid {
			for _, p := range placed {
				pb := p.decl.Bits
				if br.Low() <= pb.Hi && pb.Low() <= br.Hi {
					c.errorf(br.Pos, "field %s %s overlaps field %s %s of register %s", fd.Name, bitsText(br), p.decl.Name, bitsText(pb), r.name)
					break
				}
			}
			placed = append(placed, f)
		}
		if fd.Enum != nil {
			en := c.enum(fd.Enum, r.name+"."+fd.Name, width)
			f.t = &ckType{kind: ckEnum, enum: en}
			addMembers(c.dev.members, en)
		} else {
			f.t = ckBitsType(width, false)
		}
		if fd.Reset != nil && (*fd.Reset < 0 || !ckFits(uint64(*fd.Reset), width)) {
			c.errorf(c.tokenAfter(fd.Pos, "reset"), "reset value %#x of field %s does not fit in %s", *fd.Reset, fd.Name, ckPlural(width, "bit"))
		}
		c.effects(r, f)
		if declared {
			r.fields[fd.Name] = f
		}
		r.order = append(r.order, f)
	}
	c.handlerPlacement(r, rd.Body)
}

// effects checks a field's side effects against its register's access.
func (c *checker) effects(r *ckReg, f *ckField) {
	fd := f.decl
	seen := map[string]bool{}
	for _, e := range fd.Effects {
		pos := c.tokenAfterBits(fd, e)
		if seen[e] {
			c.errorf(pos, "%s given twice for field %s", e, fd.Name)
			continue
		}
		seen[e] = true
		switch e {
		case "rc":
			if !r.readable() {
				c.errorf(pos, "rc on field %s of write-only register %s: it is never read", fd.Name, r.name)
			}
		case "w1c", "trigger":
			if !r.writable() {
				c.errorf(pos, "%s on field %s of read-only register %s: it is never written", e, fd.Name, r.name)
			}
		}
	}
	if seen["trigger"] && (seen["rc"] || seen["w1c"]) {
		c.errorf(f.pos, "field %s is a trigger (nothing is stored), so it cannot also be rc or w1c", fd.Name)
	}
	if fd.Value != nil {
		switch {
		case r.access == "wo":
			c.errorf(fd.Value.Pos, "field %s of write-only register %s cannot have a value: it is never read", fd.Name, r.name)
		case seen["trigger"]:
			c.errorf(fd.Value.Pos, "trigger field %s cannot have a value: it reads as 0", fd.Name)
		}
	}
}

// tokenAfterBits finds an effect keyword after a field's bit range (the
// field name could itself be spelled like a keyword).
func (c *checker) tokenAfterBits(fd *FieldDecl, word string) Pos {
	from := fd.Pos
	if fd.Bits != nil {
		from = fd.Bits.Pos
	}
	for i := 0; i < 16; i++ {
		p := c.identAt(from, i)
		src := c.srcs[p.Filename]
		if p.Offset+len(word) <= len(src) && string(src[p.Offset:p.Offset+len(word)]) == word &&
			(p.Offset+len(word) == len(src) || !ckIdentStart(src[p.Offset+len(word)])) {
			return p
		}
	}
	return fd.Pos
}

// handlerPlacement checks that on read / on write handlers sit on
// registers or streams that can be read / written, once each.
func (c *checker) handlerPlacement(r *ckReg, items []*RegItem) {
	var seen [2]*Handler
	for _, it := range items {
		h := it.Handler
		if h == nil {
			continue
		}
		pos := c.identAt(h.Pos, 1)
		i := 0
		if h.On == "write" {
			i = 1
		}
		if seen[i] != nil {
			c.errorf(pos, "duplicate on %s handler of %s %s (first at %s)", h.On, r.kind(), r.name, where(seen[i].Pos))
			c.related(seen[i].Pos, "first on %s handler", h.On)
			continue
		}
		seen[i] = h
		switch {
		case h.On == "read" && !r.readable():
			c.errorf(pos, "on read handler on write-only %s %s: it is never read", r.kind(), r.name)
		case h.On == "write" && !r.writable():
			c.errorf(pos, "on write handler on read-only %s %s: it is never written", r.kind(), r.name)
		}
	}
}

// accessBytes is how many addresses an access of width bits takes: one
// port number on a port bus, its bytes on MMIO.
func (c *checker) accessBytes(width int) int {
	if c.dev.port || width < 8 {
		return 1
	}
	return width / 8
}

// location checks that a register or stream lies in a declared region.
func (c *checker) location(r *ckReg, at *Location, bytes int) {
	if at == nil || at.Region == "" {
		return
	}
	reg, ok := c.dev.regions[at.Region]
	if !ok {
		c.errorf(at.Pos, "undefined region %s", at.Region)
		return
	}
	if reg.Size > 0 && at.Offset+bytes > reg.Size {
		c.errorf(c.tokenAt(at.Pos, 2), "%s %s (bytes %d to %d) lies outside region %s (size %d)", r.kind(), r.name, at.Offset, at.Offset+bytes-1, at.Region, reg.Size)
	}
}

// layoutStream checks a stream port's size, place and handlers.
func (c *checker) layoutStream(r *ckReg) {
	sd := r.stream
	r.width = sd.Width
	if !ckOneOf(sd.Width, 8, 16, 32) {
		c.errorf(c.tokenAfter(sd.Pos, "width"), "stream width must be 8, 16 or 32 bits, not %d", sd.Width)
		r.width = 8
	}
	bytes := c.accessBytes(r.width)
	if sd.Kind == "window" {
		if sd.Size == nil || *sd.Size <= 0 {
			c.errorf(c.tokenAfter(sd.Pos, "width"), "window stream %s needs a size in bytes: window N", r.name)
		} else {
			bytes = *sd.Size
		}
	}
	c.location(r, sd.At, bytes)
	items := make([]*RegItem, len(sd.Body))
	for i, h := range sd.Body {
		items[i] = &RegItem{Handler: h}
	}
	c.handlerPlacement(r, items)
}

// span is the byte range a register or stream occupies: on a port bus one
// port number, on MMIO its width in bytes (a window: its size).
func (r *ckReg) span(port bool) (region string, lo, hi int) {
	at := r.at()
	if at == nil {
		return "", 0, -1
	}
	if port {
		return at.Region, at.Offset, at.Offset
	}
	bytes := r.width / 8
	if bytes == 0 {
		bytes = 1
	}
	if r.stream != nil && r.stream.Kind == "window" && r.stream.Size != nil && *r.stream.Size > 0 {
		bytes = *r.stream.Size
	}
	return at.Region, at.Offset, at.Offset + bytes - 1
}

// at returns the location of the register or stream.
func (r *ckReg) at() *Location {
	if r.stream != nil {
		return r.stream.At
	}
	return r.reg.At
}

func (r *ckReg) when() *Expr {
	if r.stream != nil {
		return r.stream.When
	}
	return r.reg.When
}

// overlaps reports registers and streams that share bytes in the same
// region, bank and access direction: the device could not tell which one
// an access means. Each is reported against the first declared one it
// clashes with. Registers are swept by offset within their region and
// bank, so the work grows with the registers and the pairs that share
// bytes, not with every pair.
func (c *checker) overlaps(regs []*ckReg) {
	type span struct{ i, lo, hi int }
	groups := map[string][]span{}
	for i, r := range regs {
		region, lo, hi := r.span(c.dev.port)
		if hi < lo {
			continue
		}
		k := region + "\x00" + ckText(r.when())
		groups[k] = append(groups[k], span{i, lo, hi})
	}
	first := make([]int, len(regs)) // the earliest clash of each, or -1
	for i := range first {
		first[i] = -1
	}
	for _, g := range groups {
		sort.Slice(g, func(x, y int) bool { return g[x].lo < g[y].lo || g[x].lo == g[y].lo && g[x].i < g[y].i })
		var active []span
		for _, s := range g {
			kept := active[:0]
			for _, a := range active {
				if a.hi >= s.lo {
					kept = append(kept, a)
				}
			}
			active = kept
			for _, a := range active {
				early, late := a.i, s.i
				if early > late {
					early, late = late, early
				}
				if overlapDir(regs[early], regs[late]) != "" && (first[late] < 0 || early < first[late]) {
					first[late] = early
				}
			}
			active = append(active, s)
		}
	}
	for j, i := range first {
		if i < 0 {
			continue
		}
		a, b := regs[i], regs[j]
		_, loa, _ := a.span(c.dev.port)
		_, lob, _ := b.span(c.dev.port)
		dir := overlapDir(a, b)
		bank := "unbanked"
		if w := b.when(); w != nil {
			bank = "banked when " + ckText(w)
		}
		if a.stream != nil || b.stream != nil {
			c.errorf(b.pos, "%s %s overlaps %s %s (both %s, %s): a stream must be its own data port", b.kind(), b.name, a.kind(), a.name, dir, bank)
		} else {
			c.errorf(b.pos, "register %s overlaps register %s at offset %d (both %s, %s): give one of them a when condition or another offset", b.name, a.name, max(loa, lob), dir, bank)
		}
	}
}

// overlapDir is the access direction two registers at the same bytes
// share, or "" when one is only read and the other only written.
func overlapDir(a, b *ckReg) string {
	switch {
	case a.readable() && b.readable():
		return "readable"
	case a.writable() && b.writable():
		return "writable"
	}
	return ""
}

// registerBody checks a register's or stream's condition, field values
// and handlers.
func (c *checker) registerBody(r *ckReg) {
	if w := r.when(); w != nil {
		c.cond(&ckScope{}, w, "when condition of "+r.kind()+" "+r.name)
	}
	if r.stream != nil {
		buf := &ckLocal{name: "buf", pos: r.pos, t: ckBufType}
		sc := &ckScope{locals: map[string]*ckLocal{"buf": buf}}
		for _, h := range r.stream.Body {
			c.stmts(sc, h.Body)
		}
		c.streamLayouts(r)
		return
	}
	sc := &ckScope{reg: r}
	for _, f := range r.order {
		if f.decl.Value != nil {
			c.expect(sc, f.decl.Value, f.t, "value of field "+f.decl.Name)
		}
	}
	for _, it := range r.reg.Body {
		if h := it.Handler; h != nil {
			hs := *sc
			if h.On == "write" {
				hs.writing = r
			}
			c.stmts(&hs, h.Body)
		}
	}
}

// params declares parameters as locals. allowSlice is true for class
// parameters, where inClass also resolves types against the class.
func (c *checker) params(ps []*Param, allowSlice, inClass bool) map[string]*ckLocal {
	out := map[string]*ckLocal{}
	names := c.namespace()
	for _, p := range ps {
		pos := p.Pos
		if p.Out {
			pos = c.identAt(p.Pos, 1)
		}
		t := c.resolveType(p.Type, p.Name, allowSlice, inClass)
		if t.kind == ckEnum && p.Type.Enum != nil {
			addMembers(c.members(), t.enum)
		}
		if names.declare("parameter", p.Name, pos) {
			out[p.Name] = &ckLocal{name: p.Name, pos: pos, t: t, out: p.Out}
		}
	}
	return out
}

// stmts checks the statements of a handler, transition or input.
func (c *checker) stmts(sc *ckScope, list []*Stmt) {
	for _, st := range list {
		switch {
		case st.Require != nil:
			if sc.action != "" {
				c.warnf(st.Require.Pos, "require in an %s has no effect: require constrains what the driver does (register and stream accesses)", sc.action)
			}
			c.cond(sc, st.Require.Cond, "require condition")
		case st.Emit != nil:
			c.emit(sc, st.Emit)
		case st.If != nil:
			c.cond(sc, st.If.Cond, "if condition")
			c.stmts(sc, st.If.Then)
			c.stmts(sc, st.If.Else)
		case st.Assign != nil:
			c.assign(sc, st.Assign)
		}
	}
}

func (c *checker) emit(sc *ckScope, em *Emit) {
	pos := c.identAt(em.Pos, 1)
	var ev *ckSig
	if c.cls != nil {
		ev = c.cls.events[em.Event]
	}
	if ev == nil {
		class := "the class"
		if c.cls != nil {
			class = "class " + c.cls.name
		}
		c.errorf(pos, "%s has no event %s", class, em.Event)
		for _, a := range em.Args {
			c.expr(sc, a, nil)
		}
		return
	}
	c.args(sc, pos, ev, em.Args)
}

func (c *checker) assign(sc *ckScope, a *Assign) {
	t := a.Target
	if t == nil {
		return
	}
	name := joinParts(t.Parts)
	sym := c.lookup(sc, t.Parts, t.Pos, nil)
	c.target(a, sym)
	var tt *ckType
	if sym != nil {
		switch sym.kind {
		case symState:
			tt = sym.t
		case symField:
			f := sym.field
			name = sym.name
			switch {
			case f.reg.access == "ro":
				c.errorf(t.Pos, "cannot assign to %s: register %s is read-only, its fields are computed (give the field = expr over device state, and update the state)", name, f.reg.name)
			case f.decl.Value != nil:
				c.errorf(t.Pos, "cannot assign to %s: its value is computed by its expression", name)
			case f.has("trigger"):
				c.errorf(t.Pos, "cannot assign to %s: it is a trigger, nothing is stored", name)
			default:
				tt = f.t
			}
		case symConst:
			c.errorf(t.Pos, "cannot assign to constant %s", name)
		case symLocal:
			c.errorf(t.Pos, "cannot assign to parameter %s", name)
		case symReg:
			c.errorf(t.Pos, "cannot assign to %s %s as a whole: assign its fields", sym.reg.kind(), name)
		default:
			c.errorf(t.Pos, "cannot assign to %s", name)
		}
	}
	if tt == nil {
		c.expr(sc, a.Value, nil)
		return
	}
	c.expect(sc, a.Value, tt, "assignment to "+name)
}

// bindings checks the device's binding to its class: one bind, of the
// class it implements, giving every class predicate a boolean meaning with
// the predicate's parameters.
func (c *checker) bindings(d *Device, binds []*BindDecl) {
	if c.cls == nil {
		return
	}
	if len(binds) == 0 {
		if len(c.cls.predOrder) > 0 && d.Implements != nil {
			c.errorf(d.Implements.Pos, "device %s implements %s but has no bind %s { ... } giving its predicates a meaning", d.Name, c.cls.name, c.cls.name)
		}
		return
	}
	for i, b := range binds {
		if b.Class == nil {
			continue
		}
		if i > 0 {
			c.errorf(b.Class.Pos, "duplicate bind (first at %s)", where(binds[0].Pos))
			c.related(binds[0].Pos, "first bind")
			continue
		}
		if b.Class.Name != c.cls.name {
			c.errorf(b.Class.Pos, "device %s implements %s, so it binds %s, not %s", d.Name, c.cls.name, c.cls.name, b.Class.Name)
			continue
		}
		seen := map[string]*PredBinding{}
		for _, pb := range b.Preds {
			if prev, dup := seen[pb.Name]; dup {
				c.errorf(pb.Pos, "duplicate binding of predicate %s (first at %s)", pb.Name, where(prev.Pos))
				c.related(prev.Pos, "first binding of %s", pb.Name)
				continue
			}
			seen[pb.Name] = pb
			if _, isFault := c.cls.faults[pb.Name]; isFault {
				c.faultBinding(pb)
				continue
			}
			sig := c.cls.preds[pb.Name]
			locals := map[string]*ckLocal{}
			names := c.namespace()
			for i, p := range pb.Params {
				t := ckInvalidType
				if sig != nil && i < len(sig.params) {
					t = sig.params[i].t
				}
				if names.declare("parameter", p.Name, p.Pos) {
					locals[p.Name] = &ckLocal{name: p.Name, pos: p.Pos, t: t}
				}
			}
			switch {
			case sig == nil && len(c.cls.faultOrder) > 0:
				c.errorf(pb.Pos, "class %s has no predicate or fault %s", c.cls.name, pb.Name)
			case sig == nil:
				c.errorf(pb.Pos, "class %s has no predicate %s", c.cls.name, pb.Name)
			case len(pb.Params) != len(sig.params):
				c.errorf(pb.Pos, "predicate %s has %s, the binding names %d", pb.Name, ckPlural(len(sig.params), "parameter"), len(pb.Params))
			}
			c.cond(&ckScope{locals: locals}, pb.Body, "binding of predicate "+pb.Name)
			if pb.Within != nil && (*pb.Within <= 0 || *pb.Within >= 100) {
				c.errorf(pb.Pos, "binding of predicate %s: within %d%%: the tolerance must be between 1%% and 99%%", pb.Name, *pb.Within)
			}
		}
		for _, name := range c.cls.predOrder {
			if seen[name] == nil {
				c.errorf(b.Class.Pos, "bind %s misses predicate %s of the class", c.cls.name, name)
			}
		}
	}
}

// streamLayouts checks the layouts of a stream: each names fields inside
// one transfer, so they must fit the transfer, not overlap, and say how
// their bytes are ordered.
func (c *checker) streamLayouts(r *ckReg) {
	sd := r.stream
	if len(sd.Layouts) == 0 {
		return
	}
	size := 0
	if sd.Size != nil {
		size = *sd.Size
	}
	names := c.namespace()
	for _, l := range sd.Layouts {
		lpos := c.identAt(l.Pos, 1)
		names.declare("layout", l.Name, lpos)
		switch {
		case sd.Access == "wo":
			c.errorf(l.Pos, "layout %s on write-only stream %s: a layout describes what a read delivers", l.Name, sd.Name)
		case size <= 0:
			c.errorf(l.Pos, "layout %s needs the size of one transfer of stream %s: write fifo N or window N", l.Name, sd.Name)
		}
		if l.When != nil {
			c.cond(&ckScope{}, l.When, "when condition of layout "+l.Name)
		}
		fields := c.namespace()
		var placed []*LayoutField
		for _, f := range l.Fields {
			fpos := c.identAt(f.Pos, 1)
			fields.declare("layout field", f.Name, fpos)
			t := c.resolveType(f.Type, f.Name, false, false)
			if t.kind == ckInvalid {
				continue
			}
			if f.Type.Data == nil || *f.Type.Data%8 != 0 {
				c.errorf(f.Type.Pos, "layout field %s is %s: a layout field is data<N> with N a whole number of bytes (data<32> is 4 bytes)", f.Name, ckTypeText(f.Type))
				continue
			}
			n := f.Bytes()
			offPos := c.tokenAt(f.Pos, 3)
			if size > 0 && f.Offset+n > size {
				c.errorf(offPos, "layout field %s (bytes %d to %d) lies outside one transfer of stream %s (%d bytes)", f.Name, f.Offset, f.Offset+n-1, sd.Name, size)
			}
			for _, o := range placed {
				if f.Offset < o.Offset+o.Bytes() && o.Offset < f.Offset+n {
					c.errorf(offPos, "layout field %s (bytes %d to %d) overlaps field %s (bytes %d to %d) of layout %s", f.Name, f.Offset, f.Offset+n-1, o.Name, o.Offset, o.Offset+o.Bytes()-1, l.Name)
					c.related(c.identAt(o.Pos, 1), "field %s declared here", o.Name)
					break
				}
			}
			placed = append(placed, f)
			if f.Value == nil {
				continue
			}
			switch {
			case !ckOneOf(n, 1, 2, 4, 8):
				c.errorf(f.Type.Pos, "layout field %s has a value, so it must be 1, 2, 4 or 8 bytes, not %d", f.Name, n)
			case n > 1 && f.Order == "":
				c.errorf(fpos, "layout field %s is %d bytes: say their order, le (least significant byte first) or be", f.Name, n)
			}
			c.expect(&ckScope{}, f.Value, t, "value of layout field "+f.Name)
		}
	}
}

// faultBinding checks the binding of a class fault: the one-bit field of
// a readable register that reads 1 while the device reports it, written
// REG.FIELD (or REG.FIELD == 1). The driver learns the fault from the
// value it read, so the binding can name nothing but that bit.
func (c *checker) faultBinding(pb *PredBinding) {
	if len(pb.Params) > 0 {
		c.errorf(pb.Params[0].Pos, "fault %s has no parameters: bind it as %s = REG.FIELD", pb.Name, pb.Name)
	}
	field := pb.Body
	if field != nil && field.Kind == BinaryExpr && field.Op == "==" && field.Y != nil && field.Y.Kind == NumberExpr && field.Y.Value == 1 {
		field = field.X
	}
	if field == nil || field.Kind != NameExpr || len(field.Path) != 2 {
		if pb.Body != nil {
			c.errorf(pb.Body.Pos, "the binding of fault %s must name the one-bit field that reads 1 when the device reports it: %s = REG.FIELD", pb.Name, pb.Name)
		}
		return
	}
	r := c.dev.regs[field.Path[0]]
	var f *ckField
	if r != nil {
		f = r.fields[field.Path[1]]
	}
	switch {
	case r == nil || r.stream != nil:
		c.errorf(field.Pos, "fault %s: %s is not a register of the device", pb.Name, field.Path[0])
	case f == nil:
		c.errorf(c.identAt(field.Pos, 1), "fault %s: register %s has no field %s", pb.Name, r.name, field.Path[1])
		c.related(r.pos, "register %s declared here", r.name)
	case r.access == "wo":
		c.errorf(field.Pos, "fault %s: register %s is write-only, so the driver can never see the fault in it", pb.Name, r.name)
	case f.decl.Bits != nil && f.decl.Bits.Lo != nil && *f.decl.Bits.Lo != f.decl.Bits.Hi:
		c.errorf(field.Pos, "fault %s: %s.%s has more than one bit: bind the fault to the bit that reads 1 when the device reports it", pb.Name, r.name, f.decl.Name)
	}
}
