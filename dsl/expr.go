package dsl

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// ExprKind says which of Expr's fields are in use.
type ExprKind int

const (
	NumberExpr ExprKind = iota // Value (Text keeps the spelling: 0x1F)
	BoolExpr                   // Value 0 or 1
	NameExpr                   // Path: x, LCR.DLAB, Enum member
	CallExpr                   // Path(Args): a predicate or event
	UnaryExpr                  // Op X: ! ~ -
	BinaryExpr                 // X Op Y
	CondExpr                   // X ? Y : Z
	SliceExpr                  // X[Hi:Lo] or X[Hi]
	ConcatExpr                 // {Args...}, most significant first
	MatchExpr                  // match X { Cases }
)

// Expr is an expression. Expressions are parsed by a precedence-climbing
// parser (below) rather than by grammar tags, so that the tree has one node
// per operator instead of one struct per precedence level.
type Expr struct {
	Pos   Pos
	Kind  ExprKind
	Op    string
	X     *Expr
	Y     *Expr
	Z     *Expr
	Value uint64
	Text  string
	Path  []string
	Args  []*Expr
	Hi    int
	Lo    int // equals Hi for a single bit
	Cases []*MatchCase
}

// MatchCase is one arm of a match: Pattern => Value.
type MatchCase struct {
	Pos     Pos
	Pattern string
	Value   *Expr
}

// Name returns the dotted name of a name or call expression.
func (e *Expr) Name() string { return strings.Join(e.Path, ".") }

// binary operator precedence, loosest first.
var binaryPrec = map[string]int{
	"||": 1,
	"&&": 2,
	"==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
	"|":  4,
	"^":  5,
	"&":  6,
	"<<": 7, ">>": 7,
	"+": 8, "-": 8,
	"*": 9, "/": 9, "%": 9,
}

// Parse implements participle.Parseable.
func (e *Expr) Parse(lex *lexer.PeekingLexer) error {
	tok := lex.Peek()
	if tok.EOF() || !startsExpr(tok) {
		// After "=", "when", an operator and the like an expression must
		// follow: say so at this token, rather than let the grammar back
		// off to the start of the declaration.
		if prev := prevToken(lex); prev != nil && needsExpr(prev) {
			panic(bailout{participle.Errorf(tok.Pos, "unexpected %s, expected an expression", describeToken(tok))})
		}
		return participle.NextMatch
	}
	p := exprParser{lex: lex}
	got, err := p.cond()
	if err != nil {
		// Once an expression has begun, no other reading of the tokens
		// can succeed: report the error here, where it is, instead of
		// letting the grammar back off to the start of the declaration.
		panic(bailout{err})
	}
	*e = *got
	return nil
}

// prevToken is the significant token before the lexer's cursor.
func prevToken(lex *lexer.PeekingLexer) *lexer.Token {
	for i := lex.RawCursor() - 1; i >= 0; i-- {
		t := &lex.Range(i, i+1)[0]
		if t.Type != tokComment && t.Type != tokWhitespace {
			return t
		}
	}
	return nil
}

// needsExpr reports whether an expression must follow t.
func needsExpr(t *lexer.Token) bool {
	switch t.Type {
	case tokPunct:
		switch t.Value {
		case "=", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "?", "!", "~", "=>":
			return true
		}
	case tokIdent:
		switch t.Value {
		case "when", "require", "if", "requires", "ensures":
			return true
		}
	}
	return false
}

func startsExpr(t *lexer.Token) bool {
	switch t.Type {
	case tokNumber, tokIdent:
		// Keywords lex as identifiers; only the expression keywords start one.
		if t.Type == tokIdent && keywords[t.Value] && t.Value != "true" && t.Value != "false" && t.Value != "match" {
			return false
		}
		return true
	case tokPunct:
		switch t.Value {
		case "(", "{", "!", "~", "-":
			return true
		}
	}
	return false
}

// tokenCursor is what expressions are parsed from: participle's lexer, or
// the cursor of the hand-written parser (descent.go).
type tokenCursor interface {
	Peek() *lexer.Token
	Next() *lexer.Token
}

type exprParser struct{ lex tokenCursor }

func (p *exprParser) errorf(pos Pos, format string, args ...any) error {
	return participle.Errorf(lexer.Position(pos), format, args...)
}

func (p *exprParser) peekPunct(v string) bool {
	t := p.lex.Peek()
	return t.Type == tokPunct && t.Value == v
}

func (p *exprParser) expect(v string) (*lexer.Token, error) {
	t := p.lex.Peek()
	if t.Value != v || (t.Type != tokPunct && t.Type != tokIdent) {
		return nil, p.errorf(posOf(t.Pos), "unexpected %s, expected %s", describeToken(t), literalWord(v))
	}
	return p.lex.Next(), nil
}

// cond parses X ? Y : Z (right-associative, loosest).
func (p *exprParser) cond() (*Expr, error) {
	x, err := p.binary(1)
	if err != nil {
		return nil, err
	}
	if !p.peekPunct("?") {
		return x, nil
	}
	p.lex.Next()
	y, err := p.cond()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(":"); err != nil {
		return nil, err
	}
	z, err := p.cond()
	if err != nil {
		return nil, err
	}
	return &Expr{Pos: x.Pos, Kind: CondExpr, X: x, Y: y, Z: z}, nil
}

func (p *exprParser) binary(minPrec int) (*Expr, error) {
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.lex.Peek()
		prec, ok := binaryPrec[t.Value]
		if t.Type != tokPunct || !ok || prec < minPrec {
			return x, nil
		}
		op := p.lex.Next()
		y, err := p.binary(prec + 1)
		if err != nil {
			return nil, err
		}
		x = &Expr{Pos: x.Pos, Kind: BinaryExpr, Op: op.Value, X: x, Y: y}
		_ = op
	}
}

func (p *exprParser) unary() (*Expr, error) {
	t := p.lex.Peek()
	if t.Type == tokPunct && (t.Value == "!" || t.Value == "~" || t.Value == "-") {
		p.lex.Next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Expr{Pos: posOf(t.Pos), Kind: UnaryExpr, Op: t.Value, X: x}, nil
	}
	return p.postfix()
}

func (p *exprParser) postfix() (*Expr, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.peekPunct("[") {
		open := p.lex.Next()
		hi, err := p.number()
		if err != nil {
			return nil, err
		}
		lo := hi
		if p.peekPunct(":") {
			p.lex.Next()
			if lo, err = p.number(); err != nil {
				return nil, err
			}
		}
		if _, err := p.expect("]"); err != nil {
			return nil, err
		}
		x = &Expr{Pos: posOf(open.Pos), Kind: SliceExpr, X: x, Hi: hi, Lo: lo}
	}
	return x, nil
}

func (p *exprParser) number() (int, error) {
	t := p.lex.Peek()
	if t.Type != tokNumber {
		return 0, p.errorf(posOf(t.Pos), "unexpected %s, expected a bit number", describeToken(t))
	}
	p.lex.Next()
	v, err := ParseNumber(t.Value)
	if err != nil || v > 1<<16 {
		return 0, p.errorf(posOf(t.Pos), "bad bit number %s", t.Value)
	}
	return int(v), nil
}

func (p *exprParser) primary() (*Expr, error) {
	t := p.lex.Peek()
	switch {
	case t.Type == tokNumber:
		p.lex.Next()
		v, err := ParseNumber(t.Value)
		if err != nil {
			return nil, p.errorf(posOf(t.Pos), "%v", err)
		}
		return &Expr{Pos: posOf(t.Pos), Kind: NumberExpr, Value: v, Text: t.Value}, nil
	case t.Type == tokIdent && (t.Value == "true" || t.Value == "false"):
		p.lex.Next()
		e := &Expr{Pos: posOf(t.Pos), Kind: BoolExpr, Text: t.Value}
		if t.Value == "true" {
			e.Value = 1
		}
		return e, nil
	case t.Type == tokIdent && t.Value == "match":
		return p.match()
	case t.Type == tokIdent && !keywords[t.Value]:
		return p.name()
	case t.Type == tokPunct && t.Value == "(":
		p.lex.Next()
		x, err := p.cond()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		return x, nil
	case t.Type == tokPunct && t.Value == "{":
		p.lex.Next()
		args, err := p.list("}", false)
		if err != nil {
			return nil, err
		}
		return &Expr{Pos: posOf(t.Pos), Kind: ConcatExpr, Args: args}, nil
	}
	return nil, p.errorf(posOf(t.Pos), "unexpected %s, expected an expression", describeToken(t))
}

func (p *exprParser) name() (*Expr, error) {
	first := p.lex.Next()
	e := &Expr{Pos: posOf(first.Pos), Kind: NameExpr, Path: []string{first.Value}}
	for p.peekPunct(".") {
		p.lex.Next()
		t := p.lex.Peek()
		if t.Type != tokIdent {
			return nil, p.errorf(posOf(t.Pos), "unexpected %s, expected a name after \".\"", describeToken(t))
		}
		p.lex.Next()
		e.Path = append(e.Path, t.Value)
	}
	if p.peekPunct("(") {
		p.lex.Next()
		e.Kind = CallExpr
		args, err := p.list(")", true)
		if err != nil {
			return nil, err
		}
		e.Args = args
	}
	return e, nil
}

// list parses comma-separated expressions up to and including the closing
// punctuation; empty says whether the list may have no element.
func (p *exprParser) list(closing string, empty bool) ([]*Expr, error) {
	var out []*Expr
	if !(empty && p.peekPunct(closing)) {
		for {
			x, err := p.cond()
			if err != nil {
				return nil, err
			}
			out = append(out, x)
			if !p.peekPunct(",") {
				break
			}
			p.lex.Next()
		}
	}
	if _, err := p.expect(closing); err != nil {
		return nil, err
	}
	return out, nil
}

func (p *exprParser) match() (*Expr, error) {
	kw := p.lex.Next()
	x, err := p.binary(1)
	if err != nil {
		return nil, err
	}
	e := &Expr{Pos: posOf(kw.Pos), Kind: MatchExpr, X: x}
	if _, err := p.expect("{"); err != nil {
		return nil, err
	}
	for !p.peekPunct("}") {
		t := p.lex.Peek()
		if t.Type != tokIdent {
			return nil, p.errorf(posOf(t.Pos), "unexpected %s, expected a match pattern", describeToken(t))
		}
		p.lex.Next()
		if _, err := p.expect("=>"); err != nil {
			return nil, err
		}
		v, err := p.cond()
		if err != nil {
			return nil, err
		}
		e.Cases = append(e.Cases, &MatchCase{Pos: posOf(t.Pos), Pattern: t.Value, Value: v})
		if !p.peekPunct(",") {
			break
		}
		p.lex.Next()
	}
	if _, err := p.expect("}"); err != nil {
		return nil, err
	}
	return e, nil
}

// ParseNumber reads a decimal, 0x hexadecimal or 0b binary literal; _ may
// separate digits.
func ParseNumber(s string) (uint64, error) {
	v, err := strconv.ParseUint(strings.ReplaceAll(s, "_", ""), 0, 64)
	if err != nil {
		return 0, fmt.Errorf("number %s does not fit in 64 bits", s)
	}
	return v, nil
}
