package dsl

import (
	"strconv"
	"strings"
)

// expected turns the expectation in a participle message, written in the
// grammar's notation ("(\"ro\" | \"wo\") (\"width\" <number>)? …"), into
// the words a spec writer knows: the tokens that could come next.
func expected(msg string) string {
	g := expectedText(msg)
	if g == "" {
		return ""
	}
	p := &grammarReader{s: g}
	words, _ := p.alt()
	return wordList(words)
}

// expectedText is the grammar text of a participle message's expectation.
func expectedText(msg string) string {
	i := strings.Index(msg, "(expected ")
	if i < 0 {
		return ""
	}
	return strings.TrimSuffix(msg[i+len("(expected "):], ")")
}

// grammarReader computes the first set of a participle grammar string.
type grammarReader struct{ s string }

func (r *grammarReader) peek() byte {
	r.s = strings.TrimLeft(r.s, " ")
	if r.s == "" {
		return 0
	}
	return r.s[0]
}

// seq reads terms up to ')' or '|' and returns the words that can start
// the sequence, and whether it can be empty.
func (r *grammarReader) seq() (words []string, nullable bool) {
	nullable = true
	for {
		c := r.peek()
		if c == 0 || c == ')' || c == '|' {
			return words, nullable
		}
		w, n, ok := r.term()
		if !ok {
			return words, false
		}
		if nullable {
			words = append(words, w...)
			nullable = n
		}
	}
}

func (r *grammarReader) alt() (words []string, nullable bool) {
	for {
		w, n := r.seq()
		words = append(words, w...)
		nullable = nullable || n
		if r.peek() != '|' {
			return words, nullable
		}
		r.s = r.s[1:]
	}
}

// term reads one element with its modifier.
func (r *grammarReader) term() (words []string, nullable bool, ok bool) {
	switch c := r.peek(); {
	case c == '"':
		end := 1
		for end < len(r.s) && r.s[end] != '"' {
			if r.s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(r.s) {
			return nil, false, false
		}
		lit, err := strconv.Unquote(r.s[:end+1])
		if err != nil {
			return nil, false, false
		}
		r.s = r.s[end+1:]
		words = []string{literalWord(lit)}
	case c == '<':
		end := strings.IndexByte(r.s, '>')
		if end < 0 {
			return nil, false, false
		}
		words = []string{tokenClassWord(r.s[1:end])}
		r.s = r.s[end+1:]
	case c == '(':
		r.s = r.s[1:]
		words, nullable = r.alt()
		if r.peek() != ')' {
			return nil, false, false
		}
		r.s = r.s[1:]
	case c == '@' || c == '!' || c == '~':
		r.s = r.s[1:]
		return r.term()
	case identStart(c):
		end := 1
		for end < len(r.s) && (identStart(r.s[end]) || isDigit(r.s[end])) {
			end++
		}
		words = nodeWord(r.s[:end])
		r.s = r.s[end:]
	default: // "…": participle cut the grammar short
		return nil, false, false
	}
	switch r.peek() {
	case '?', '*':
		r.s = r.s[1:]
		nullable = true
	case '+':
		r.s = r.s[1:]
	}
	return words, nullable, true
}

// literalWord shows a keyword as itself and punctuation in quotes.
func literalWord(lit string) string {
	if lit != "" && identStart(lit[0]) {
		return lit
	}
	return strconv.Quote(lit)
}

func tokenClassWord(class string) string {
	switch class {
	case "ident":
		return "a name"
	case "number":
		return "a number"
	case "string":
		return "a message string"
	}
	return class
}

// nodeWord names a grammar node by what it stands for in a spec.
func nodeWord(node string) []string {
	if w, ok := nodeWords[node]; ok {
		return w
	}
	return []string{strings.ToLower(node)}
}

var nodeWords = map[string][]string{
	"File":        {"device", "class"},
	"Device":      {"device"},
	"Class":       {"class"},
	"DeviceItem":  {"a declaration (bus, region, const, type, state, register, stream, internal, input, interrupt, fault, bind)"},
	"ClassItem":   {"a declaration (type, event, predicate, method)"},
	"RegItem":     {"field", "on"},
	"FieldDecl":   {"field"},
	"Handler":     {"on"},
	"streamItem":  {"layout", "on"},
	"LayoutDecl":  {"layout"},
	"LayoutField": {"field"},
	"Stmt":        {"a statement (require, emit, if or an assignment)"},
	"Require":     {"require"},
	"Emit":        {"emit"},
	"If":          {"if"},
	"Assign":      {"an assignment"},
	"Path":        {"a name"},
	"Expr":        {"an expression"},
	"Type":        {"a type"},
	"EnumBody":    {"enum"},
	"EnumMember":  {"an enum member"},
	"Location":    {"an offset"},
	"BitRange":    {`"["`},
	"Param":       {"a parameter"},
	"Ident":       {"a name"},
	"PredBinding": {"a predicate binding (NAME = expression)"},
	"Clause":      {"requires", "ensures", "for", "fault"},
	"ForEach":     {"for"},
	"MatchCase":   {"a match arm"},
}

// wordList joins words as "a, b or c", each once.
func wordList(words []string) string {
	seen := map[string]bool{}
	var out []string
	for _, w := range words {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	switch len(out) {
	case 0:
		return ""
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " or " + out[len(out)-1]
}
