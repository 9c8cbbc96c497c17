package dsl

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// specLexer names the token types the grammar refers to. Parse does its own
// scanning (scan.go), so that a bad character or number is reported and
// skipped rather than ending the parse; the rules here are the reference
// the scanner follows.
var specLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Comment", Pattern: `//[^\n]*`},
	{Name: "String", Pattern: `"(\\.|[^"\\\n])*"`},
	{Name: "Number", Pattern: `0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9][0-9_]*`},
	{Name: "Ident", Pattern: `[A-Za-z_][A-Za-z0-9_]*`},
	{Name: "Punct", Pattern: `==|!=|<=|>=|&&|\|\||<<|>>|->|=>|[-+*/%&|^~!<>=(){}\[\]:;,.@?]`},
	{Name: "Whitespace", Pattern: `[ \t\r\n]+`},
})

var (
	tokComment    = specLexer.Symbols()["Comment"]
	tokWhitespace = specLexer.Symbols()["Whitespace"]
	tokNumber     = specLexer.Symbols()["Number"]
	tokIdent      = specLexer.Symbols()["Ident"]
	tokPunct      = specLexer.Symbols()["Punct"]
	tokString     = specLexer.Symbols()["String"]
)

// keywords are the words the grammar reserves; they cannot start an
// expression, so "require x" never parses x as part of the previous line.
var keywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`device implements bus port mmio width irq region size
		const type state bool uint data enum register ro wo rw reset when field rc w1c trigger
		on read write stream fifo window internal fair rare between input interrupt fault bind
		require emit if else class event predicate out method requires ensures for in
		true false match carried layout`) {
		keywords[k] = true
	}
}

var parseOptions = []participle.Option{
	participle.Lexer(specLexer),
	participle.Elide("Comment", "Whitespace"),
	participle.UseLookahead(4),
}

var (
	parser = participle.MustBuild[File](parseOptions...)
	// One parser per kind of declaration, to go on after a syntax error.
	deviceItemParser = participle.MustBuild[DeviceItem](parseOptions...)
	classItemParser  = participle.MustBuild[ClassItem](parseOptions...)
)

// ParseFile reads and parses one spec file.
func ParseFile(path string) (*File, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// Parse parses the source of one spec file. Syntax errors come back as
// Diagnostics: every one in the file, each at its token.
func Parse(name string, src []byte) (*File, error) {
	toks, diags := scan(name, src)
	if toks == nil {
		return nil, diags // not text
	}
	// A file without errors is parsed by hand (descent.go); participle,
	// the reference, parses the rest and reports what is wrong.
	var err error
	var f *File
	if len(diags) == 0 {
		f = descend(toks)
		if f != nil && descentCheck != nil {
			descentCheck(name, toks, f)
		}
	}
	if f == nil {
		f, err = parseTokens(parser, toks)
	}
	if err != nil {
		// A syntax error on the line of a bad character or number is
		// most likely its echo.
		bad := map[int]bool{}
		for _, d := range diags {
			bad[d.Pos.Line] = true
		}
		for _, d := range recoverErrors(name, toks, err) {
			if !bad[d.Pos.Line] {
				diags = append(diags, d)
			}
		}
	}
	if len(diags) > 0 {
		diags.Sort()
		return nil, diags
	}
	f.Name = name
	f.Src = src
	for _, t := range toks {
		if t.Type == tokComment {
			f.Comments = append(f.Comments, &Comment{Pos: posOf(t.Pos), Text: t.Value})
		}
	}
	return f, nil
}

// descentCheck, when set (by the package's tests), is given every tree
// descend builds, to compare with participle's.
var descentCheck func(name string, toks []lexer.Token, f *File)

// bailout carries a syntax error that no other reading of the tokens can
// avoid (a malformed expression) out of the grammar, which would otherwise
// back off and report the start of the declaration instead.
type bailout struct{ err error }

// parseTokens runs a participle parser on scanned tokens (ending in EOF).
func parseTokens[G any](p *participle.Parser[G], toks []lexer.Token) (g *G, err error) {
	return parseTokensWith(p, toks)
}

func parseTokensWith[G any](p *participle.Parser[G], toks []lexer.Token, opts ...participle.ParseOption) (g *G, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			g, err = nil, b.err
		}
	}()
	lex, err := lexer.Upgrade(&sliceLexer{toks: toks}, tokComment, tokWhitespace)
	if err != nil {
		return nil, err
	}
	return p.ParseFromLexer(lex, opts...)
}

type sliceLexer struct {
	toks []lexer.Token
	i    int
}

func (l *sliceLexer) Next() (lexer.Token, error) {
	t := l.toks[l.i]
	if l.i < len(l.toks)-1 {
		l.i++
	}
	return t, nil
}

// declKeywords start a declaration, in a device or a class: where the
// parser goes on after an error.
var declKeywords = map[string]bool{
	"bus": true, "region": true, "const": true, "type": true, "state": true, "register": true,
	"stream": true, "internal": true, "input": true, "interrupt": true, "fault": true, "bind": true,
	"event": true, "predicate": true, "method": true,
}

// recoverErrors finds every syntax error of a file that did not parse: it
// cuts the body into declarations (at a declaration keyword between them,
// or one that starts a line as the first declaration did, should a brace
// be missing) and parses each alone. err is the whole file's error, kept
// when it lies outside every declaration (in the header, or after the end).
func recoverErrors(name string, toks []lexer.Token, err error) Diagnostics {
	first := syntaxDiagnostic(name, toks, deepen(toks, err), "")
	if start := firstSignificant(toks); start.EOF() {
		first.Msg = "syntax error: empty file, expected a device or class declaration"
		return Diagnostics{first}
	} else if start.Type != tokIdent || start.Value != "device" && start.Value != "class" {
		first.Pos = posOf(start.Pos)
		first.Msg = "syntax error: unexpected " + describeToken(&start) + ", expected device or class"
		return Diagnostics{first}
	}
	// The significant tokens, and where the body opens and closes.
	var sig []int
	for i, t := range toks {
		if t.Type != tokComment && t.Type != tokWhitespace && !t.EOF() {
			sig = append(sig, i)
		}
	}
	open := -1
	for k, i := range sig {
		if toks[i].Type == tokPunct && toks[i].Value == "{" {
			open = k
			break
		}
	}
	if open < 0 || open == 0 {
		return Diagnostics{first}
	}
	itemParser := parseDeviceItem
	if toks[sig[0]].Value == "class" {
		itemParser = parseClassItem
	}
	// Cut the body into declarations.
	var starts []int // indexes into sig
	depth, declCol := 0, 0
	end := len(sig)
	for k := open + 1; k < len(sig); k++ {
		t := toks[sig[k]]
		newLine := k == 0 || toks[sig[k-1]].Pos.Line != t.Pos.Line
		if t.Type == tokIdent && declKeywords[t.Value] && (depth == 0 || newLine && t.Pos.Column <= declCol) {
			if len(starts) == 0 {
				declCol = t.Pos.Column
			}
			starts = append(starts, k)
			depth = 0
		}
		if t.Type == tokPunct {
			switch t.Value {
			case "{", "(", "[":
				depth++
			case "}", ")", "]":
				depth--
			}
		}
		if depth < 0 { // the body's closing brace
			end = k
			break
		}
	}
	if end < len(sig) && first.Pos.Offset > toks[sig[end]].Pos.Offset {
		first.Msg += " after the end of the " + toks[sig[0]].Value
	}
	var ds Diagnostics
	if first.Pos.Offset < toks[sig[open]].Pos.Offset || len(starts) == 0 || first.Pos.Offset < toks[sig[starts[0]]].Pos.Offset {
		ds = append(ds, first)
	}
	for n, k := range starts {
		stop := end
		if n+1 < len(starts) {
			stop = starts[n+1]
		}
		var until int
		if stop < len(sig) {
			until = sig[stop]
		} else {
			until = len(toks) - 1
		}
		chunk := append(append([]lexer.Token(nil), toks[sig[k]:until]...), cutAt(toks[until]))
		if err := itemParser(chunk); err != nil {
			d := syntaxDiagnostic(name, chunk, deepen(chunk, err), chunk[0].Value)
			// The grammar stops at (or just after) the keyword whose
			// follower is missing; an error before it is a different one.
			if m, kw := missingFollower(name, chunk); m != nil && kw <= d.Pos.Offset {
				d = m
			}
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		ds = append(ds, first)
	}
	return dedupe(ds)
}

// mustFollow are tokens that always come before a given one: a number
// after width, reset and size, "{" after else, "(" after ->. The grammar
// makes the parts they begin optional ("width 8" in a register), and
// participle, backing off from the optional part, would report the first
// token as the mistake; the token after it is.
var mustFollow = map[string]struct {
	ok   func(*lexer.Token) bool
	want string
}{
	"width": {isNumber, "a number"},
	"reset": {isNumber, "a number"},
	"size":  {isNumber, "a number"},
	"else":  {isPunct("{"), `"{"`},
	"->":    {isPunct("("), `"("`},
}

func isNumber(t *lexer.Token) bool { return t.Type == tokNumber }

func isPunct(v string) func(*lexer.Token) bool {
	return func(t *lexer.Token) bool { return t.Type == tokPunct && t.Value == v }
}

// missingFollower reports the first token in toks that breaks mustFollow,
// and the offset of the token it should have followed.
func missingFollower(name string, toks []lexer.Token) (*Diagnostic, int) {
	var prev *lexer.Token
	for i := range toks {
		t := &toks[i]
		if t.Type == tokComment || t.Type == tokWhitespace {
			continue
		}
		if prev == nil || prev.Type != tokIdent && prev.Type != tokPunct {
			prev = t
			continue
		}
		if rule, ok := mustFollow[prev.Value]; ok && !rule.ok(t) {
			return &Diagnostic{Pos: posOf(t.Pos), Severity: Error,
				Msg: fmt.Sprintf("syntax error: unexpected %s, expected %s after %s", describeToken(t), rule.want, prev.Value)}, prev.Pos.Offset
		}
		prev = t
	}
	return nil, 0
}

func firstSignificant(toks []lexer.Token) lexer.Token {
	for _, t := range toks {
		if t.Type != tokComment && t.Type != tokWhitespace {
			return t
		}
	}
	return toks[len(toks)-1]
}

func parseDeviceItem(toks []lexer.Token) error {
	_, err := parseTokens(deviceItemParser, toks)
	return err
}

func parseClassItem(toks []lexer.Token) error {
	_, err := parseTokens(classItemParser, toks)
	return err
}

// cutAt ends a declaration's tokens where the next one begins. It keeps
// the text of the token it stands for, so an error there names it.
func cutAt(next lexer.Token) lexer.Token {
	return lexer.Token{Type: lexer.EOF, Value: next.Value, Pos: next.Pos}
}

func dedupe(ds Diagnostics) Diagnostics {
	out := ds[:0]
	seen := map[Pos]bool{}
	for _, d := range ds {
		if !seen[d.Pos] {
			seen[d.Pos] = true
			out = append(out, d)
		}
	}
	return out
}

// syntaxDiagnostic turns a participle error into a diagnostic in the
// language's words.
func syntaxDiagnostic(name string, toks []lexer.Token, err error, decl string) *Diagnostic {
	d := &Diagnostic{Severity: Error, Pos: Pos{Filename: name, Line: 1, Column: 1}}
	var uerr *participle.UnexpectedTokenError
	var perr participle.Error
	switch {
	case errors.As(err, &uerr):
		d.Pos = posOf(uerr.Unexpected.Pos)
		d.Msg = "unexpected " + describeToken(&uerr.Unexpected)
		if want := expected(uerr.Message()); want != "" {
			d.Msg += ", expected " + want
		} else if decl != "" {
			d.Msg += " after the " + decl + " declaration"
		}
	case errors.As(err, &perr):
		d.Pos = posOf(perr.Position())
		d.Msg = perr.Message()
		if t := tokenAt(toks, perr.Position()); t != nil && t.Type == tokNumber && strings.Contains(d.Msg, "strconv") {
			d.Msg = fmt.Sprintf("number %s is too large here", t.Value)
		}
	default:
		d.Msg = err.Error()
	}
	if d.Pos.Filename == "" {
		d.Pos.Filename = name
	}
	if d.Pos.Line == 0 {
		d.Pos.Line, d.Pos.Column = 1, 1
	}
	d.Msg = "syntax error: " + d.Msg
	return d
}

func tokenAt(toks []lexer.Token, p lexer.Position) *lexer.Token {
	for i := range toks {
		if toks[i].Pos.Offset == p.Offset && toks[i].Type != tokWhitespace {
			return &toks[i]
		}
	}
	return nil
}

// describeToken names a token as a reader sees it.
func describeToken(t *lexer.Token) string {
	switch {
	case t.EOF() && t.Value == "":
		return "end of file"
	case t.EOF(): // where a declaration was cut off
		if identStart(t.Value[0]) && !keywords[t.Value] {
			return "name " + t.Value
		}
		return strconv.Quote(t.Value)
	case t.Type == tokString:
		return "string " + strconv.Quote(t.Value)
	case t.Type == tokNumber:
		return "number " + t.Value
	case t.Type == tokIdent && keywords[t.Value]:
		return strconv.Quote(t.Value)
	case t.Type == tokIdent:
		return "name " + t.Value
	}
	return strconv.Quote(t.Value)
}

// truncate shortens s for a message.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
