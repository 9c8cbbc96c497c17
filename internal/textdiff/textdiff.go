// Package textdiff computes line diffs (Myers' O(ND) algorithm) and prints
// them in unified format, for "drvsynth fmt -d" and for tests that show
// how two texts differ.
package textdiff

import (
	"fmt"
	"strings"
)

// OpKind says what an edit does with a line.
type OpKind byte

const (
	Equal  OpKind = ' '
	Delete OpKind = '-'
	Insert OpKind = '+'
)

// Op is one line of an edit script: kept, deleted from a, or inserted
// from b. A and B are the line's 0-based indexes in a and b (the index it
// would have for the side it is not in).
type Op struct {
	Kind OpKind
	A, B int
	Line string
}

// Lines splits text into lines, each keeping its "\n" (the last may lack
// it).
func Lines(text string) []string {
	if text == "" {
		return nil
	}
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// Diff returns a shortest edit script turning a into b.
func Diff(a, b []string) []Op {
	// Myers: for each number of edits d, v[k] is the furthest x reached on
	// diagonal k = x - y. trace keeps v after each round to walk back.
	n, m := len(a), len(b)
	max := n + m
	off := max + 1
	v := make([]int, 2*max+3)
	var trace [][]int
	found := false
	for d := 0; d <= max && !found; d++ {
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: insert b[y]
			} else {
				x = v[off+k-1] + 1 // right: delete a[x]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = true
				break
			}
		}
		trace = append(trace, append([]int(nil), v...))
	}

	// Walk back from (n, m), collecting the script in reverse.
	var rev []Op
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		k := x - y
		var prevK int
		if d == 0 {
			prevK = 0
		} else if k == -d || (k != d && trace[d-1][off+k-1] < trace[d-1][off+k+1]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := 0
		if d > 0 {
			prevX = trace[d-1][off+prevK]
		}
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, Op{Equal, x, y, a[x]})
		}
		if d == 0 {
			break
		}
		if x == prevX {
			y--
			rev = append(rev, Op{Insert, x, y, b[y]})
		} else {
			x--
			rev = append(rev, Op{Delete, x, y, a[x]})
		}
	}
	for x > 0 && y > 0 { // the common prefix when d reached 0 early
		x, y = x-1, y-1
		rev = append(rev, Op{Equal, x, y, a[x]})
	}
	ops := make([]Op, len(rev))
	for i, op := range rev {
		ops[len(rev)-1-i] = op
	}
	return ops
}

// Unified returns the unified diff (3 lines of context) that turns text a,
// named aName, into b, named bName; "" when they are equal.
func Unified(aName, bName, a, b string) string {
	ops := Diff(Lines(a), Lines(b))
	const context = 3
	var out strings.Builder
	for i := 0; i < len(ops); {
		if ops[i].Kind == Equal {
			i++
			continue
		}
		// A hunk: from context lines before this change to context lines
		// after the last change that is at most 2*context lines away.
		start := max(i-context, 0)
		end := i
		for j := i; j < len(ops); j++ {
			if ops[j].Kind != Equal {
				end = j + 1
			} else if j-end >= 2*context {
				break
			}
		}
		end = min(end+context, len(ops))
		if out.Len() == 0 {
			fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
		}
		writeHunk(&out, ops[start:end])
		i = end
	}
	return out.String()
}

func writeHunk(out *strings.Builder, ops []Op) {
	aStart, bStart := ops[0].A, ops[0].B
	var aLen, bLen int
	for _, op := range ops {
		if op.Kind != Insert {
			aLen++
		}
		if op.Kind != Delete {
			bLen++
		}
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
	for _, op := range ops {
		out.WriteByte(byte(op.Kind))
		out.WriteString(op.Line)
		if !strings.HasSuffix(op.Line, "\n") {
			out.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange prints a hunk's line range the way diff -u does: 1-based
// start, and the count unless it is 1 (an empty range names the line
// before it).
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
