package dsl

import (
	"fmt"
	"unicode/utf8"
)

// Check runs the semantic checks on a device spec and its class and
// returns every finding, sorted by position. The class is checked too, so
// a device never resolves against a broken class without saying so.
func Check(s *Spec) Diagnostics {
	c := newChecker()
	if s == nil || s.Device == nil {
		return nil
	}
	c.info = &Info{Uses: map[*Expr]*Object{}, Targets: map[*Assign]*Object{}}
	s.Info = c.info
	if s.Class != nil && s.Class.Class != nil {
		c.checkClass(s.Class)
	}
	if s.Device.Device == nil {
		c.src(s.Device)
		c.errorf(s.Device.Pos, "expected a device spec (.dev), found a class")
	} else {
		c.checkDevice(s.Device)
	}
	c.diags.Sort()
	return c.diags
}

// CheckClass runs the semantic checks on a class spec alone.
func CheckClass(f *File) Diagnostics {
	c := newChecker()
	if f == nil {
		return nil
	}
	if f.Class == nil {
		c.src(f)
		c.errorf(f.Pos, "expected a class spec (.osi), found a device")
	} else {
		c.checkClass(f)
	}
	c.diags.Sort()
	return c.diags
}

// checker collects diagnostics while it walks one spec.
type checker struct {
	diags Diagnostics
	srcs  map[string][]byte
	cls   *ckClass
	dev   *ckDevice
	info  *Info // where resolutions are recorded (nil: nowhere)
}

func newChecker() *checker { return &checker{srcs: map[string][]byte{}} }

// src remembers a file's text so diagnostics in it carry the source line.
func (c *checker) src(f *File) {
	if f.Src != nil {
		c.srcs[f.Pos.Filename] = f.Src
		c.srcs[f.Name] = f.Src
	}
}

func (c *checker) errorf(pos Pos, format string, args ...any) {
	c.report(Error, pos, format, args...)
}

func (c *checker) warnf(pos Pos, format string, args ...any) {
	c.report(Warning, pos, format, args...)
}

func (c *checker) report(sev Severity, pos Pos, format string, args ...any) {
	c.diags = append(c.diags, &Diagnostic{
		Pos:      pos,
		Severity: sev,
		Msg:      fmt.Sprintf(format, args...),
	})
}

// related adds a position to the diagnostic just reported.
func (c *checker) related(pos Pos, format string, args ...any) {
	if len(c.diags) > 0 {
		d := c.diags[len(c.diags)-1]
		d.Related = append(d.Related, Related{Pos: pos, Msg: fmt.Sprintf(format, args...)})
	}
}

// where formats a position for "first declared at" notes.
func where(p Pos) string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// ckNames detects duplicate declarations within one namespace.
type ckNames struct {
	c    *checker
	seen map[string]ckSeen
}

type ckSeen struct {
	kind string
	pos  Pos
}

func (c *checker) namespace() *ckNames { return &ckNames{c: c, seen: map[string]ckSeen{}} }

// declare records a name; it reports and returns false on a duplicate.
func (n *ckNames) declare(kind, name string, pos Pos) bool {
	if prev, ok := n.seen[name]; ok {
		if prev.kind == kind {
			n.c.errorf(pos, "duplicate %s %s (first declared at %s)", kind, name, where(prev.pos))
		} else {
			n.c.errorf(pos, "duplicate name %s: already declared as %s at %s", name, prev.kind, where(prev.pos))
		}
		n.c.related(prev.pos, "%s %s first declared here", prev.kind, name)
		return false
	}
	n.seen[name] = ckSeen{kind, pos}
	return true
}

// identAt returns the position of the n-th identifier or keyword token (0
// is the first) at or after from. The AST records where a declaration
// starts (at its keyword); diagnostics point at the name itself.
func (c *checker) identAt(from Pos, n int) Pos { return c.scanTokens(from, n, true) }

// tokenAt returns the position of the n-th token of any kind at or after
// from: in "ctl + 6" the offset is token 2.
func (c *checker) tokenAt(from Pos, n int) Pos { return c.scanTokens(from, n, false) }

func (c *checker) scanTokens(from Pos, n int, identsOnly bool) Pos {
	src := c.srcs[from.Filename]
	if from.Offset < 0 || from.Offset >= len(src) || from.Line == 0 {
		return from
	}
	// s walks the source without copying it: the scan is per declaration,
	// and a copy of the rest of the file each time made checking quadratic.
	p := from
	s := src[from.Offset:]
	for len(s) > 0 {
		span := 1
		ch := s[0]
		token := true
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			token = false
		case ch == '/' && len(s) > 1 && s[1] == '/':
			token = false
			span = len(s)
			for i := 0; i < len(s); i++ {
				if s[i] == '\n' {
					span = i
					break
				}
			}
		case ch == '"':
			for span < len(s) && s[span] != '"' && s[span] != '\n' {
				if s[span] == '\\' {
					span++
				}
				span++
			}
			if span < len(s) {
				span++
			}
		case ckIdentStart(ch) || (ch >= '0' && ch <= '9'):
			for span < len(s) && (ckIdentStart(s[span]) || (s[span] >= '0' && s[span] <= '9')) {
				span++
			}
		case ch >= utf8.RuneSelf:
			_, span = utf8.DecodeRune(s)
		default:
			// Two-character operators count as one token.
			if len(s) > 1 {
				switch string(s[:2]) {
				case "==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "->", "=>":
					span = 2
				}
			}
		}
		if span > len(s) {
			span = len(s)
		}
		if token && (!identsOnly || ckIdentStart(ch)) {
			if n == 0 {
				return p
			}
			n--
		}
		p.advance(s[:span])
		s = s[span:]
	}
	return from
}

// tokenAfter returns the position of the token following the first
// occurrence of keyword word at or after from (the number after "width").
func (c *checker) tokenAfter(from Pos, word string) Pos {
	src := c.srcs[from.Filename]
	for i := 0; i < 64; i++ {
		p := c.identAt(from, i)
		if p == from && i > 0 {
			return from
		}
		if p.Offset >= 0 && p.Offset+len(word) <= len(src) && string(src[p.Offset:p.Offset+len(word)]) == word &&
			(p.Offset+len(word) == len(src) || !ckIdentStart(src[p.Offset+len(word)])) {
			q := p
			q.advance(src[q.Offset : q.Offset+len(word)])
			rest := src[q.Offset:]
			for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r') {
				q.advance(rest[:1])
				rest = rest[1:]
			}
			return q
		}
	}
	return from
}

func ckIdentStart(ch byte) bool {
	return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
}

// advance moves p over text, counting lines and runes as the lexer does.
// (The scanner calls it for every token: ASCII is counted a byte at a
// time, without decoding.)
func (p *Pos) advance(text []byte) {
	for i := 0; i < len(text); {
		size := 1
		if text[i] >= utf8.RuneSelf {
			_, size = utf8.DecodeRune(text[i:])
		}
		if text[i] == '\n' {
			p.Line++
			p.Column = 1
		} else {
			p.Column++
		}
		i += size
		p.Offset += size
	}
}
