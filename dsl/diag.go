package dsl

import (
	"fmt"
	"sort"
	"strings"
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

// Diagnostic is one finding about a spec, at a source position.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Msg      string
	// Src is the text of the file, used to print the offending line.
	Src []byte
}

// Error formats the diagnostic as file:line:col: severity: message,
// followed by the source line and a caret under the column.
func (d *Diagnostic) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: %s: %s", d.Pos.Filename, d.Pos.Line, d.Pos.Column, d.Severity, d.Msg)
	if line, ok := sourceLine(d.Src, d.Pos.Line); ok {
		line = strings.ReplaceAll(line, "\t", "    ")
		col := visualColumn(d.Src, d.Pos)
		fmt.Fprintf(&b, "\n\t%s\n\t%s^", line, strings.Repeat(" ", col))
	}
	return b.String()
}

func sourceLine(src []byte, n int) (string, bool) {
	if src == nil || n < 1 {
		return "", false
	}
	lines := strings.Split(string(src), "\n")
	if n > len(lines) {
		return "", false
	}
	return strings.TrimRight(lines[n-1], "\r"), true
}

// visualColumn is the caret's offset once tabs are printed as four spaces.
func visualColumn(src []byte, p Pos) int {
	line, _ := sourceLine(src, p.Line)
	col := 0
	// Columns count runes (as the lexer does), not bytes.
	i := 0
	for _, r := range line {
		if i >= p.Column-1 {
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

// Diagnostics is a list of findings; as an error it prints them all.
type Diagnostics []*Diagnostic

func (ds Diagnostics) Error() string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Error()
	}
	return strings.Join(parts, "\n")
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
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i].Pos, ds[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}
