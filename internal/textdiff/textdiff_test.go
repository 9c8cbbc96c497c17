package textdiff

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lcs is the length of a longest common subsequence, by dynamic
// programming: the number of Equal lines a shortest script must have.
func lcs(a, b []string) int {
	t := make([][]int, len(a)+1)
	for i := range t {
		t[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	return t[0][0]
}

func TestDiffIsShortestAndCorrect(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 2000; iter++ {
		a := make([]string, r.IntN(12))
		b := make([]string, r.IntN(12))
		for i := range a {
			a[i] = string(rune('a' + r.IntN(4)))
		}
		for i := range b {
			b[i] = string(rune('a' + r.IntN(4)))
		}
		ops := Diff(a, b)
		var gotA, gotB []string
		equal := 0
		for _, op := range ops {
			switch op.Kind {
			case Equal:
				equal++
				require.Equal(t, a[op.A], op.Line)
				require.Equal(t, b[op.B], op.Line)
				gotA, gotB = append(gotA, op.Line), append(gotB, op.Line)
			case Delete:
				require.Equal(t, a[op.A], op.Line)
				gotA = append(gotA, op.Line)
			case Insert:
				require.Equal(t, b[op.B], op.Line)
				gotB = append(gotB, op.Line)
			}
		}
		require.Equal(t, strings.Join(a, ""), strings.Join(gotA, ""), "a=%q b=%q", a, b)
		require.Equal(t, strings.Join(b, ""), strings.Join(gotB, ""), "a=%q b=%q", a, b)
		require.Equal(t, lcs(a, b), equal, "not a shortest script: a=%q b=%q", a, b)
	}
}

func TestUnified(t *testing.T) {
	assert.Equal(t, "", Unified("a", "b", "x\ny\n", "x\ny\n"))

	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n"
	b := "1\n2\n3\nfour\n5\n6\n7\n8\n9\n10\n11\n12\n13\n15\n16\nseventeen"
	want := `--- old
+++ new
@@ -1,7 +1,7 @@
 1
 2
 3
-4
+four
 5
 6
 7
@@ -11,6 +11,6 @@
 11
 12
 13
-14
 15
 16
+seventeen
\ No newline at end of file
`
	assert.Equal(t, want, Unified("old", "new", a, b))

	// Changes 6 lines apart share a hunk.
	a = "a\nb\nc\nd\ne\nf\ng\nh\n"
	b = "A\nb\nc\nd\ne\nf\ng\nH\n"
	assert.Equal(t, "--- x\n+++ y\n@@ -1,8 +1,8 @@\n-a\n+A\n b\n c\n d\n e\n f\n g\n-h\n+H\n", Unified("x", "y", a, b))

	// Into and out of nothing.
	assert.Equal(t, "--- x\n+++ y\n@@ -0,0 +1,2 @@\n+p\n+q\n", Unified("x", "y", "", "p\nq\n"))
	assert.Equal(t, "--- x\n+++ y\n@@ -1 +0,0 @@\n-p\n", Unified("x", "y", "p\n", ""))
}
