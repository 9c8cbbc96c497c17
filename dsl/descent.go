package dsl

import (
	"strconv"

	"github.com/alecthomas/participle/v2/lexer"
)

// The grammar of a spec is the one the struct tags of ast.go give to
// participle, and participle's parser is the reference: it reports every
// syntax error, in the words the diagnostics use. But it matches by
// reflection, at about 60 µs a register, so that loading a spec with a
// thousand registers cost as much as synthesizing its driver. descend is
// the same grammar written out by hand, for the files that have no error.
// It builds the tree participle would and gives up at the first token it
// does not expect; Parse then runs participle, which explains what is
// wrong. A fuzz test checks that every file descend accepts gets the tree
// participle gives it.
//
// Each rule follows its tags literally, with participle's conventions: a
// quoted word matches any token of that text, a capture by token type
// (@Ident, @Number, @String) only that type; Pos is the first significant
// token of a node, EndPos the token (whitespace included) after it. Where
// participle would back off and try another reading, descend gives up.

// descend parses a whole file, or returns nil where participle must.
func descend(toks []lexer.Token) (f *File) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(giveUp); !ok {
				panic(r)
			}
			f = nil
		}
	}()
	d := &descent{c: cursor{toks: toks}}
	d.c.skipElided()
	f = &File{Pos: d.pos()}
	switch {
	case d.is("device"):
		f.Device = d.device()
	case d.is("class"):
		f.Class = d.class()
	default:
		d.giveUp()
	}
	if !d.c.Peek().EOF() {
		d.giveUp()
	}
	return f
}

// giveUp is the panic that abandons a descent.
type giveUp struct{}

type descent struct{ c cursor }

// cursor walks the scanned tokens (ending in EOF) as participle's lexer
// does, skipping whitespace and comments, without copying them.
type cursor struct {
	toks []lexer.Token
	raw  int // the token after the last one consumed
	next int // the next significant token
}

func (c *cursor) skipElided() {
	for c.next = c.raw; ; c.next++ {
		t := &c.toks[c.next]
		if t.EOF() || t.Type != tokWhitespace && t.Type != tokComment {
			return
		}
	}
}

// Peek is the next significant token.
func (c *cursor) Peek() *lexer.Token { return &c.toks[c.next] }

// Next consumes the next significant token; at the end it stays at EOF.
func (c *cursor) Next() *lexer.Token {
	t := &c.toks[c.next]
	if t.EOF() {
		return t
	}
	c.raw = c.next + 1
	c.skipElided()
	return t
}

func (d *descent) giveUp() { panic(giveUp{}) }

func (d *descent) pos() Pos { return posOf(d.c.Peek().Pos) }

// endPos is where participle's EndPos points: the raw token after the
// last one consumed.
func (d *descent) endPos() Pos { return posOf(d.c.toks[d.c.raw].Pos) }

// is reports whether the next token reads v (of any type, as a quoted
// word in a tag matches).
func (d *descent) is(v string) bool { return d.c.Peek().Value == v }

func (d *descent) accept(v string) bool {
	if d.is(v) {
		d.c.Next()
		return true
	}
	return false
}

func (d *descent) expect(v string) {
	if !d.accept(v) {
		d.giveUp()
	}
}

// oneOf captures the next token if it reads one of vs.
func (d *descent) oneOf(vs ...string) (string, bool) {
	for _, v := range vs {
		if d.is(v) {
			return d.c.Next().Value, true
		}
	}
	return "", false
}

func (d *descent) mustOneOf(vs ...string) string {
	v, ok := d.oneOf(vs...)
	if !ok {
		d.giveUp()
	}
	return v
}

func (d *descent) isType(typ lexer.TokenType) bool {
	t := d.c.Peek()
	return t.Type == typ && !t.EOF()
}

func (d *descent) ident() string {
	if !d.isType(tokIdent) {
		d.giveUp()
	}
	return d.c.Next().Value
}

// number captures a number as participle does into an int field.
func (d *descent) number() int {
	if !d.isType(tokNumber) {
		d.giveUp()
	}
	n, err := strconv.ParseInt(d.c.Next().Value, 0, strconv.IntSize)
	if err != nil {
		d.giveUp()
	}
	return int(n)
}

func (d *descent) optNumberAfter(word string) *int {
	if !d.accept(word) {
		return nil
	}
	n := d.number()
	return &n
}

func (d *descent) optString() *string {
	if !d.isType(tokString) {
		return nil
	}
	s := d.c.Next().Value
	return &s
}

func (d *descent) identNode() *Ident {
	p := d.pos()
	return &Ident{Pos: p, Name: d.ident()}
}

// expr parses an expression with the expression parser participle
// calls (Expr.Parse), which gives up where this does.
func (d *descent) expr() *Expr {
	if t := d.c.Peek(); t.EOF() || !startsExpr(t) {
		d.giveUp()
	}
	p := exprParser{lex: &d.c}
	e, err := p.cond()
	if err != nil {
		d.giveUp()
	}
	return e
}

func (d *descent) optExprAfter(word string) *Expr {
	if !d.accept(word) {
		return nil
	}
	return d.expr()
}

// list parses "(" (item ("," item)*)? ")".
func (d *descent) list(item func()) {
	d.expect("(")
	if !d.is(")") {
		item()
		for d.accept(",") {
			item()
		}
	}
	d.expect(")")
}

// block parses "{" item* "}".
func (d *descent) block(item func()) {
	d.expect("{")
	for !d.accept("}") {
		item()
	}
}

// ---------------------------------------------------------------- device

func (d *descent) device() *Device {
	dev := &Device{Pos: d.pos()}
	d.expect("device")
	dev.Name = d.ident()
	d.expect("implements")
	dev.Implements = d.identNode()
	d.block(func() { dev.Items = append(dev.Items, d.deviceItem()) })
	dev.EndPos = d.endPos()
	return dev
}

func (d *descent) deviceItem() *DeviceItem {
	it := &DeviceItem{Pos: d.pos()}
	switch d.c.Peek().Value {
	case "bus":
		it.Bus = d.busDecl()
	case "region":
		it.Region = d.regionDecl()
	case "const":
		it.Const = d.constDecl()
	case "type":
		it.Type = d.typeDecl()
	case "state":
		it.State = d.stateDecl()
	case "register":
		it.Register = d.registerDecl()
	case "stream":
		it.Stream = d.streamDecl()
	case "internal":
		it.Internal = d.internalDecl()
	case "input":
		it.Input = d.inputDecl()
	case "interrupt":
		it.Interrupt = d.interruptDecl()
	case "fault":
		it.Fault = d.faultDecl()
	case "bind":
		it.Bind = d.bindDecl()
	default:
		d.giveUp()
	}
	return it
}

func (d *descent) busDecl() *BusDecl {
	b := &BusDecl{Pos: d.pos()}
	d.expect("bus")
	b.Kind = d.mustOneOf("port", "mmio")
	b.Width = d.optNumberAfter("width")
	b.IRQ = d.accept("irq")
	return b
}

func (d *descent) regionDecl() *RegionDecl {
	r := &RegionDecl{Pos: d.pos()}
	d.expect("region")
	r.Name = d.ident()
	d.expect("size")
	r.Size = d.number()
	return r
}

func (d *descent) constDecl() *ConstDecl {
	c := &ConstDecl{Pos: d.pos()}
	d.expect("const")
	c.Name = d.ident()
	d.expect("=")
	c.Value = d.expr()
	return c
}

func (d *descent) typeDecl() *TypeDecl {
	t := &TypeDecl{Pos: d.pos()}
	d.expect("type")
	t.Name = d.ident()
	d.expect("=")
	t.Type = d.typ()
	return t
}

func (d *descent) stateDecl() *StateDecl {
	s := &StateDecl{Pos: d.pos()}
	d.expect("state")
	s.Name = d.ident()
	d.expect(":")
	s.Type = d.typ()
	s.Init = d.optExprAfter("=")
	s.Carried = d.accept("carried")
	return s
}

func (d *descent) typ() *Type {
	t := &Type{Pos: d.pos()}
	if d.accept("[") {
		d.expect("]")
		t.Slice = true
	}
	switch {
	case d.accept("bool"):
		t.Bool = true
	case d.is("uint") || d.is("data"):
		// Without its "<" participle would read the word as a type's
		// name; give that reading back to it.
		word := d.c.Next().Value
		d.expect("<")
		n := d.number()
		d.expect(">")
		if word == "uint" {
			t.Uint = &n
		} else {
			t.Data = &n
		}
	case d.is("enum"):
		t.Enum = d.enumBody()
	default:
		t.Named = d.ident()
	}
	return t
}

func (d *descent) enumBody() *EnumBody {
	e := &EnumBody{Pos: d.pos()}
	d.expect("enum")
	d.expect("{")
	if !d.is("}") {
		e.Members = append(e.Members, d.enumMember())
		for d.accept(",") {
			if d.is("}") { // the trailing comma
				break
			}
			e.Members = append(e.Members, d.enumMember())
		}
	}
	d.expect("}")
	return e
}

func (d *descent) enumMember() *EnumMember {
	m := &EnumMember{Pos: d.pos()}
	m.Name = d.ident()
	m.Value = d.optNumberAfter("=")
	return m
}

func (d *descent) registerDecl() *RegisterDecl {
	r := &RegisterDecl{Pos: d.pos()}
	d.expect("register")
	r.Name = d.ident()
	d.expect("@")
	r.At = d.location()
	d.expect(":")
	r.Access = d.mustOneOf("ro", "wo", "rw")
	r.Width = d.optNumberAfter("width")
	r.Reset = d.optNumberAfter("reset")
	r.When = d.optExprAfter("when")
	d.block(func() { r.Body = append(r.Body, d.regItem()) })
	r.EndPos = d.endPos()
	return r
}

func (d *descent) location() *Location {
	l := &Location{Pos: d.pos()}
	if d.isType(tokIdent) {
		l.Region = d.ident()
		d.expect("+")
	}
	l.Offset = d.number()
	return l
}

func (d *descent) regItem() *RegItem {
	it := &RegItem{Pos: d.pos()}
	switch {
	case d.is("field"):
		it.Field = d.fieldDecl()
	case d.is("on"):
		it.Handler = d.handler()
	default:
		d.giveUp()
	}
	return it
}

func (d *descent) fieldDecl() *FieldDecl {
	f := &FieldDecl{Pos: d.pos()}
	d.expect("field")
	f.Name = d.ident()
	f.Bits = d.bitRange()
	if d.is("enum") {
		f.Enum = d.enumBody()
	}
	f.Reset = d.optNumberAfter("reset")
	for {
		e, ok := d.oneOf("rc", "w1c", "trigger")
		if !ok {
			break
		}
		f.Effects = append(f.Effects, e)
	}
	f.Value = d.optExprAfter("=")
	return f
}

func (d *descent) bitRange() *BitRange {
	b := &BitRange{Pos: d.pos()}
	d.expect("[")
	b.Hi = d.number()
	b.Lo = d.optNumberAfter(":")
	d.expect("]")
	return b
}

func (d *descent) handler() *Handler {
	h := &Handler{Pos: d.pos()}
	d.expect("on")
	h.On = d.mustOneOf("read", "write")
	h.Body = d.stmts()
	return h
}

func (d *descent) streamDecl() *StreamDecl {
	s := &StreamDecl{Pos: d.pos()}
	d.expect("stream")
	s.Name = d.ident()
	d.expect("@")
	s.At = d.location()
	d.expect(":")
	s.Access = d.mustOneOf("ro", "wo", "rw")
	d.expect("width")
	s.Width = d.number()
	s.Kind = d.mustOneOf("fifo", "window")
	if d.isType(tokNumber) {
		n := d.number()
		s.Size = &n
	}
	s.When = d.optExprAfter("when")
	d.expect("{")
	for d.is("layout") {
		s.Layouts = append(s.Layouts, d.layoutDecl())
	}
	for d.is("on") {
		s.Body = append(s.Body, d.handler())
	}
	d.expect("}")
	return s
}

func (d *descent) layoutDecl() *LayoutDecl {
	l := &LayoutDecl{Pos: d.pos()}
	d.expect("layout")
	l.Name = d.ident()
	l.When = d.optExprAfter("when")
	d.block(func() { l.Fields = append(l.Fields, d.layoutField()) })
	return l
}

func (d *descent) layoutField() *LayoutField {
	f := &LayoutField{Pos: d.pos()}
	d.expect("field")
	f.Name = d.ident()
	d.expect("@")
	f.Offset = d.number()
	d.expect(":")
	f.Type = d.typ()
	f.Order, _ = d.oneOf("le", "be")
	f.Value = d.optExprAfter("=")
	return f
}

func (d *descent) internalDecl() *InternalDecl {
	in := &InternalDecl{Pos: d.pos()}
	d.expect("internal")
	in.Name = d.ident()
	in.Fair = d.accept("fair")
	in.Rare = d.accept("rare")
	in.Between = d.accept("between")
	in.Guard = d.optExprAfter("when")
	in.Body = d.stmts()
	return in
}

func (d *descent) inputDecl() *InputDecl {
	in := &InputDecl{Pos: d.pos()}
	d.expect("input")
	in.Name = d.ident()
	d.list(func() { in.Params = append(in.Params, d.param()) })
	in.Guard = d.optExprAfter("when")
	in.Body = d.stmts()
	return in
}

func (d *descent) interruptDecl() *InterruptDecl {
	in := &InterruptDecl{Pos: d.pos()}
	d.expect("interrupt")
	d.expect("when")
	in.Cond = d.expr()
	return in
}

func (d *descent) faultDecl() *FaultDecl {
	f := &FaultDecl{Pos: d.pos()}
	d.expect("fault")
	f.Name = d.ident()
	d.expect("when")
	f.Cond = d.expr()
	f.Message = d.optString()
	return f
}

func (d *descent) bindDecl() *BindDecl {
	b := &BindDecl{Pos: d.pos()}
	d.expect("bind")
	b.Class = d.identNode()
	d.block(func() { b.Preds = append(b.Preds, d.predBinding()) })
	return b
}

func (d *descent) predBinding() *PredBinding {
	p := &PredBinding{Pos: d.pos()}
	p.Name = d.ident()
	if d.is("(") {
		d.list(func() { p.Params = append(p.Params, d.identNode()) })
	}
	d.expect("=")
	p.Body = d.expr()
	if d.accept("within") {
		n := d.number()
		d.expect("%")
		p.Within = &n
	}
	return p
}

// ---------------------------------------------------------------- statements

// stmts parses "{" Stmt* "}".
func (d *descent) stmts() []*Stmt {
	var out []*Stmt
	d.block(func() { out = append(out, d.stmt()) })
	return out
}

func (d *descent) stmt() *Stmt {
	s := &Stmt{Pos: d.pos()}
	switch {
	case d.is("require"):
		r := &Require{Pos: d.pos()}
		d.c.Next()
		r.Cond = d.expr()
		r.Message = d.optString()
		s.Require = r
	case d.is("emit"):
		e := &Emit{Pos: d.pos()}
		d.c.Next()
		e.Event = d.ident()
		d.list(func() { e.Args = append(e.Args, d.expr()) })
		s.Emit = e
	case d.is("if"):
		i := &If{Pos: d.pos()}
		d.c.Next()
		i.Cond = d.expr()
		i.Then = d.stmts()
		if d.accept("else") {
			i.Else = d.stmts()
		}
		s.If = i
	case d.isType(tokIdent):
		a := &Assign{Pos: d.pos()}
		a.Target = d.path()
		d.expect("=")
		a.Value = d.expr()
		s.Assign = a
	default:
		d.giveUp()
	}
	return s
}

func (d *descent) path() *Path {
	p := &Path{Pos: d.pos()}
	p.Parts = append(p.Parts, d.ident())
	for d.accept(".") {
		p.Parts = append(p.Parts, d.ident())
	}
	return p
}

// ---------------------------------------------------------------- class

func (d *descent) class() *Class {
	c := &Class{Pos: d.pos()}
	d.expect("class")
	c.Name = d.ident()
	d.block(func() { c.Items = append(c.Items, d.classItem()) })
	c.EndPos = d.endPos()
	return c
}

func (d *descent) classItem() *ClassItem {
	it := &ClassItem{Pos: d.pos()}
	switch d.c.Peek().Value {
	case "type":
		it.Type = d.typeDecl()
	case "event":
		e := &EventDecl{Pos: d.pos()}
		d.c.Next()
		e.Name = d.ident()
		d.list(func() { e.Params = append(e.Params, d.param()) })
		it.Event = e
	case "predicate":
		p := &PredDecl{Pos: d.pos()}
		d.c.Next()
		p.Name = d.ident()
		if d.is("(") {
			d.list(func() { p.Params = append(p.Params, d.param()) })
		}
		it.Predicate = p
	case "method":
		it.Method = d.method()
	default:
		d.giveUp()
	}
	return it
}

func (d *descent) param() *Param {
	p := &Param{Pos: d.pos()}
	p.Out = d.accept("out")
	p.Name = d.ident()
	d.expect(":")
	p.Type = d.typ()
	return p
}

func (d *descent) method() *Method {
	m := &Method{Pos: d.pos()}
	d.expect("method")
	m.Name = d.ident()
	d.list(func() { m.Params = append(m.Params, d.param()) })
	if d.accept("->") {
		d.expect("(")
		m.Results = append(m.Results, d.param())
		for d.accept(",") {
			m.Results = append(m.Results, d.param())
		}
		d.expect(")")
	}
	d.block(func() { m.Clauses = append(m.Clauses, d.clause()) })
	return m
}

func (d *descent) clause() *Clause {
	c := &Clause{Pos: d.pos()}
	switch {
	case d.accept("requires"):
		c.Requires = d.expr()
	case d.accept("ensures"):
		c.Ensures = d.expr()
	case d.is("for"):
		f := &ForEach{Pos: d.pos()}
		d.c.Next()
		f.Var = d.ident()
		d.expect("in")
		f.Over = d.identNode()
		d.block(func() { f.Clauses = append(f.Clauses, d.clause()) })
		c.For = f
	case d.is("fault"):
		f := &ClassFault{Pos: d.pos()}
		d.c.Next()
		f.Name = d.ident()
		f.Message = d.optString()
		c.Fault = f
	default:
		d.giveUp()
	}
	return c
}
