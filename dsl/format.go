package dsl

import (
	"bytes"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// Format prints the canonical form of a parsed spec file: tab indentation,
// one declaration per line, single spaces between tokens, numbers spelled
// as in the source, the fewest parentheses that keep the expression tree
// (plus two kinds kept for the reader: (a && b) || c and a ? (b ? c : d) : e),
// expressions longer than maxWidth broken at their outer structure (an &&
// or || chain one operand per line, ? and : on lines of their own, one
// argument or match case per line), single blank lines kept where the
// source had blank lines between declarations, and every comment kept.
//
// Comments are placed by walking the source token stream (File.Src scanned)
// alongside the printed tokens: a comment goes out just before the first
// printed token that follows it in the source. A comment that shared its
// source line with the token before it stays at the end of that line; any
// other comment gets a line of its own. The language ignores line breaks,
// so a comment may break a line anywhere.
//
// A File built by hand (no Src) formats too: its numbers come out in
// decimal, and its comments before the first declaration whose Pos lies
// after them (at the end when nodes carry no positions).
func Format(f *File) []byte {
	p := newPrinter(f)
	p.line()
	switch {
	case f.Device != nil:
		p.device(f.Device)
	case f.Class != nil:
		p.class(f.Class)
	}
	p.line()
	p.flushComments(math.MaxInt)
	if p.out.Len() > 0 {
		p.out.WriteByte('\n')
	}
	return p.out.Bytes()
}

// maxWidth is the line width (tabs counted as 4) beyond which a long
// expression is broken over several lines.
const maxWidth = 120

type printer struct {
	out      bytes.Buffer
	toks     []lexer.Token // the source's significant tokens, in order
	next     int           // index in toks of the next token to match
	comments []*Comment
	nc       int // index of the next comment not yet printed
	indent   int

	nl        bool // a line break is pending before the next output
	nlIndent  int  // the indentation of that next line
	nlItem    bool // the break starts a declaration: a blank line may be kept
	space     bool // a space is pending before the next token
	lastLine  int  // source line of the last token or comment printed
	afterOpen bool // nothing but trailing comments since a block's "{"
	depth     int  // continuation depth of the current line (0: first line)
	flat      bool // never break lines (measuring one-line width)
}

func newPrinter(f *File) *printer {
	p := &printer{comments: f.Comments}
	var toks []lexer.Token
	if f.Src != nil {
		toks, _ = scan(f.Name, f.Src)
	}
	for _, t := range toks {
		if t.Type != tokComment && t.Type != tokWhitespace && !t.EOF() {
			p.toks = append(p.toks, t)
		}
	}
	return p
}

// ---------------------------------------------------------------- layout

// line ends the current line: the next output starts a new declaration
// at the current indentation.
func (p *printer) line() {
	p.nl, p.nlIndent, p.nlItem = true, p.indent, true
	p.depth = 0
}

// contLine breaks a line where a comment forces it: the next token goes on
// a continuation line, one level deeper than the current one.
func (p *printer) contLine() {
	if !p.nl {
		p.nl, p.nlIndent, p.nlItem = true, p.indent+p.depth+1, false
	}
}

// breakAt breaks a long expression: the next token starts a line at
// continuation depth d.
func (p *printer) breakAt(d int) {
	p.depth = d
	p.nl, p.nlIndent, p.nlItem = true, p.indent+d, false
}

// tooLong reports whether what print prints, on one line, would run past
// maxWidth on the current line.
func (p *printer) tooLong(print func(q *printer)) bool {
	if p.flat {
		return false
	}
	q := printer{flat: true}
	print(&q)
	return p.column()+q.out.Len() > maxWidth
}

// exprTooLong is tooLong for an expression.
func (p *printer) exprTooLong(e *Expr) bool {
	return p.tooLong(func(q *printer) { q.expr(e, 0) })
}

func (p *printer) sp() { p.space = true }

// startOutput materializes the pending line break or space before a token
// or comment from source line srcLine (0 when unknown).
func (p *printer) startOutput(srcLine int) {
	if p.nl {
		if p.out.Len() > 0 {
			// Keep one blank line where the source had one or more between
			// declarations, except right after a block's opening brace.
			if p.nlItem && !p.afterOpen && srcLine > 0 && p.lastLine > 0 && srcLine-p.lastLine > 1 {
				p.out.WriteByte('\n')
			}
			p.out.WriteByte('\n')
		}
		for i := 0; i < p.nlIndent; i++ {
			p.out.WriteByte('\t')
		}
		p.nl, p.space = false, false
	} else if p.space {
		p.out.WriteByte(' ')
		p.space = false
	}
}

// ---------------------------------------------------------------- tokens

// match finds the source token that the printed token (typ, text) stands
// for and moves past it. The printer drops redundant parentheses and
// trailing commas, so those may be skipped; anything else stops the search
// (the token was made up by the printer and has no source position).
func (p *printer) match(typ lexer.TokenType, text string) int {
	for i := p.next; i < len(p.toks); i++ {
		t := p.toks[i]
		if t.Type == typ && (typ == tokString || t.Value == text) {
			p.next = i + 1
			return i
		}
		if !skippable(t) {
			return -1
		}
	}
	return -1
}

// skippable reports whether a source token may have no printed
// counterpart: a redundant parenthesis or a trailing comma.
func skippable(t lexer.Token) bool {
	return t.Type == tokPunct && (t.Value == "(" || t.Value == ")" || t.Value == ",")
}

// emit prints one token, first flushing the comments that precede its
// source token.
func (p *printer) emit(typ lexer.TokenType, text string) {
	line := 0
	if i := p.match(typ, text); i >= 0 {
		p.flushComments(p.toks[i].Pos.Offset)
		line = p.toks[i].Pos.Line
	}
	p.startOutput(line)
	p.out.WriteString(text)
	if line > 0 {
		p.lastLine = line
	}
	p.afterOpen = false
}

func (p *printer) kw(s string)    { p.emit(tokIdent, s) }
func (p *printer) ident(s string) { p.emit(tokIdent, s) }
func (p *printer) punct(s string) { p.emit(tokPunct, s) }

// num prints an integer from a declaration (offset, width, reset...) the
// way the source spelled it, or in decimal when the source is not at hand.
func (p *printer) num(v int) {
	text := strconv.Itoa(v)
	if i := p.peekType(tokNumber); i >= 0 {
		if n, err := ParseNumber(p.toks[i].Value); err == nil && v >= 0 && n == uint64(v) {
			text = p.toks[i].Value
		}
	}
	p.emit(tokNumber, text)
}

// peekType returns the index of the next source token of type typ,
// skipping what match skips, without moving.
func (p *printer) peekType(typ lexer.TokenType) int {
	for i := p.next; i < len(p.toks); i++ {
		t := p.toks[i]
		if t.Type == typ {
			return i
		}
		if !skippable(t) {
			return -1
		}
	}
	return -1
}

func (p *printer) str(s string) { p.emit(tokString, strconv.Quote(s)) }

// item starts a declaration, statement or clause at pos: the token cursor
// jumps to it (so one odd token cannot desynchronise the rest) and the
// comments before it are printed.
func (p *printer) item(pos Pos) {
	p.line()
	if pos.Line == 0 {
		return
	}
	if i := p.tokenAt(pos.Offset); i >= 0 {
		p.next = i
	}
	p.flushComments(pos.Offset)
}

// tokenAt returns the index of the source token at offset, or -1.
func (p *printer) tokenAt(offset int) int {
	i := sort.Search(len(p.toks), func(i int) bool { return p.toks[i].Pos.Offset >= offset })
	if i < len(p.toks) && p.toks[i].Pos.Offset == offset {
		return i
	}
	return -1
}

// flushComments prints every comment that starts before offset.
func (p *printer) flushComments(offset int) {
	for p.nc < len(p.comments) && p.comments[p.nc].Pos.Offset < offset {
		c := p.comments[p.nc]
		p.nc++
		if p.lastLine > 0 && c.Pos.Line == p.lastLine && p.out.Len() > 0 {
			// It followed a token on the same line: keep it there. Whatever
			// comes next must start a new line.
			p.out.WriteString(" " + strings.TrimRight(c.Text, " \t\r"))
			p.space = false
			p.contLine()
			continue
		}
		p.contLine() // a no-op between declarations
		p.startOutput(c.Pos.Line)
		p.out.WriteString(strings.TrimRight(c.Text, " \t\r"))
		p.lastLine = c.Pos.Line
		p.afterOpen = false
		p.nl = true // same indentation and kind of break as before
	}
}

// commentsBefore reports whether an unprinted comment precedes the next
// source token of type typ and text (a block's closing brace).
func (p *printer) commentsBefore(typ lexer.TokenType, text string) bool {
	if p.nc >= len(p.comments) {
		return false
	}
	for i := p.next; i < len(p.toks); i++ {
		if t := p.toks[i]; t.Type == typ && t.Value == text {
			return p.comments[p.nc].Pos.Offset < t.Pos.Offset
		}
	}
	return false
}

// block prints " { items }": each item on its own line one level deeper,
// "{}" when there are none and no comment inside.
func (p *printer) block(n int, item func(i int)) {
	p.sp()
	p.punct("{")
	if n == 0 && !p.commentsBefore(tokPunct, "}") {
		p.punct("}")
		return
	}
	p.indent++
	p.afterOpen = true
	for i := 0; i < n; i++ {
		item(i)
	}
	p.closeBlock()
}

// closeBlock prints the comments left inside the block, then "}" on a
// line of its own.
func (p *printer) closeBlock() {
	p.line()
	for i := p.next; i < len(p.toks); i++ {
		if t := p.toks[i]; t.Type == tokPunct && t.Value == "}" {
			p.flushComments(t.Pos.Offset)
			break
		}
	}
	p.indent--
	p.line()
	p.nlItem = false
	p.punct("}")
}

// ---------------------------------------------------------------- device

func (p *printer) device(d *Device) {
	p.item(d.Pos)
	p.kw("device")
	p.sp()
	p.ident(d.Name)
	if d.Implements != nil {
		p.sp()
		p.kw("implements")
		p.sp()
		p.ident(d.Implements.Name)
	}
	p.block(len(d.Items), func(i int) { p.deviceItem(d.Items[i]) })
}

func (p *printer) deviceItem(it *DeviceItem) {
	p.item(it.Pos)
	switch {
	case it.Bus != nil:
		b := it.Bus
		p.kw("bus")
		p.sp()
		p.kw(b.Kind)
		if b.Width != nil {
			p.sp()
			p.kw("width")
			p.sp()
			p.num(*b.Width)
		}
		if b.IRQ {
			p.sp()
			p.kw("irq")
		}
	case it.Region != nil:
		p.kw("region")
		p.sp()
		p.ident(it.Region.Name)
		p.sp()
		p.kw("size")
		p.sp()
		p.num(it.Region.Size)
	case it.Const != nil:
		p.kw("const")
		p.sp()
		p.ident(it.Const.Name)
		p.assignRHS(it.Const.Value)
	case it.Type != nil:
		p.typeDecl(it.Type)
	case it.State != nil:
		s := it.State
		p.kw("state")
		p.sp()
		p.ident(s.Name)
		p.punct(":")
		p.sp()
		p.typ(s.Type)
		if s.Init != nil {
			p.assignRHS(s.Init)
		}
		if s.Carried {
			p.sp()
			p.kw("carried")
		}
	case it.Register != nil:
		p.register(it.Register)
	case it.Stream != nil:
		p.stream(it.Stream)
	case it.Internal != nil:
		in := it.Internal
		p.kw("internal")
		p.sp()
		p.ident(in.Name)
		if in.Fair {
			p.sp()
			p.kw("fair")
		}
		if in.Rare {
			p.sp()
			p.kw("rare")
		}
		if in.Between {
			p.sp()
			p.kw("between")
		}
		p.when(in.Guard)
		p.stmts(in.Body)
	case it.Input != nil:
		in := it.Input
		p.kw("input")
		p.sp()
		p.ident(in.Name)
		p.params(in.Params, true)
		p.when(in.Guard)
		p.stmts(in.Body)
	case it.Interrupt != nil:
		p.kw("interrupt")
		p.when(it.Interrupt.Cond)
	case it.Fault != nil:
		ft := it.Fault
		p.kw("fault")
		p.sp()
		p.ident(ft.Name)
		p.when(ft.Cond)
		if ft.Message != nil {
			p.sp()
			p.str(*ft.Message)
		}
	case it.Bind != nil:
		p.bind(it.Bind)
	}
}

// assignRHS prints " = e".
func (p *printer) assignRHS(e *Expr) {
	p.sp()
	p.punct("=")
	p.sp()
	p.expr(e, 0)
}

// when prints " when e" (nothing for nil).
func (p *printer) when(e *Expr) {
	if e == nil {
		return
	}
	p.sp()
	p.kw("when")
	p.sp()
	p.expr(e, 0)
}

func (p *printer) typeDecl(t *TypeDecl) {
	p.kw("type")
	p.sp()
	p.ident(t.Name)
	p.sp()
	p.punct("=")
	p.sp()
	p.typ(t.Type)
}

func (p *printer) typ(t *Type) {
	if t == nil {
		return
	}
	if t.Slice {
		p.punct("[")
		p.punct("]")
	}
	switch {
	case t.Bool:
		p.kw("bool")
	case t.Uint != nil:
		p.kw("uint")
		p.punct("<")
		p.num(*t.Uint)
		p.punct(">")
	case t.Data != nil:
		p.kw("data")
		p.punct("<")
		p.num(*t.Data)
		p.punct(">")
	case t.Enum != nil:
		p.enum(t.Enum)
	default:
		p.ident(t.Named)
	}
}

// enum prints "enum { A = 0, B = 1 }" on one line, or one member per line
// when a comment sits inside it.
func (p *printer) enum(e *EnumBody) {
	if !p.enumMultiline(e) {
		p.kw("enum")
		p.sp()
		p.punct("{")
		for i, m := range e.Members {
			if i > 0 {
				p.punct(",")
			}
			p.sp()
			p.enumMember(m)
		}
		p.sp()
		p.punct("}")
		return
	}
	p.kw("enum")
	p.sp()
	p.punct("{")
	p.indent++
	p.afterOpen = true
	for _, m := range e.Members {
		p.item(m.Pos)
		p.enumMember(m)
		p.punct(",")
	}
	p.closeBlock()
}

func (p *printer) enumMember(m *EnumMember) {
	p.ident(m.Name)
	if m.Value != nil {
		p.sp()
		p.punct("=")
		p.sp()
		p.num(*m.Value)
	}
}

func (p *printer) enumMultiline(e *EnumBody) bool {
	if len(e.Members) == 0 {
		return false
	}
	// A comment between "enum" and its closing brace?
	start := p.tokenAt(e.Pos.Offset)
	if start < 0 {
		return false
	}
	for i := start; i < len(p.toks); i++ {
		if t := p.toks[i]; t.Type == tokPunct && t.Value == "}" {
			for _, c := range p.comments[p.nc:] {
				if c.Pos.Offset > e.Pos.Offset {
					return c.Pos.Offset < t.Pos.Offset
				}
			}
			return false
		}
	}
	return false
}

// column is the width of the current output line, tabs counted as 4.
func (p *printer) column() int {
	b := p.out.Bytes()
	if p.nl {
		return 4 * p.nlIndent
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return len(b) + 3*bytes.Count(b, []byte{'\t'})
}

func (p *printer) location(l *Location) {
	p.punct("@")
	p.sp()
	if l.Region != "" {
		p.ident(l.Region)
		p.sp()
		p.punct("+")
		p.sp()
	}
	p.num(l.Offset)
}

func (p *printer) register(r *RegisterDecl) {
	p.kw("register")
	p.sp()
	p.ident(r.Name)
	p.sp()
	p.location(r.At)
	p.sp()
	p.punct(":")
	p.sp()
	p.kw(r.Access)
	if r.Width != nil {
		p.sp()
		p.kw("width")
		p.sp()
		p.num(*r.Width)
	}
	if r.Reset != nil {
		p.sp()
		p.kw("reset")
		p.sp()
		p.num(*r.Reset)
	}
	p.when(r.When)
	p.block(len(r.Body), func(i int) {
		it := r.Body[i]
		p.item(it.Pos)
		if it.Field != nil {
			p.field(it.Field)
		} else if it.Handler != nil {
			p.handler(it.Handler)
		}
	})
}

func (p *printer) field(f *FieldDecl) {
	p.kw("field")
	p.sp()
	p.ident(f.Name)
	p.sp()
	p.bitRange(f.Bits)
	if f.Enum != nil {
		p.sp()
		p.enum(f.Enum)
	}
	if f.Reset != nil {
		p.sp()
		p.kw("reset")
		p.sp()
		p.num(*f.Reset)
	}
	for _, e := range f.Effects {
		p.sp()
		p.kw(e)
	}
	if f.Value != nil {
		p.assignRHS(f.Value)
	}
}

func (p *printer) bitRange(b *BitRange) {
	if b == nil {
		return
	}
	p.punct("[")
	p.num(b.Hi)
	if b.Lo != nil {
		p.punct(":")
		p.num(*b.Lo)
	}
	p.punct("]")
}

func (p *printer) handler(h *Handler) {
	p.kw("on")
	p.sp()
	p.kw(h.On)
	p.stmts(h.Body)
}

func (p *printer) stream(s *StreamDecl) {
	p.kw("stream")
	p.sp()
	p.ident(s.Name)
	p.sp()
	p.location(s.At)
	p.sp()
	p.punct(":")
	p.sp()
	p.kw(s.Access)
	p.sp()
	p.kw("width")
	p.sp()
	p.num(s.Width)
	p.sp()
	p.kw(s.Kind)
	if s.Size != nil {
		p.sp()
		p.num(*s.Size)
	}
	p.when(s.When)
	p.block(len(s.Layouts)+len(s.Body), func(i int) {
		if i < len(s.Layouts) {
			p.item(s.Layouts[i].Pos)
			p.layout(s.Layouts[i])
			return
		}
		h := s.Body[i-len(s.Layouts)]
		p.item(h.Pos)
		p.handler(h)
	})
}

func (p *printer) layout(l *LayoutDecl) {
	p.kw("layout")
	p.sp()
	p.ident(l.Name)
	p.when(l.When)
	p.block(len(l.Fields), func(i int) {
		f := l.Fields[i]
		p.item(f.Pos)
		p.kw("field")
		p.sp()
		p.ident(f.Name)
		p.sp()
		p.punct("@")
		p.sp()
		p.num(f.Offset)
		p.sp()
		p.punct(":")
		p.sp()
		p.typ(f.Type)
		if f.Order != "" {
			p.sp()
			p.kw(f.Order)
		}
		if f.Value != nil {
			p.assignRHS(f.Value)
		}
	})
}

func (p *printer) bind(b *BindDecl) {
	p.kw("bind")
	p.sp()
	if b.Class != nil {
		p.ident(b.Class.Name)
	}
	p.block(len(b.Preds), func(i int) {
		pb := b.Preds[i]
		p.item(pb.Pos)
		p.ident(pb.Name)
		if len(pb.Params) > 0 {
			p.punct("(")
			for j, id := range pb.Params {
				if j > 0 {
					p.punct(",")
					p.sp()
				}
				p.ident(id.Name)
			}
			p.punct(")")
		}
		p.sp()
		p.punct("=")
		p.sp()
		p.expr(pb.Body, 0)
		if pb.Within != nil {
			p.sp()
			p.kw("within")
			p.sp()
			p.num(*pb.Within)
			p.punct("%")
		}
	})
}

// ---------------------------------------------------------------- statements

func (p *printer) stmts(body []*Stmt) {
	p.block(len(body), func(i int) { p.stmt(body[i]) })
}

func (p *printer) stmt(s *Stmt) {
	p.item(s.Pos)
	switch {
	case s.Require != nil:
		p.kw("require")
		p.sp()
		p.expr(s.Require.Cond, 0)
		if s.Require.Message != nil {
			p.sp()
			p.str(*s.Require.Message)
		}
	case s.Emit != nil:
		p.kw("emit")
		p.sp()
		p.ident(s.Emit.Event)
		p.list("(", ")", s.Emit.Args)
	case s.If != nil:
		p.kw("if")
		p.sp()
		p.expr(s.If.Cond, 0)
		p.stmts(s.If.Then)
		if len(s.If.Else) > 0 {
			p.sp()
			p.kw("else")
			p.stmts(s.If.Else)
		}
	case s.Assign != nil:
		p.path(s.Assign.Target.Parts)
		p.assignRHS(s.Assign.Value)
	}
}

func (p *printer) path(parts []string) {
	for i, s := range parts {
		if i > 0 {
			p.punct(".")
		}
		p.ident(s)
	}
}

// list prints "(a, b)" (or "{a, b}"); when it does not fit on the line,
// one element per continuation line, the closer after the last one.
func (p *printer) list(open, close string, args []*Expr) {
	p.punct(open)
	broken := len(args) > 0 && p.tooLong(func(q *printer) { q.list(open, close, args) })
	outer := p.depth
	for i, a := range args {
		if i > 0 {
			p.punct(",")
			p.sp()
		}
		if broken {
			p.breakAt(outer + 1)
		}
		p.expr(a, 0)
	}
	p.depth = outer
	p.punct(close)
}

// ---------------------------------------------------------------- class

func (p *printer) class(c *Class) {
	p.item(c.Pos)
	p.kw("class")
	p.sp()
	p.ident(c.Name)
	p.block(len(c.Items), func(i int) {
		it := c.Items[i]
		p.item(it.Pos)
		switch {
		case it.Type != nil:
			p.typeDecl(it.Type)
		case it.Event != nil:
			p.kw("event")
			p.sp()
			p.ident(it.Event.Name)
			p.params(it.Event.Params, true)
		case it.Predicate != nil:
			p.kw("predicate")
			p.sp()
			p.ident(it.Predicate.Name)
			p.params(it.Predicate.Params, false)
		case it.Method != nil:
			p.method(it.Method)
		}
	})
}

// params prints "(a: T, out b: U)"; with always false, nothing when
// there are no parameters.
func (p *printer) params(ps []*Param, always bool) {
	if len(ps) == 0 && !always {
		return
	}
	p.punct("(")
	for i, pa := range ps {
		if i > 0 {
			p.punct(",")
			p.sp()
		}
		if pa.Out {
			p.kw("out")
			p.sp()
		}
		p.ident(pa.Name)
		p.punct(":")
		p.sp()
		p.typ(pa.Type)
	}
	p.punct(")")
}

func (p *printer) method(m *Method) {
	p.kw("method")
	p.sp()
	p.ident(m.Name)
	p.params(m.Params, true)
	if len(m.Results) > 0 {
		p.sp()
		p.punct("->")
		p.sp()
		p.params(m.Results, true)
	}
	p.clauses(m.Clauses)
}

func (p *printer) clauses(cs []*Clause) {
	p.block(len(cs), func(i int) {
		c := cs[i]
		p.item(c.Pos)
		switch {
		case c.Requires != nil:
			p.kw("requires")
			p.sp()
			p.expr(c.Requires, 0)
		case c.Ensures != nil:
			p.kw("ensures")
			p.sp()
			p.expr(c.Ensures, 0)
		case c.For != nil:
			p.kw("for")
			p.sp()
			p.ident(c.For.Var)
			p.sp()
			p.kw("in")
			p.sp()
			if c.For.Over != nil {
				p.ident(c.For.Over.Name)
			}
			p.clauses(c.For.Clauses)
		case c.Fault != nil:
			p.kw("fault")
			p.sp()
			p.ident(c.Fault.Name)
			if c.Fault.Message != nil {
				p.sp()
				p.str(*c.Fault.Message)
			}
		}
	})
}

// ---------------------------------------------------------------- expressions

// Binding strength of each kind of expression, in the terms of the
// expression parser: a ? : is loosest (0), binary operators have their
// precedence (1..9), then unary operators, slices, and primaries.
const (
	precCond    = 0
	precUnary   = 10
	precPostfix = 11
	precPrimary = 12
)

func exprPrec(e *Expr) int {
	switch e.Kind {
	case CondExpr:
		return precCond
	case BinaryExpr:
		return binaryPrec[e.Op]
	case UnaryExpr:
		return precUnary
	case SliceExpr:
		return precPostfix
	}
	return precPrimary
}

// expr prints e where the parser expects an operand binding at least as
// tightly as min, adding parentheses only when e binds more loosely.
func (p *printer) expr(e *Expr, min int) {
	if e == nil {
		return
	}
	if exprPrec(e) < min {
		p.punct("(")
		p.flatExpr(e, 0)
		p.punct(")")
		return
	}
	switch e.Kind {
	case NumberExpr:
		text := e.Text
		if text == "" {
			text = strconv.FormatUint(e.Value, 10)
		}
		p.emit(tokNumber, text)
	case BoolExpr:
		if e.Value != 0 {
			p.kw("true")
		} else {
			p.kw("false")
		}
	case NameExpr:
		p.path(e.Path)
	case CallExpr:
		p.path(e.Path)
		p.list("(", ")", e.Args)
	case UnaryExpr:
		p.punct(e.Op)
		p.flatExpr(e.X, precUnary)
	case BinaryExpr:
		if (e.Op == "&&" || e.Op == "||") && p.exprTooLong(e) {
			p.chain(e)
			return
		}
		// Left-associative: the left operand may bind as loosely as the
		// operator itself, the right one must bind more tightly.
		prec := binaryPrec[e.Op]
		p.flatExpr(e.X, operandMin(e, e.X, prec))
		p.sp()
		p.punct(e.Op)
		p.sp()
		p.flatExpr(e.Y, operandMin(e, e.Y, prec+1))
	case CondExpr:
		// A ? : in the middle of another keeps its parentheses.
		broken := p.exprTooLong(e)
		outer := p.depth
		p.expr(e.X, 1)
		ymin := 0
		if e.Y != nil && e.Y.Kind == CondExpr {
			ymin = precPrimary
		}
		for _, part := range []struct {
			op  string
			x   *Expr
			min int
		}{{"?", e.Y, ymin}, {":", e.Z, 0}} {
			if broken {
				p.breakAt(outer + 1)
			} else {
				p.sp()
			}
			p.punct(part.op)
			p.sp()
			p.expr(part.x, part.min)
		}
		p.depth = outer
	case SliceExpr:
		p.flatExpr(e.X, precPostfix)
		p.punct("[")
		p.num(e.Hi)
		if e.Lo != e.Hi {
			p.punct(":")
			p.num(e.Lo)
		} else if p.next+1 < len(p.toks) && p.toks[p.next].Value == ":" && p.toks[p.next+1].Type == tokNumber {
			// x[3:3] is x[3]; step over the source's ":3".
			p.next += 2
		}
		p.punct("]")
	case ConcatExpr:
		p.list("{", "}", e.Args)
	case MatchExpr:
		// One line, or one case per line with the closing brace below
		// "match".
		broken := len(e.Cases) > 0 && p.exprTooLong(e)
		outer := p.depth
		p.kw("match")
		p.sp()
		p.flatExpr(e.X, 1)
		p.sp()
		p.punct("{")
		for i, c := range e.Cases {
			if broken {
				p.breakAt(outer + 1)
			} else {
				if i > 0 {
					p.punct(",")
				}
				p.sp()
			}
			p.ident(c.Pattern)
			p.sp()
			p.punct("=>")
			p.sp()
			p.expr(c.Value, 0)
			if broken {
				p.punct(",")
			}
		}
		if broken {
			p.breakAt(outer)
		} else if len(e.Cases) > 0 {
			p.sp()
		}
		p.punct("}")
		p.depth = outer
	}
}

// flatExpr prints e without breaking it over lines (but for comments):
// only the outer structure of an expression is broken (its && or ||
// chain, ? :, argument lists, match cases), never the inside of an
// operand.
func (p *printer) flatExpr(e *Expr, min int) {
	saved := p.flat
	p.flat = true
	p.expr(e, min)
	p.flat = saved
}

// chain prints a long a && b && c (or ||) with each operand after the
// first on a continuation line that starts with the operator.
func (p *printer) chain(e *Expr) {
	var ops []*Expr // right to left
	x := e
	for ; x.Kind == BinaryExpr && x.Op == e.Op; x = x.X {
		ops = append(ops, x.Y)
	}
	ops = append(ops, x)
	prec := binaryPrec[e.Op]
	outer := p.depth
	first := ops[len(ops)-1]
	p.expr(first, operandMin(e, first, prec))
	for i := len(ops) - 2; i >= 0; i-- {
		p.breakAt(outer + 1)
		p.punct(e.Op)
		p.sp()
		p.expr(ops[i], operandMin(e, ops[i], prec+1))
	}
	p.depth = outer
}

// operandMin is the binding strength an operand of e must have: min by
// precedence, except that an && directly under || keeps its parentheses,
// (a && b) || c, which is how people read it and write it.
func operandMin(e, operand *Expr, min int) int {
	if operand != nil && e.Op == "||" && operand.Kind == BinaryExpr && operand.Op == "&&" {
		return precPrimary
	}
	return min
}
