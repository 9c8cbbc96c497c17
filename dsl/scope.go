package dsl

// This file holds the checker's symbol tables and name resolution: what a
// name in an expression or an assignment refers to.

// ckClass is what the checker knows about a class spec.
type ckClass struct {
	file   *File
	name   string
	types  map[string]*ckNamed
	events map[string]*ckSig
	preds  map[string]*ckSig
	// predOrder lists the predicates in declaration order, for messages.
	predOrder []string
	methods   map[string]*Method
	// faults are the errors methods may report about an element, by name;
	// faultOrder lists them in declaration order.
	faults     map[string]*ClassFault
	faultOrder []string
	// members maps an enum member name to the class enums that have it.
	members map[string][]*ckEnumType
}

// ckSig is the signature of a class event or predicate.
type ckSig struct {
	kind   string // "event" or "predicate"
	name   string
	pos    Pos
	params []*ckLocal
}

// ckNamed is a type declaration, resolved on first use.
type ckNamed struct {
	decl  *TypeDecl
	pos   Pos
	t     *ckType
	state ckResolve
}

type ckResolve uint8

const (
	ckUnresolved ckResolve = iota
	ckResolving
	ckResolved
)

// ckDevice is what the checker knows about a device spec.
type ckDevice struct {
	file     *File
	busWidth int
	// port: the bus is port I/O, where an access of any width addresses
	// one port number, so a 16-bit data port at 0 leaves port 1 free (ATA).
	port    bool
	types   map[string]*ckNamed
	consts  map[string]*ckConstSym
	states  map[string]*ckState
	regs    map[string]*ckReg // registers and streams
	regions map[string]*RegionDecl
	// members maps an enum member name to every enum in scope that has it:
	// named device types, state and field enums, class enums.
	members map[string][]*ckEnumType
}

type ckConstSym struct {
	decl  *ConstDecl
	pos   Pos
	t     *ckType
	state ckResolve
}

type ckState struct {
	decl *StateDecl
	pos  Pos
	t    *ckType
}

// ckReg is a register or a stream.
type ckReg struct {
	reg    *RegisterDecl
	stream *StreamDecl
	name   string
	pos    Pos
	width  int
	access string
	fields map[string]*ckField
	order  []*ckField
}

func (r *ckReg) kind() string {
	if r.stream != nil {
		return "stream"
	}
	return "register"
}

func (r *ckReg) readable() bool { return r.access == "ro" || r.access == "rw" }
func (r *ckReg) writable() bool { return r.access == "wo" || r.access == "rw" }

type ckField struct {
	decl *FieldDecl
	reg  *ckReg
	pos  Pos
	t    *ckType
}

func (f *ckField) has(effect string) bool {
	for _, e := range f.decl.Effects {
		if e == effect {
			return true
		}
	}
	return false
}

// ckLocal is a name bound in an inner scope: a parameter, a stream's buf,
// a for variable.
type ckLocal struct {
	name string
	pos  Pos
	t    *ckType
	out  bool
}

// ckScope is where an expression is checked.
type ckScope struct {
	// reg is the register whose fields are visible by bare name.
	reg    *ckReg
	locals map[string]*ckLocal
	// contract: class predicates and events may be named (method
	// contracts).
	contract bool
	// requires: out parameters may not be read (a requires clause holds
	// before the method fills them).
	requires bool
	// constOnly: only constants and enum members may be named (const
	// values, state initial values).
	constOnly bool
	// writing is the register whose on write handler this is: its trigger
	// fields hold the written value here and read as 0 everywhere else.
	writing *ckReg
	// action names the kind of block statements are in ("internal
	// transition", "input"), where require does not apply.
	action string
}

func (sc *ckScope) with(l *ckLocal) *ckScope {
	n := *sc
	n.locals = make(map[string]*ckLocal, len(sc.locals)+1)
	for k, v := range sc.locals {
		n.locals[k] = v
	}
	n.locals[l.name] = l
	return &n
}

type ckSymKind uint8

const (
	symLocal ckSymKind = iota
	symField
	symState
	symConst
	symReg
	symMember
	symSig
)

// ckSym is what a name resolved to.
type ckSym struct {
	kind  ckSymKind
	t     *ckType
	local *ckLocal
	field *ckField
	state *ckState
	reg   *ckReg
	sig   *ckSig
	cnst  *ConstDecl
	name  string
}

// lookup resolves a (dotted) name. want, when it is an enum, decides which
// enum a bare member name belongs to. It reports an error and returns nil
// when the name does not resolve.
func (c *checker) lookup(sc *ckScope, parts []string, pos Pos, want *ckType) *ckSym {
	if len(parts) == 0 {
		return nil
	}
	sym := c.lookupQuiet(sc, parts, want)
	if sym == nil {
		c.reportUndefined(sc, parts, pos, want)
		return nil
	}
	if sc.constOnly && sym.kind != symConst && sym.kind != symMember {
		c.errorf(pos, "%s is not a constant: only constants and enum members may be named here", joinParts(parts))
		return nil
	}
	if sym.kind == symLocal && sym.local.out && sc.requires {
		c.errorf(pos, "requires clause reads out parameter %s, which the method only fills", sym.name)
	}
	return sym
}

func joinParts(parts []string) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += "."
		}
		s += p
	}
	return s
}

// lookupQuiet is lookup without diagnostics; an ambiguous enum member
// resolves to nil.
func (c *checker) lookupQuiet(sc *ckScope, parts []string, want *ckType) *ckSym {
	name := parts[0]
	if len(parts) == 1 {
		if l, ok := sc.locals[name]; ok {
			return &ckSym{kind: symLocal, t: l.t, local: l, name: name}
		}
		if sc.reg != nil {
			if f, ok := sc.reg.fields[name]; ok {
				return &ckSym{kind: symField, t: f.t, field: f, name: sc.reg.name + "." + name}
			}
		}
		if want != nil && want.kind == ckEnum {
			if _, ok := want.enum.vals[name]; ok {
				return &ckSym{kind: symMember, t: want, name: name}
			}
		}
		if d := c.dev; d != nil {
			if s, ok := d.states[name]; ok {
				return &ckSym{kind: symState, t: s.t, state: s, name: name}
			}
			if k, ok := d.consts[name]; ok {
				return &ckSym{kind: symConst, t: c.constType(k), cnst: k.decl, name: name}
			}
			if r, ok := d.regs[name]; ok {
				t := ckBitsType(r.width, false)
				if r.stream != nil {
					t = ckBufType
				}
				return &ckSym{kind: symReg, t: t, reg: r, name: name}
			}
		}
		if sc.contract && c.cls != nil {
			if p, ok := c.cls.preds[name]; ok {
				return &ckSym{kind: symSig, t: &ckType{kind: ckPred}, sig: p, name: name}
			}
			if ev, ok := c.cls.events[name]; ok {
				return &ckSym{kind: symSig, t: &ckType{kind: ckPred}, sig: ev, name: name}
			}
		}
		if es := c.members()[name]; len(es) == 1 {
			return &ckSym{kind: symMember, t: &ckType{kind: ckEnum, enum: es[0]}, name: name}
		}
		return nil
	}
	// REG.FIELD and REG.FIELD.MEMBER
	if c.dev != nil {
		if r, ok := c.dev.regs[name]; ok {
			f, ok := r.fields[parts[1]]
			if !ok {
				return nil
			}
			if len(parts) == 2 {
				return &ckSym{kind: symField, t: f.t, field: f, name: name + "." + parts[1]}
			}
			if len(parts) == 3 && f.t.kind == ckEnum {
				if _, ok := f.t.enum.vals[parts[2]]; ok {
					return &ckSym{kind: symMember, t: f.t, name: parts[2]}
				}
			}
			return nil
		}
	}
	// TYPE.MEMBER
	if len(parts) == 2 {
		if nt := c.namedType(name); nt != nil && nt.t != nil && nt.t.kind == ckEnum {
			if _, ok := nt.t.enum.vals[parts[1]]; ok {
				return &ckSym{kind: symMember, t: nt.t, name: parts[1]}
			}
		}
	}
	return nil
}

// reportUndefined explains why a name did not resolve, at the part that
// failed.
func (c *checker) reportUndefined(sc *ckScope, parts []string, pos Pos, want *ckType) {
	name := parts[0]
	if len(parts) == 1 {
		es := c.members()[name]
		if len(es) > 0 && want != nil && want.kind == ckEnum {
			c.errorf(pos, "%s is not a member of %s", name, want)
			return
		}
		if len(es) > 1 {
			names := ""
			for i, e := range es {
				if i > 0 {
					names += ", "
				}
				names += e.name
			}
			c.errorf(pos, "ambiguous enum member %s (in %s): compare it with a typed value or qualify it", name, names)
			return
		}
		c.errorf(pos, "undefined: %s", name)
		return
	}
	if c.dev != nil {
		if r, ok := c.dev.regs[name]; ok {
			f, ok := r.fields[parts[1]]
			if !ok {
				c.errorf(c.identAt(pos, 1), "%s %s has no field %s", r.kind(), name, parts[1])
				return
			}
			if len(parts) == 3 && f.t.kind == ckEnum {
				c.errorf(c.identAt(pos, 2), "%s is not a member of %s", parts[2], f.t.enum.name)
				return
			}
			c.errorf(pos, "%s is not a value", joinParts(parts))
			return
		}
	}
	if nt := c.namedType(name); nt != nil && len(parts) == 2 {
		if nt.t != nil && nt.t.kind == ckEnum {
			c.errorf(c.identAt(pos, 1), "%s is not a member of %s", parts[1], name)
		} else {
			c.errorf(pos, "type %s has no members", name)
		}
		return
	}
	if c.lookupQuiet(sc, parts[:1], nil) != nil {
		c.errorf(c.identAt(pos, 1), "%s has no member %s", name, parts[1])
		return
	}
	if c.dev != nil {
		c.errorf(pos, "undefined register or type %s", name)
		return
	}
	c.errorf(pos, "undefined: %s", name)
}

// members is the enum member table of the spec being checked.
func (c *checker) members() map[string][]*ckEnumType {
	if c.dev != nil {
		return c.dev.members
	}
	if c.cls != nil {
		return c.cls.members
	}
	return nil
}

// namedType finds a type declaration: the device's own first, then the
// class's. It resolves the type if needed.
func (c *checker) namedType(name string) *ckNamed {
	if c.dev != nil {
		if nt, ok := c.dev.types[name]; ok {
			c.resolveNamed(nt, false)
			return nt
		}
	}
	if c.cls != nil {
		if nt, ok := c.cls.types[name]; ok {
			c.resolveNamed(nt, true)
			return nt
		}
	}
	return nil
}

// Register returns the register (not stream) declared with this name in
// the device spec, or nil.
func (s *Spec) Register(name string) *RegisterDecl {
	if s == nil || s.Device == nil || s.Device.Device == nil {
		return nil
	}
	for _, it := range s.Device.Device.Items {
		if it.Register != nil && it.Register.Name == name {
			return it.Register
		}
	}
	return nil
}

// Field returns the field FIELD of register REG, or nil.
func (r *RegisterDecl) Field(name string) *FieldDecl {
	if r == nil {
		return nil
	}
	for _, it := range r.Body {
		if it.Field != nil && it.Field.Name == name {
			return it.Field
		}
	}
	return nil
}
