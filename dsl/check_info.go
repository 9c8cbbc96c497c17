package dsl

// Info records what the checker resolved every name of a spec to, the way
// go/types.Info records Uses: the lowering reads it instead of looking
// names up again, so what a name means is decided once, by the checker
// that reported on it.
type Info struct {
	// Uses maps every name expression (NameExpr) and every called name
	// (CallExpr) that resolved to what it denotes.
	Uses map[*Expr]*Object
	// Targets maps every assignment whose target resolved to it.
	Targets map[*Assign]*Object
}

// ObjectKind says what kind of thing a name denotes.
type ObjectKind uint8

const (
	ObjInvalid   ObjectKind = iota
	ObjState                // a state variable: State
	ObjField                // a register field, bare in its register's handlers or REG.FIELD: Register, Field
	ObjConst                // a named constant: Const
	ObjMember               // an enum member: Enum, Value
	ObjParam                // a parameter, a for variable or a stream's buf: Name
	ObjRegister             // a register or stream named as a whole: Register or Stream
	ObjEvent                // a class event (in a contract): Name
	ObjPredicate            // a class predicate (in a contract): Name
	ObjBuiltin              // a builtin function (len): Name
)

func (k ObjectKind) String() string {
	return [...]string{"invalid", "state variable", "field", "constant", "enum member", "parameter",
		"register", "event", "predicate", "builtin"}[k]
}

// Object is what a name denotes.
type Object struct {
	Kind ObjectKind
	// Name is the name as declared: REG.FIELD for a field, the member's
	// name for an enum member.
	Name     string
	State    *StateDecl
	Register *RegisterDecl
	Stream   *StreamDecl
	Field    *FieldDecl
	Const    *ConstDecl
	// Enum is the declaration of a member's enum (a type's, a state's or
	// a field's enum body), or of a parameter's enum type; Value is the
	// member's value.
	Enum  *EnumBody
	Value uint64
}

func (c *checker) use(e *Expr, sym *ckSym) {
	if c.info == nil || sym == nil {
		return
	}
	if o := sym.object(); o != nil {
		c.info.Uses[e] = o
	}
}

func (c *checker) target(a *Assign, sym *ckSym) {
	if c.info == nil || sym == nil {
		return
	}
	if o := sym.object(); o != nil {
		c.info.Targets[a] = o
	}
}

// object is the exported form of a resolved symbol.
func (s *ckSym) object() *Object {
	switch s.kind {
	case symState:
		return &Object{Kind: ObjState, Name: s.name, State: s.state.decl}
	case symField:
		return &Object{Kind: ObjField, Name: s.name, Register: s.field.reg.reg, Field: s.field.decl}
	case symConst:
		return &Object{Kind: ObjConst, Name: s.name, Const: s.cnst}
	case symMember:
		if s.t == nil || s.t.enum == nil {
			return nil
		}
		return &Object{Kind: ObjMember, Name: s.name, Enum: s.t.enum.body, Value: s.t.enum.vals[s.name]}
	case symLocal:
		o := &Object{Kind: ObjParam, Name: s.name}
		if s.t != nil && s.t.kind == ckEnum && s.t.enum != nil {
			o.Enum = s.t.enum.body
		}
		return o
	case symReg:
		return &Object{Kind: ObjRegister, Name: s.name, Register: s.reg.reg, Stream: s.reg.stream}
	case symSig:
		if s.sig.kind == "event" {
			return &Object{Kind: ObjEvent, Name: s.name}
		}
		return &Object{Kind: ObjPredicate, Name: s.name}
	}
	return nil
}
