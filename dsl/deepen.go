package dsl

import (
	"errors"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// Participle backs off from a part of the grammar that is optional or
// repeated (the statements of a handler, the items of a register) when the
// part fails after its first token, and reports the token where the part
// began as unexpected, expecting only what may follow the part: "foo bar"
// in a handler comes out as `unexpected "on", expected "}"`. deepen parses
// the part again on its own, starting at that token, and keeps the error
// that lies further in; at the same token it adds what the part could have
// started with to what was expected.

// itemParsers parse one item of a block, leaving what follows.
var itemParsers = map[string]func([]lexer.Token) error{
	"stmt":        parseOne[Stmt],
	"regitem":     parseOne[RegItem],
	"handler":     parseOne[Handler],
	"streamitem":  parseOne[streamItem],
	"layoutfield": parseOne[LayoutField],
	"predbinding": parseOne[PredBinding],
	"clause":      parseOne[Clause],
	"deviceitem":  parseOne[DeviceItem],
	"classitem":   parseOne[ClassItem],
}

// blockItem says which kind of item a block holds, by the keyword that
// opens it.
var blockItem = map[string]string{
	"on": "stmt", "if": "stmt", "else": "stmt", "internal": "stmt", "input": "stmt",
	"register": "regitem", "stream": "streamitem", "layout": "layoutfield", "bind": "predbinding",
	"method": "clause", "for": "clause", "device": "deviceitem", "class": "classitem",
}

// itemNode is the grammar node of each kind of item, for its words.
var itemNode = map[string]string{
	"stmt": "Stmt", "regitem": "RegItem", "handler": "Handler", "predbinding": "PredBinding",
	"streamitem": "streamItem", "layoutfield": "LayoutField",
	"clause": "Clause", "deviceitem": "DeviceItem", "classitem": "ClassItem",
}

// itemStarts are the keywords an item of each kind may begin with.
var itemStarts = map[string]map[string]bool{
	"stmt":        {"require": true, "emit": true, "if": true},
	"regitem":     {"field": true, "on": true},
	"handler":     {"on": true},
	"streamitem":  {"layout": true, "on": true},
	"layoutfield": {"field": true},
	"predbinding": {},
	"clause":      {"requires": true, "ensures": true, "for": true},
	"deviceitem":  declKeywords,
	"classitem":   declKeywords,
}

var builtItemParsers = map[string]any{}

func parseOne[G any](toks []lexer.Token) error {
	var zero G
	key := participleKey(zero)
	p, _ := builtItemParsers[key].(*participle.Parser[G])
	_, err := parseTokensWith(p, toks, participle.AllowTrailing(true))
	return err
}

func participleKey(v any) string {
	switch v.(type) {
	case Stmt:
		return "stmt"
	case RegItem:
		return "regitem"
	case Handler:
		return "handler"
	case streamItem:
		return "streamitem"
	case LayoutField:
		return "layoutfield"
	case PredBinding:
		return "predbinding"
	case Clause:
		return "clause"
	case DeviceItem:
		return "deviceitem"
	case ClassItem:
		return "classitem"
	}
	panic("no item parser")
}

func init() {
	builtItemParsers["stmt"] = participle.MustBuild[Stmt](parseOptions...)
	builtItemParsers["regitem"] = participle.MustBuild[RegItem](parseOptions...)
	builtItemParsers["handler"] = participle.MustBuild[Handler](parseOptions...)
	builtItemParsers["streamitem"] = participle.MustBuild[streamItem](parseOptions...)
	builtItemParsers["layoutfield"] = participle.MustBuild[LayoutField](parseOptions...)
	builtItemParsers["predbinding"] = participle.MustBuild[PredBinding](parseOptions...)
	builtItemParsers["clause"] = participle.MustBuild[Clause](parseOptions...)
	builtItemParsers["deviceitem"] = deviceItemParser
	builtItemParsers["classitem"] = classItemParser
}

// deepen returns the error of toks (which failed with err) as deep in the
// text as it can find it.
func deepen(toks []lexer.Token, err error) error {
	for range 8 {
		var uerr *participle.UnexpectedTokenError
		if !errors.As(err, &uerr) {
			return err
		}
		at := -1
		for i := range toks {
			if toks[i].Pos.Offset == uerr.Unexpected.Pos.Offset && toks[i].Type != tokWhitespace && toks[i].Type != tokComment {
				at = i
				break
			}
		}
		// Only a back-off looks like this: the block's end was expected
		// where an item began.
		if at < 0 || toks[at].EOF() || toks[at].Type == tokPunct && toks[at].Value == "}" ||
			!strings.Contains(expectedText(uerr.Message()), `"}"`) {
			return err
		}
		kind := enclosingBlock(toks, at)
		parse := itemParsers[kind]
		if parse == nil {
			return err
		}
		// A keyword that cannot start such an item is the mistake itself
		// (names and keywords are both identifiers to the grammar).
		if t := toks[at]; t.Type == tokIdent && keywords[t.Value] && !itemStarts[kind][t.Value] {
			return err
		}
		again := parse(append(append([]lexer.Token(nil), toks[at:len(toks)-1]...), toks[len(toks)-1]))
		if again == nil {
			if kind == "streamitem" && toks[at].Value == "layout" {
				return participle.Errorf(uerr.Unexpected.Pos, `unexpected "layout" after a handler: a stream's layouts come before its handlers`)
			}
			return err
		}
		var perr participle.Error
		if !errors.As(again, &perr) {
			return err
		}
		if perr.Position().Offset > uerr.Unexpected.Pos.Offset {
			err = again
			continue
		}
		// At the same token: the item could not start here either; say
		// what could have.
		a := expectedText(again.Error())
		if a == "" {
			a = itemNode[kind]
		}
		return &participle.UnexpectedTokenError{Unexpected: uerr.Unexpected, Expect: "(" + a + ") | (" + expectedText(uerr.Message()) + ")"}
	}
	return err
}

// enclosingBlock finds the "{" that holds toks[at] and names the kind of
// item its block holds, by the keyword before it ("" when unknown).
func enclosingBlock(toks []lexer.Token, at int) string {
	depth := 0
	i := at - 1
	for ; i >= 0; i-- {
		t := toks[i]
		if t.Type != tokPunct {
			continue
		}
		if t.Value == "}" {
			depth++
		} else if t.Value == "{" {
			if depth == 0 {
				break
			}
			depth--
		}
	}
	for i--; i >= 0; i-- {
		t := toks[i]
		if t.Type == tokPunct && (t.Value == "{" || t.Value == "}") {
			return ""
		}
		if t.Type == tokIdent {
			if kind, ok := blockItem[t.Value]; ok {
				return kind
			}
			if t.Value == "enum" || t.Value == "match" {
				return ""
			}
		}
	}
	return ""
}

// streamItem is one item of a stream's body, for finding syntax errors in
// it: the grammar itself takes the layouts first, then the handlers.
type streamItem struct {
	Layout  *LayoutDecl `parser:"  @@"`
	Handler *Handler    `parser:"| @@"`
}
