package dsl

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// maxNesting bounds how deep brackets of any kind may nest. Specs nest a
// handful of levels; the bound keeps a hostile input from exhausting the
// stack of the recursive parsers.
const maxNesting = 200

// scan splits a spec into tokens, comments and whitespace included, by the
// rules of specLexer. Unlike the lexer it goes on after a bad character or
// a bad number, reporting each, so one typo does not hide the next. A file
// that is not text (a NUL byte, invalid UTF-8) gets one diagnostic and no
// tokens: echoing its lines would only print noise.
func scan(name string, src []byte) ([]lexer.Token, Diagnostics) {
	if d := notText(name, src); d != nil {
		return nil, Diagnostics{d}
	}
	// The tokens' values are slices of one copy of the text: a string per
	// token made scanning a large spec cost more than parsing it. Specs
	// average three bytes or more a token; dense ones (a thousand one-line
	// registers) two.
	s := scanner{name: name, src: src, text: string(src), pos: lexer.Position{Filename: name, Line: 1, Column: 1}}
	s.toks = make([]lexer.Token, 0, len(src)/2+1)
	for s.off < len(src) {
		s.next()
		if s.tooDeep {
			break
		}
	}
	s.toks = append(s.toks, lexer.Token{Type: lexer.EOF, Pos: s.pos})
	return s.toks, s.diags
}

// notText reports a file that holds a NUL byte or is not UTF-8.
func notText(name string, src []byte) *Diagnostic {
	bad := bytes.IndexByte(src, 0)
	what := "a NUL byte"
	if !utf8.Valid(src) {
		off := 0
		for off < len(src) {
			r, size := utf8.DecodeRune(src[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		if bad < 0 || off < bad {
			bad, what = off, "invalid UTF-8"
		}
	}
	if bad < 0 {
		return nil
	}
	p := Pos{Filename: name, Line: 1, Column: 1}
	p.advance(src[:bad])
	return &Diagnostic{Pos: p, Severity: Error, Msg: fmt.Sprintf("not a spec: the file is not text (%s at byte %d)", what, bad)}
}

type scanner struct {
	name    string
	src     []byte
	text    string // src as a string, for the tokens' values
	off     int
	pos     lexer.Position
	toks    []lexer.Token
	diags   Diagnostics
	depth   int
	tooDeep bool
}

// lit is the text of the next n bytes.
func (s *scanner) lit(n int) string { return s.text[s.off : s.off+n] }

func (s *scanner) emit(typ lexer.TokenType, n int, value string) {
	s.toks = append(s.toks, lexer.Token{Type: typ, Value: value, Pos: s.pos})
	s.skip(n)
}

// skip moves over n bytes of source.
func (s *scanner) skip(n int) {
	p := posOf(s.pos)
	p.advance(s.src[s.off : s.off+n])
	s.pos = lexer.Position(p)
	s.off += n
}

func (s *scanner) errorf(format string, args ...any) {
	s.diags = append(s.diags, &Diagnostic{Pos: posOf(s.pos), Severity: Error, Msg: fmt.Sprintf(format, args...)})
}

func (s *scanner) next() {
	rest := s.src[s.off:]
	c := rest[0]
	switch {
	case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		n := 1
		for n < len(rest) && (rest[n] == ' ' || rest[n] == '\t' || rest[n] == '\r' || rest[n] == '\n') {
			n++
		}
		s.emit(tokWhitespace, n, s.lit(n))
	case c == '/' && len(rest) > 1 && rest[1] == '/':
		n := bytes.IndexByte(rest, '\n')
		if n < 0 {
			n = len(rest)
		}
		s.emit(tokComment, n, s.lit(n))
	case c == '"':
		s.str(rest)
	case c >= '0' && c <= '9':
		s.number(rest)
	case identStart(c):
		n := 1
		for n < len(rest) && (identStart(rest[n]) || isDigit(rest[n])) {
			n++
		}
		s.emit(tokIdent, n, s.lit(n))
	default:
		if n := punctLen(rest); n > 0 {
			s.punct(rest[:n])
			return
		}
		s.badChar(rest)
	}
}

func (s *scanner) punct(p []byte) {
	switch p[0] {
	case '(', '[', '{':
		s.depth++
		if s.depth > maxNesting {
			s.errorf("brackets nest too deeply (more than %d levels)", maxNesting)
			s.tooDeep = true
			return
		}
	case ')', ']', '}':
		s.depth--
	}
	s.emit(tokPunct, len(p), s.lit(len(p)))
}

// str scans a string literal and unquotes it, as participle.Unquote would.
func (s *scanner) str(rest []byte) {
	n := 1
	for n < len(rest) && rest[n] != '"' && rest[n] != '\n' {
		if rest[n] == '\\' && n+1 < len(rest) && rest[n+1] != '\n' {
			n++
		}
		n++
	}
	if n >= len(rest) || rest[n] != '"' {
		s.errorf("string not terminated before the end of the line")
		s.emit(tokString, n, string(rest[1:n]))
		return
	}
	n++
	v, err := strconv.Unquote(s.lit(n))
	if err != nil {
		s.errorf("invalid escape in string %s", truncate(string(rest[:n]), 40))
		s.emit(tokString, n, string(rest[1:n-1]))
		return
	}
	s.emit(tokString, n, v)
}

// number scans a number: decimal, 0x hex or 0b binary, with _ anywhere
// after the first digit. Letters or digits run on past a valid number
// ("12ab", "0x1g") are part of the mistake and reported with it.
func (s *scanner) number(rest []byte) {
	n := 1
	for n < len(rest) && (identStart(rest[n]) || isDigit(rest[n])) {
		n++
	}
	text := s.lit(n)
	if !numberSpelling(text) {
		s.errorf("malformed number %s (numbers are decimal, 0x hex or 0b binary)", truncate(text, 40))
		s.emit(tokNumber, n, "0") // stands in, so the parse goes on
		return
	}
	if _, err := ParseNumber(text); err != nil {
		s.errorf("number %s does not fit in 64 bits", truncate(text, 40))
		s.emit(tokNumber, n, "0")
		return
	}
	s.emit(tokNumber, n, text)
}

// numberSpelling reports whether text is spelled as specLexer's Number.
func numberSpelling(text string) bool {
	digits, ok := text, func(c byte) bool { return isDigit(c) }
	if len(text) > 1 && text[0] == '0' {
		switch text[1] {
		case 'x', 'X':
			digits, ok = text[2:], func(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
		case 'b', 'B':
			digits, ok = text[2:], func(c byte) bool { return c == '0' || c == '1' }
		}
	}
	if digits == "" || strings.Trim(digits, "_") == "" {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if !ok(digits[i]) && digits[i] != '_' {
			return false
		}
	}
	return true
}

func (s *scanner) badChar(rest []byte) {
	r, size := utf8.DecodeRune(rest)
	switch {
	case r >= utf8.RuneSelf:
		s.errorf("unexpected character %q (U+%04X): names and operators are ASCII; other characters belong in comments and strings", r, r)
	case r < ' ' || r == 0x7f:
		s.errorf("unexpected control character U+%04X", r)
	default:
		s.errorf("unexpected character %q", r)
	}
	// One report for a run of bad characters.
	n := size
	for n < len(rest) {
		r, sz := utf8.DecodeRune(rest[n:])
		if r < utf8.RuneSelf && (r == ' ' || r == '\t' || r == '\n' || r == '\r' || identStart(byte(r)) || isDigit(byte(r)) || punctLen(rest[n:]) > 0 || r == '"') {
			break
		}
		n += sz
	}
	s.skip(n)
}

func identStart(c byte) bool { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool    { return c >= '0' && c <= '9' }

// punctLen is the length of the operator or punctuation at the start of b,
// or 0.
func punctLen(b []byte) int {
	if len(b) > 1 {
		switch string(b[:2]) {
		case "==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "->", "=>":
			return 2
		}
	}
	if strings.IndexByte("-+*/%&|^~!<>=(){}[]:;,.@?", b[0]) >= 0 {
		return 1
	}
	return 0
}
