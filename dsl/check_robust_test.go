package dsl

import (
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheckNeverPanics mutates the bundled specs token by token (drop a
// token, repeat one, swap in another name or a number of the file, or an
// extreme number) and checks every mutant that still parses: the checker
// must return diagnostics, never panic.
func TestCheckNeverPanics(t *testing.T) {
	root := repoRoot(t)
	devs, _ := filepath.Glob(filepath.Join(root, "devices", "*", "*.dev"))
	classes, _ := filepath.Glob(filepath.Join(root, "os-interface", "*", "*.osi"))
	// Parsing dominates the time; DRVSYNTH_MUTANTS=N runs more.
	n := 40
	if v, err := strconv.Atoi(os.Getenv("DRVSYNTH_MUTANTS")); err == nil {
		n = v
	}
	rng := rand.New(rand.NewSource(1))
	parsed := 0
	for _, dp := range devs {
		s, _ := LoadDevice(dp)
		if s == nil {
			continue
		}
		devSrc, clsSrc := s.Device.Src, s.Class.Src
		for i := 0; i < n; i++ {
			d, c := devSrc, clsSrc
			if rng.Intn(4) == 0 {
				c = mutate(rng, c)
			} else {
				d = mutate(rng, d)
			}
			df, err1 := Parse("m.dev", d)
			cf, err2 := Parse("m.osi", c)
			if err1 != nil || err2 != nil {
				continue
			}
			parsed++
			require.NotPanics(t, func() { Check(&Spec{Device: df, Class: cf}) }, "device mutant:\n%s\nclass mutant:\n%s", d, c)
		}
	}
	for _, cp := range classes {
		src, err := os.ReadFile(cp)
		require.NoError(t, err)
		for i := 0; i < n; i++ {
			m := mutate(rng, src)
			f, err := Parse("m.osi", m)
			if err != nil {
				continue
			}
			parsed++
			require.NotPanics(t, func() { CheckClass(f) }, "mutant:\n%s", m)
			// A class checked as a device spec, and the reverse.
			require.NotPanics(t, func() { Check(&Spec{Device: f, Class: f}) })
		}
	}
	t.Logf("%d parseable mutants checked", parsed)
	require.Greater(t, parsed, 0)
}

// mutate changes one token of src.
func mutate(rng *rand.Rand, src []byte) []byte {
	lex, err := specLexer.LexString("m", string(src))
	if err != nil {
		return src
	}
	type tok struct {
		off, end int
		typ      int
	}
	var toks []tok
	var names, numbers []string
	for {
		tk, err := lex.Next()
		if err != nil || tk.EOF() {
			break
		}
		switch tk.Type {
		case tokIdent:
			names = append(names, tk.Value)
		case tokNumber:
			numbers = append(numbers, tk.Value)
		case tokPunct, tokString:
		default:
			continue
		}
		toks = append(toks, tok{tk.Pos.Offset, tk.Pos.Offset + len(tk.Value), int(tk.Type)})
	}
	if len(toks) == 0 {
		return src
	}
	t := toks[rng.Intn(len(toks))]
	var repl string
	switch rng.Intn(6) {
	case 0:
		repl = ""
	case 1:
		repl = string(src[t.off:t.end]) + " " + string(src[t.off:t.end])
	case 2, 3:
		if len(names) > 0 {
			repl = names[rng.Intn(len(names))]
		}
	case 4:
		if len(numbers) > 0 {
			repl = numbers[rng.Intn(len(numbers))]
		}
	default:
		repl = []string{"0", "1", "64", "65", "99999", "0xFFFFFFFFFFFFFFFF", "4294967296"}[rng.Intn(7)]
	}
	var b strings.Builder
	b.Write(src[:t.off])
	b.WriteString(repl)
	b.Write(src[t.end:])
	return []byte(b.String())
}
