package dsl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"unicode/utf8"
)

// Severity of a diagnostic.
type Severity int

const (
	Error Severity = iota
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText writes the severity as its name, for JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Diagnostic is one finding about a spec: where, how bad, what, and the
// other places that explain it (where a duplicate was first declared). It
// holds no source text; Sources renders it with the offending line.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Msg      string
	Related  []Related
}

// Related is a second position a diagnostic refers to.
type Related struct {
	Pos Pos
	Msg string
}

// Error is the diagnostic on one line: file:line:col: severity: message.
func (d *Diagnostic) Error() string {
	return fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Msg)
}

// Diagnostics is a list of findings; as an error it prints them all, one
// per line.
type Diagnostics []*Diagnostic

func (ds Diagnostics) Error() string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.Error())
	}
	return b.String()
}

// HasErrors reports whether any diagnostic is an error (not a warning).
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Sort orders diagnostics by file and position.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Pos.Before(ds[j].Pos) })
}

// Sources holds the text of spec files for rendering diagnostics with
// their source lines. Each file's lines are indexed once, so rendering n
// diagnostics costs O(file + n), not O(file × n). A file not added is read
// from disk on first use.
type Sources struct {
	files map[string]*source
}

type source struct {
	text  []byte
	lines []int // byte offset of the start of each line
}

// NewSources returns an empty set of sources.
func NewSources() *Sources { return &Sources{files: map[string]*source{}} }

// Add records the text of a file (one read from standard input, say).
func (s *Sources) Add(name string, text []byte) {
	s.files[name] = indexLines(text)
}

// AddFile records the text of a parsed file.
func (s *Sources) AddFile(f *File) {
	if f != nil && f.Src != nil {
		s.Add(f.Name, f.Src)
	}
}

func indexLines(text []byte) *source {
	src := &source{text: text, lines: []int{0}}
	for i, c := range text {
		if c == '\n' {
			src.lines = append(src.lines, i+1)
		}
	}
	return src
}

func (s *Sources) file(name string) *source {
	if src, ok := s.files[name]; ok {
		return src
	}
	var src *source
	if text, err := os.ReadFile(name); err == nil {
		src = indexLines(text)
	}
	s.files[name] = src // nil: unreadable, and not tried again
	return src
}

// Line returns line n (from 1) of a file, without its line ending.
func (s *Sources) Line(name string, n int) (string, bool) {
	src := s.file(name)
	if src == nil || n < 1 || n > len(src.lines) {
		return "", false
	}
	start := src.lines[n-1]
	end := len(src.text)
	if n < len(src.lines) {
		end = src.lines[n] - 1
	}
	return strings.TrimRight(string(src.text[start:end]), "\r"), true
}

// maxShownLine bounds the source line echoed under a diagnostic: a binary
// file or a minified spec has lines nobody wants on their terminal.
const maxShownLine = 160

// Print writes each diagnostic as
//
//	file:line:col: severity: message
//		source line
//		    ^
//
// followed by its related positions, one per line.
func (s *Sources) Print(w io.Writer, ds Diagnostics) error {
	var b bytes.Buffer
	for _, d := range ds {
		b.WriteString(d.Error())
		b.WriteByte('\n')
		s.writeCaret(&b, d.Pos)
		for _, r := range d.Related {
			fmt.Fprintf(&b, "%s: %s\n", r.Pos, r.Msg)
		}
		if b.Len() > 1<<16 {
			if _, err := w.Write(b.Bytes()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// Render is Print into a string.
func (s *Sources) Render(ds Diagnostics) string {
	var b strings.Builder
	s.Print(&b, ds)
	return strings.TrimSuffix(b.String(), "\n")
}

// writeCaret writes the line at p, tabs shown as four spaces, with a caret
// under the column. Columns count runes, as the lexer does. A line too long
// to show, or one that is not text, is left out.
func (s *Sources) writeCaret(b *bytes.Buffer, p Pos) {
	line, ok := s.Line(p.Filename, p.Line)
	if !ok || len(line) > maxShownLine || !utf8.ValidString(line) || strings.ContainsFunc(line, isControl) {
		return
	}
	b.WriteByte('\t')
	b.WriteString(strings.ReplaceAll(line, "\t", "    "))
	b.WriteString("\n\t")
	b.WriteString(strings.Repeat(" ", visualColumn(line, p.Column)))
	b.WriteString("^\n")
}

func isControl(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }

// visualColumn is the caret's offset in line once tabs are four spaces.
func visualColumn(line string, column int) int {
	col, i := 0, 0
	for _, r := range line {
		if i >= column-1 {
			break
		}
		i++
		if r == '\t' {
			col += 4
		} else {
			col++
		}
	}
	return col
}

// jsonDiagnostic is the JSON form of a diagnostic, one object per line.
type jsonDiagnostic struct {
	File     string        `json:"file"`
	Line     int           `json:"line"`
	Column   int           `json:"column"`
	Severity Severity      `json:"severity"`
	Message  string        `json:"message"`
	Related  []jsonRelated `json:"related,omitempty"`
}

type jsonRelated struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// PrintJSON writes the diagnostics as JSON objects, one per line (file,
// line, column, severity, message, related), for editors and CI.
func PrintJSON(w io.Writer, ds Diagnostics) error {
	enc := json.NewEncoder(w)
	for _, d := range ds {
		jd := jsonDiagnostic{File: d.Pos.Filename, Line: d.Pos.Line, Column: d.Pos.Column, Severity: d.Severity, Message: d.Msg}
		for _, r := range d.Related {
			jd.Related = append(jd.Related, jsonRelated{File: r.Pos.Filename, Line: r.Pos.Line, Column: r.Pos.Column, Message: r.Msg})
		}
		if err := enc.Encode(jd); err != nil {
			return err
		}
	}
	return nil
}
