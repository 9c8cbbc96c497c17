package dsl

import (
	"errors"
	"os"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

var specLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Comment", Pattern: `//[^\n]*`},
	{Name: "String", Pattern: `"(\\.|[^"\\\n])*"`},
	{Name: "Number", Pattern: `0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9][0-9_]*`},
	{Name: "Ident", Pattern: `[A-Za-z_][A-Za-z0-9_]*`},
	{Name: "Punct", Pattern: `==|!=|<=|>=|&&|\|\||<<|>>|->|=>|[-+*/%&|^~!<>=(){}\[\]:;,.@?]`},
	{Name: "Whitespace", Pattern: `[ \t\r\n]+`},
})

var (
	tokNumber = specLexer.Symbols()["Number"]
	tokIdent  = specLexer.Symbols()["Ident"]
	tokPunct  = specLexer.Symbols()["Punct"]
	tokString = specLexer.Symbols()["String"]
)

// keywords are the words the grammar reserves; they cannot start an
// expression, so "require x" never parses x as part of the previous line.
var keywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`device implements bus port mmio width irq region size
		const type state bool uint data enum register ro wo rw reset when field rc w1c trigger
		on read write stream fifo window internal fair input interrupt fault bind
		require emit if else class event predicate out method requires ensures for in
		true false match carried`) {
		keywords[k] = true
	}
}

var parser = participle.MustBuild[File](
	participle.Lexer(specLexer),
	participle.Elide("Comment", "Whitespace"),
	participle.Unquote("String"),
	participle.UseLookahead(4),
)

// ParseFile reads and parses one spec file.
func ParseFile(path string) (*File, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// Parse parses the source of one spec file. A syntax error comes back as
// Diagnostics holding one positioned error.
func Parse(name string, src []byte) (*File, error) {
	f, err := parser.ParseBytes(name, src)
	if err != nil {
		return nil, Diagnostics{syntaxDiagnostic(name, src, err)}
	}
	f.Name = name
	f.Src = src
	f.Comments = collectComments(name, src)
	return f, nil
}

func syntaxDiagnostic(name string, src []byte, err error) *Diagnostic {
	d := &Diagnostic{Severity: Error, Src: src}
	var perr participle.Error
	if errors.As(err, &perr) {
		d.Pos = perr.Position()
		d.Msg = perr.Message()
	} else {
		d.Pos = Pos{Filename: name, Line: 1, Column: 1}
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

func collectComments(name string, src []byte) []*Comment {
	lex, err := specLexer.LexString(name, string(src))
	if err != nil {
		return nil
	}
	commentType := specLexer.Symbols()["Comment"]
	var out []*Comment
	for {
		t, err := lex.Next()
		if err != nil || t.EOF() {
			return out
		}
		if t.Type == commentType {
			out = append(out, &Comment{Pos: t.Pos, Text: t.Value})
		}
	}
}
