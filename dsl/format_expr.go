package dsl

import "strings"

// FormatExpr prints one expression in canonical form, on one line: for
// messages and for comments in generated code.
func FormatExpr(e *Expr) string {
	p := newPrinter(&File{})
	p.flatExpr(e, 0)
	return strings.TrimSpace(p.out.String())
}
