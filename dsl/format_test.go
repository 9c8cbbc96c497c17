package dsl

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files of the formatter tests")

// bundledSpecs lists every spec shipped with the project, relative to this
// package: devices/*/*.dev and os-interface/*/*.osi.
func bundledSpecs(t testing.TB) []string {
	t.Helper()
	devs, err := filepath.Glob("../devices/*/*.dev")
	require.NoError(t, err)
	classes, err := filepath.Glob("../os-interface/*/*.osi")
	require.NoError(t, err)
	all := append(devs, classes...)
	require.NotEmpty(t, all)
	return all
}

// commentTexts is what the formatter must keep of a file's comments.
func commentTexts(f *File) []string {
	var out []string
	for _, c := range f.Comments {
		out = append(out, strings.TrimRight(c.Text, " \t\r"))
	}
	return out
}

var posType = reflect.TypeFor[Pos]()

// stripPositions clears everything in a tree that depends on layout
// (positions, tokens, source text, comments) so that two parses of
// differently formatted text can be compared for equal meaning.
func stripPositions(f *File) *File {
	// Layout-only fields of File (Src may or may not exist yet).
	fv := reflect.ValueOf(f).Elem()
	for _, name := range []string{"Src", "Comments", "Name"} {
		if fld := fv.FieldByName(name); fld.IsValid() {
			fld.SetZero()
		}
	}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case reflect.Struct:
			if v.Type() == posType {
				v.SetZero()
				return
			}
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		}
	}
	walk(reflect.ValueOf(f))
	return f
}

// assertRoundTrip formats f (parsed from src) and checks the contract of
// Format: the output parses to the same tree with the same comments, and
// formatting it again changes nothing. It returns the formatted text.
func assertRoundTrip(t testing.TB, name string, src []byte) []byte {
	t.Helper()
	f, err := Parse(name, src)
	require.NoError(t, err)
	out := Format(f)
	g, err := Parse(name, out)
	require.NoError(t, err, "formatted text does not parse:\n%s", out)
	assert.Equal(t, commentTexts(f), commentTexts(g), "comments changed")
	again := Format(g)
	assert.Equal(t, string(out), string(again), "Format is not idempotent")
	assert.Equal(t, stripPositions(f), stripPositions(g), "formatting changed the tree")
	return out
}

func TestFormatBundledSpecs(t *testing.T) {
	for _, path := range bundledSpecs(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			out := assertRoundTrip(t, path, src)
			assert.Equal(t, len(bytesLines(src)) > 0, len(out) > 0)
			// Every comment appears verbatim (up to trailing blanks).
			f, err := Parse(path, src)
			require.NoError(t, err)
			for _, c := range f.Comments {
				assert.Contains(t, string(out), strings.TrimRight(c.Text, " \t\r"))
			}
		})
	}
}

// TestBundledSpecsCanonical fails when a bundled spec is not in canonical
// form, naming it; "drvsynth fmt -w FILE" fixes it.
func TestBundledSpecsCanonical(t *testing.T) {
	for _, path := range bundledSpecs(t) {
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		f, err := Parse(path, src)
		require.NoError(t, err)
		if diff := udiff.Unified(path, "formatted", string(src), string(Format(f))); diff != "" {
			t.Errorf("%s is not canonical (drvsynth fmt -w fixes it):\n%s", path, diff)
		}
	}
}

func bytesLines(b []byte) []string { return strings.Split(string(b), "\n") }

// TestFormatGolden formats small messy inputs in testdata/format/*.in and
// compares with the .golden files (go test -run Golden -update rewrites
// them).
func TestFormatGolden(t *testing.T) {
	ins, err := filepath.Glob("testdata/format/*.in")
	require.NoError(t, err)
	require.NotEmpty(t, ins)
	for _, in := range ins {
		t.Run(filepath.Base(in), func(t *testing.T) {
			src, err := os.ReadFile(in)
			require.NoError(t, err)
			out := assertRoundTrip(t, in, src)
			golden := strings.TrimSuffix(in, ".in") + ".golden"
			if *update {
				require.NoError(t, os.WriteFile(golden, out, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(out))
		})
	}
}

func formatString(t *testing.T, src string) string {
	t.Helper()
	return string(assertRoundTrip(t, "x.dev", []byte(src)))
}

func TestFormatParentheses(t *testing.T) {
	cases := []struct{ in, want string }{
		// Redundant parentheses go, needed ones stay.
		{"((a + b)) * c", "(a + b) * c"},
		{"a + (b * c)", "a + b * c"},
		{"(a - b) - c", "a - b - c"},
		{"a - (b - c)", "a - (b - c)"},
		{"!(a == b)", "!(a == b)"},
		{"(!a) == b", "!a == b"},
		{"(a ? b : c) ? d : e", "(a ? b : c) ? d : e"},
		{"a ? (b ? c : d) : (e ? f : g)", "a ? (b ? c : d) : e ? f : g"},
		{"a ? b ? c : d : e", "a ? (b ? c : d) : e"},
		{"(a + b)[3:0]", "(a + b)[3:0]"},
		{"(a[7:4])[1]", "a[7:4][1]"},
		{"x[3:3]", "x[3]"},
		{"{(a), (b + 1)}", "{a, b + 1}"},
		{"match (a + 1) { A => (b), B => c ? 1 : 2 }", "match a + 1 { A => b, B => c ? 1 : 2 }"},
		{"match (a ? b : c) { A => 1, }", "match (a ? b : c) { A => 1 }"},
		{"-(-a)", "--a"},
		{"~(a & b)", "~(a & b)"},
		// && under || keeps its parentheses for the reader.
		{"(a && b) || c", "(a && b) || c"},
		{"a && b || c", "(a && b) || c"},
		{"a || (b && c)", "a || (b && c)"},
		{"(a || b) && c", "(a || b) && c"},
		{"f((a), 0x1F, true)", "f(a, 0x1F, true)"},
	}
	for _, c := range cases {
		got := formatString(t, "device d implements c {\n\tconst K = "+c.in+"\n}\n")
		assert.Equal(t, "device d implements c {\n\tconst K = "+c.want+"\n}\n", got, "input %s", c.in)
	}
}

func TestFormatComments(t *testing.T) {
	src := `// head

// about d
device d implements c { // opens d
	// before the bus


	bus port width 8 // the bus
	register R @ 0x10 : rw reset 0x0F { field A [3:0] // bits
		// last in R
	} // after R
	const K = a // after a
		&& b
	// before the end

	// very last in d
}
// tail
`
	want := `// head

// about d
device d implements c { // opens d
	// before the bus

	bus port width 8 // the bus
	register R @ 0x10 : rw reset 0x0F {
		field A [3:0] // bits
		// last in R
	} // after R
	const K = a // after a
		&& b
	// before the end

	// very last in d
}
// tail
`
	assert.Equal(t, want, formatString(t, src))
}

func TestFormatEmptyBlocksAndEnums(t *testing.T) {
	src := `class c { method Init ( ) { } method Reset() {
	// nothing yet
}
type T = enum { A, B = 0x2, }
type U = enum {
	X = 1, // the X
	Y,
}
predicate ready()
}
`
	want := `class c {
	method Init() {}
	method Reset() {
		// nothing yet
	}
	type T = enum { A, B = 0x2 }
	type U = enum {
		X = 1, // the X
		Y,
	}
	predicate ready
}
`
	assert.Equal(t, want, formatString(t, src))
}

func TestFormatBindChain(t *testing.T) {
	short := "device d implements c {\n\tbind c {\n\t\tready = a == 1 && b == 0 && c\n\t}\n}\n"
	assert.Equal(t, short, formatString(t, short))

	long := "device d implements c { bind c { p(x) = LONG_REGISTER.FIELD_ONE == 1 && LONG_REGISTER.FIELD_TWO == x && (LONG_REGISTER.FIELD_THREE == 0 || zzzzzzzzzzzzzzzzzzzzzzzz) } }"
	want := "device d implements c {\n\tbind c {\n\t\tp(x) = LONG_REGISTER.FIELD_ONE == 1\n" +
		"\t\t\t&& LONG_REGISTER.FIELD_TWO == x\n\t\t\t&& (LONG_REGISTER.FIELD_THREE == 0 || zzzzzzzzzzzzzzzzzzzzzzzz)\n\t}\n}\n"
	assert.Equal(t, want, formatString(t, long))
}

// A File built by hand, with no source tokens, still formats.
func TestFormatWithoutSource(t *testing.T) {
	w, reset := 8, 0x60
	f := &File{Device: &Device{
		Name:       "d",
		Implements: &Ident{Name: "c"},
		Items: []*DeviceItem{{Register: &RegisterDecl{
			Name: "R", At: &Location{Offset: 5}, Access: "ro", Width: &w, Reset: &reset,
			Body: []*RegItem{{Field: &FieldDecl{Name: "F", Bits: &BitRange{Hi: 0},
				Value: &Expr{Kind: BinaryExpr, Op: "==", X: &Expr{Kind: NameExpr, Path: []string{"x"}}, Y: &Expr{Kind: NumberExpr, Value: 3}}}}},
		}}},
	}}
	assert.Equal(t, "device d implements c {\n\tregister R @ 5 : ro width 8 reset 96 {\n\t\tfield F [0] = x == 3\n\t}\n}\n", string(Format(f)))
}

// Windows line ends and trailing blanks in comments do not survive.
func TestFormatCRLF(t *testing.T) {
	src := "class c { \r\n\t// note  \r\n\tpredicate ready\r\n}\r\n"
	assert.Equal(t, "class c {\n\t// note\n\tpredicate ready\n}\n", formatString(t, src))
}

// Comments in every possible place: after every line, between all lines,
// and after every single token (each token on its own line). Whatever the
// placement, formatting keeps them all and is idempotent.
func TestFormatCommentsEverywhere(t *testing.T) {
	for _, path := range bundledSpecs(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			lines := strings.Split(strings.TrimRight(string(src), "\n"), "\n")

			var trailing, between strings.Builder
			for i, l := range lines {
				fmt.Fprintf(&trailing, "%s // t%d\n", l, i)
				fmt.Fprintf(&between, "// b%d\n%s\n", i, l)
			}
			assertRoundTrip(t, path, []byte(trailing.String()))
			assertRoundTrip(t, path, []byte(between.String()))

			f, err := Parse(path, src)
			require.NoError(t, err)
			var perToken strings.Builder
			for i, tok := range newPrinter(f).toks {
				text := tok.Value
				if tok.Type == tokString {
					text = strconv.Quote(text)
				}
				fmt.Fprintf(&perToken, "%s // k%d\n", text, i)
				if i%7 == 3 {
					fmt.Fprintf(&perToken, "\n// own line %d\n\n", i)
				}
			}
			assertRoundTrip(t, path, []byte(perToken.String()))
		})
	}
}
