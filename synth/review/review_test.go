package review_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth"
	"github.com/drvsynth/drvsynth/synth/internal/testspec"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/review"
	"github.com/drvsynth/drvsynth/synth/solve"
)

// bundled lists every device spec in the repository.
func bundled(t *testing.T) []string {
	specs, err := filepath.Glob("../../devices/*/*.dev")
	require.NoError(t, err)
	require.NotEmpty(t, specs)
	return specs
}

var (
	builtMu sync.Mutex
	built   = map[string]*builtSpec{}
)

type builtSpec struct {
	res *solve.Result
	why string
}

// build synthesizes spec once per test binary: a shipped driver (listed in
// generated/drivers.txt) with the solver's default budget, any other within
// a small one. A device whose methods do not synthesize is still drawn and
// documented from its model.
func build(t *testing.T, spec string) (*solve.Result, string) {
	t.Helper()
	builtMu.Lock()
	defer builtMu.Unlock()
	if b := built[spec]; b != nil {
		return b.res, b.why
	}
	list, err := os.ReadFile("../../generated/drivers.txt")
	require.NoError(t, err)
	budget := 3000
	if strings.Contains(string(list), strings.TrimPrefix(spec, "../../")) {
		budget = 0
	}
	b := &builtSpec{}
	if b.res, err = synth.Build(spec, solve.Options{MaxBeliefs: budget}); err != nil {
		m, lerr := model.Load(spec)
		require.NoError(t, lerr)
		b.res, b.why = &solve.Result{Model: m}, err.Error()
	}
	built[spec] = b
	return b.res, b.why
}

func TestVblkStateMachine(t *testing.T) {
	m, err := model.Load("../../devices/vblk/vblk.dev")
	require.NoError(t, err)
	g, err := review.DeviceFSM(m)
	require.NoError(t, err)
	dot := g.DOT()
	// From reset the backend finishes its predecessor's flush (fair) or
	// fails it (it may).
	assert.Contains(t, dot, `"s0" [label="busy\n!failed\nop=FLUSH\n!dirty\nCTRL.ENABLE=0" style="rounded,bold"`)
	assert.Contains(t, dot, `"s0" -> "s1" [label="complete_flush (`+vblkLine(t, "internal complete_flush")+`)"];`)
	assert.Contains(t, dot, `"s0" -> "s2" [label="fail (`+vblkLine(t, "internal fail")+`)" style=dashed`)
	assert.Contains(t, dot, `write CMD CODE=READ (`+vblkLine(t, "register CMD")+`)`)
	assert.NotContains(t, dot, "CODE=5", "the CMD require refuses unknown commands")
	assert.Empty(t, g.Note, "the whole machine fits")
}

func TestStrategyGraphShowsAccessesAndPolls(t *testing.T) {
	res, err := synth.Build("../../devices/vblk/vblk.dev", solve.Options{})
	require.NoError(t, err)
	graphs, err := review.Graphs(res, "Flush")
	require.NoError(t, err)
	require.Len(t, graphs, 1)
	dot := graphs[0].DOT()
	assert.Contains(t, dot, `write CMD (`+vblkLine(t, "register CMD")+`)\nCODE=FLUSH`)
	assert.Contains(t, dot, `read STATUS (`+vblkLine(t, "register STATUS")+`)\nBUSY=1 ERR=0\npoll again" style=dashed`)
	assert.Contains(t, dot, `fault REQUEST_FAILED (`+vblkLine(t, "fault REQUEST_FAILED")+`)`)
	assert.Contains(t, dot, `contract holds`)
	_, err = review.Graphs(res, "Nope")
	assert.ErrorContains(t, err, "vblk has no method Nope")
}

// TestEveryBundledDeviceDrawsAndDocuments: graph and doc work on every
// device in the repository, and with Graphviz the pictures are SVG.
func TestEveryBundledDeviceDrawsAndDocuments(t *testing.T) {
	for _, spec := range bundled(t) {
		t.Run(filepath.Base(spec), func(t *testing.T) {
			res, why := build(t, spec)
			graphs, err := review.Graphs(res, "")
			require.NoError(t, err)
			require.Len(t, graphs, 1+len(res.Methods))
			if strings.Contains(spec, "uart16550") || strings.Contains(spec, "vblk") {
				require.Empty(t, why, "a shipped driver synthesizes")
			}
			dir := t.TempDir()
			pics, err := review.WriteGraphs(context.Background(), dir, graphs)
			require.NoError(t, err)
			for _, p := range pics {
				if review.HaveDot() {
					assert.True(t, strings.HasSuffix(p.File, ".svg"))
					assert.Contains(t, string(p.SVG), "<svg")
				}
			}
			ref := review.NewReference(res, spec, pics)
			ref.Unsynthesized = why
			md := string(ref.Markdown())
			page := string(ref.HTML())
			for _, r := range res.Model.Regs {
				assert.Contains(t, md, "["+r.Name+"](#reg-"+r.Name+")")
				assert.Contains(t, page, `<section id="reg-`+r.Name+`">`)
			}
			assert.Contains(t, page, `<table id="register-map">`)
		})
	}
	if !review.HaveDot() {
		t.Skipf("Graphviz is not installed, so the pictures were DOT only: %s", review.DotInstall)
	}
}

func TestReferenceSaysWhichMethodsTouchEachRegister(t *testing.T) {
	res, err := synth.Build("../../devices/vblk/vblk.dev", solve.Options{})
	require.NoError(t, err)
	md := string(review.NewReference(res, "devices/vblk/vblk.dev", nil).Markdown())
	assert.Contains(t, md, "| 0x0020 | [CMD](#reg-CMD) | wo | 32 | 0x0 |  | Flush, ReadSectors, WriteSectors, WriteSectorsFUA |")
	assert.Contains(t, md, "| 2:0 | CODE | wo | 0x0 | trigger: acts when written, not stored |  | READ = 1, WRITE = 2, FLUSH = 3, WRITE_FUA = 4 |")
	assert.Contains(t, md, "| VBLK_MAGIC | 0x6B6C6276 | "+vblkLine(t, "const VBLK_MAGIC")+" |")
	assert.Regexp(t, `\| Flush \| block\.osi:\d+ \| 2 \(\+1 to report a fault\) \| CMD \(write\), ERRCODE \(read\), STATUS \(read\) \|`, md)
	assert.Contains(t, md, "| Init | block.osi:29 | 4 | CTRL (write), MAGIC (read), MAXSEC (read), STATUS (read) |")
	assert.Contains(t, md, "| 0x0000 | [MAGIC](#reg-MAGIC) | ro | 32 | 0x0 |  | Init |")
}

// chromium is Debian's headless browser.
const chromiumInstall = "apt-get install -y chromium"

func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skipf("Chromium is not installed; to run this test: %s", chromiumInstall)
	return ""
}

// headless runs Chromium on a file with the given mode flags (--dump-dom,
// --screenshot=...) and returns its standard output.
func headless(t *testing.T, browser, page string, mode ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir(),
	}, mode...)
	cmd := exec.CommandContext(ctx, browser, append(args, "file://"+page)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Dir = filepath.Dir(page)
	require.NoError(t, cmd.Run(), "chromium: %s", errb.String())
	return out.Bytes()
}

// TestReferenceRendersInChromium opens every bundled device's HTML
// reference in headless Chromium: the DOM it builds holds the register map
// and every register's section (and, with Graphviz, the pictures), and its
// screenshot is a page, not a blank.
func TestReferenceRendersInChromium(t *testing.T) {
	browser := chromiumPath(t)
	for _, spec := range bundled(t) {
		t.Run(filepath.Base(spec), func(t *testing.T) {
			res, why := build(t, spec)
			dir := t.TempDir()
			graphs, err := review.Graphs(res, "")
			require.NoError(t, err)
			pics, err := review.WriteGraphs(context.Background(), dir, graphs)
			require.NoError(t, err)
			ref := review.NewReference(res, spec, pics)
			ref.Unsynthesized = why
			page := filepath.Join(dir, res.Model.Name+".html")
			require.NoError(t, os.WriteFile(page, ref.HTML(), 0o644))

			dom := string(headless(t, browser, page, "--dump-dom"))
			assert.Contains(t, dom, `<table id="register-map">`)
			assert.Contains(t, dom, "<th>Offset</th>")
			for _, r := range res.Model.Regs {
				assert.Contains(t, dom, `<section id="reg-`+r.Name+`">`)
			}
			if review.HaveDot() {
				assert.Equal(t, len(graphs), strings.Count(dom, "<svg"), "every picture is inline")
			}

			shot := filepath.Join(dir, "page.png")
			headless(t, browser, page, "--screenshot="+shot, "--window-size=1200,900")
			f, err := os.Open(shot)
			require.NoError(t, err)
			defer f.Close()
			img, err := png.Decode(f)
			require.NoError(t, err)
			assert.Equal(t, 1200, img.Bounds().Dx())
			// Text and table borders: not every pixel is the background.
			bg := img.At(0, 0)
			differs := 0
			for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 7 {
				for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 7 {
					if img.At(x, y) != bg {
						differs++
					}
				}
			}
			assert.Greater(t, differs, 500, "the screenshot shows a rendered page")
		})
	}
}

// vblkLine is the position of the vblk spec's line that starts with prefix.
func vblkLine(t *testing.T, prefix string) string {
	return testspec.Line(t, "../../devices/vblk/vblk.dev", prefix)
}
