package dsl

import (
	"unicode"
	"unicode/utf8"
)

// checkClass checks a class spec and leaves what it declares in c.cls for
// the device that implements it.
func (c *checker) checkClass(f *File) {
	c.src(f)
	cl := f.Class
	cls := &ckClass{
		file:    f,
		name:    cl.Name,
		types:   map[string]*ckNamed{},
		events:  map[string]*ckSig{},
		preds:   map[string]*ckSig{},
		methods: map[string]*Method{},
		faults:  map[string]*ClassFault{},
		members: map[string][]*ckEnumType{},
	}
	c.cls = cls
	typeNames := c.namespace()
	// Events and predicates share a namespace: both are named in
	// contracts, as p(...) or bare.
	sigNames := c.namespace()
	methodNames := c.namespace()
	var types []*ckNamed
	for _, it := range cl.Items {
		if it.Type != nil {
			nt := &ckNamed{decl: it.Type, pos: c.identAt(it.Type.Pos, 1)}
			if typeNames.declare("type", nt.decl.Name, nt.pos) {
				cls.types[nt.decl.Name] = nt
				types = append(types, nt)
			}
		}
	}
	for _, nt := range types {
		c.resolveNamed(nt, true)
		if nt.t != nil && nt.t.kind == ckEnum {
			addMembers(cls.members, nt.t.enum)
		}
	}
	for _, it := range cl.Items {
		switch {
		case it.Event != nil:
			ev := it.Event
			sig := c.signature("event", ev.Name, c.identAt(ev.Pos, 1), ev.Params)
			if sigNames.declare("event", ev.Name, sig.pos) {
				cls.events[ev.Name] = sig
			}
		case it.Predicate != nil:
			pd := it.Predicate
			sig := c.signature("predicate", pd.Name, c.identAt(pd.Pos, 1), pd.Params)
			if sigNames.declare("predicate", pd.Name, sig.pos) {
				cls.preds[pd.Name] = sig
				cls.predOrder = append(cls.predOrder, pd.Name)
			}
		case it.Method != nil:
			m := it.Method
			pos := c.identAt(m.Pos, 1)
			if methodNames.declare("method", m.Name, pos) {
				cls.methods[m.Name] = m
			}
			if r, _ := utf8.DecodeRuneInString(m.Name); !unicode.IsUpper(r) {
				c.errorf(pos, "method %s must start with an upper-case letter: it becomes a method of a Go interface", m.Name)
			}
		}
	}
	for _, it := range cl.Items {
		if it.Method != nil {
			c.classFaults(it.Method, sigNames)
			c.method(it.Method)
		}
	}
}

// classFaults declares the faults of method m. They share the namespace of
// events and predicates, since a device binds them in the same bind block;
// two methods that name the same fault report the same error.
func (c *checker) classFaults(m *Method, sigNames *ckNames) {
	inMethod := map[string]bool{}
	var walk func(cls []*Clause, inFor bool)
	walk = func(cls []*Clause, inFor bool) {
		for _, cl := range cls {
			switch {
			case cl.For != nil:
				walk(cl.For.Clauses, true)
			case cl.Fault != nil:
				f := cl.Fault
				pos := c.identAt(f.Pos, 1)
				if !inFor {
					c.errorf(pos, "fault %s is about one element of a request: declare it inside the method's for", f.Name)
					continue
				}
				if prev := c.cls.faults[f.Name]; prev != nil {
					if inMethod[f.Name] {
						c.errorf(pos, "duplicate fault %s (first declared at %s)", f.Name, where(c.identAt(prev.Pos, 1)))
						c.related(c.identAt(prev.Pos, 1), "fault %s first declared here", f.Name)
					}
					inMethod[f.Name] = true
					continue
				}
				inMethod[f.Name] = true
				if sigNames.declare("fault", f.Name, pos) {
					c.cls.faults[f.Name] = f
					c.cls.faultOrder = append(c.cls.faultOrder, f.Name)
				}
			}
		}
	}
	walk(m.Clauses, false)
}

// signature resolves the parameters of an event or predicate.
func (c *checker) signature(kind, name string, pos Pos, ps []*Param) *ckSig {
	locals := c.params(ps, true, true)
	sig := &ckSig{kind: kind, name: name, pos: pos}
	for _, p := range ps {
		if l, ok := locals[p.Name]; ok && l.pos.Offset == ckParamPos(c, p).Offset {
			sig.params = append(sig.params, l)
		} else {
			// A duplicate: keep the arity right for callers.
			sig.params = append(sig.params, &ckLocal{name: p.Name, t: ckInvalidType})
		}
	}
	return sig
}

func ckParamPos(c *checker, p *Param) Pos {
	if p.Out {
		return c.identAt(p.Pos, 1)
	}
	return p.Pos
}

// method checks a method's parameters and contract.
func (c *checker) method(m *Method) {
	all := append(append([]*Param(nil), m.Params...), m.Results...)
	locals := c.params(all, true, true)
	for _, r := range m.Results {
		if l, ok := locals[r.Name]; ok {
			// Results are filled by the method, like out parameters.
			l.out = true
		}
	}
	sc := &ckScope{locals: locals, contract: true}
	c.clauses(sc, m.Clauses)
}

func (c *checker) clauses(sc *ckScope, cls []*Clause) {
	for _, cl := range cls {
		switch {
		case cl.Requires != nil:
			rs := *sc
			rs.requires = true
			c.cond(&rs, cl.Requires, "requires clause")
		case cl.Ensures != nil:
			c.cond(sc, cl.Ensures, "ensures clause")
		case cl.For != nil:
			fe := cl.For
			elem := ckInvalidType
			if fe.Over != nil {
				l, ok := sc.locals[fe.Over.Name]
				switch {
				case !ok:
					c.errorf(fe.Over.Pos, "for %s in %s: %s is not a parameter of the method", fe.Var, fe.Over.Name, fe.Over.Name)
				case l.t.kind == ckSlice:
					elem = l.t.elem
				case l.t.kind != ckInvalid:
					c.errorf(fe.Over.Pos, "for %s in %s: %s is %s, not a slice parameter", fe.Var, fe.Over.Name, fe.Over.Name, l.t)
				}
			}
			pos := c.identAt(fe.Pos, 1)
			if prev, ok := sc.locals[fe.Var]; ok {
				c.errorf(pos, "for variable %s hides parameter %s (declared at %s)", fe.Var, fe.Var, where(prev.pos))
				c.related(prev.pos, "parameter %s declared here", fe.Var)
			}
			c.clauses(sc.with(&ckLocal{name: fe.Var, pos: pos, t: elem}), fe.Clauses)
		}
	}
}
