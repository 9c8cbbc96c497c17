package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/solve"
)

// bench synth measures the synthesizer: every bundled driver, and two
// families of specs generated here that grow in one direction each (more
// channels behind an index port, more registers nobody uses). Every case
// runs in a child process of its own, so its peak memory is its own and the
// process-wide term table starts empty.

func init() {
	var (
		asJSON     bool
		channels   string
		spare      string
		maxBeliefs int
		timeout    time.Duration
		memLimit   string
		one        string
		keep       string
		count      int
	)
	register(&command{
		name:  "bench",
		args:  "synth [-json] [-channels LIST] [-spare LIST] [-count N] [-timeout D] [-mem SIZE]",
		short: "measure the synthesizer (bench synth)",
		long: `Bench synth synthesizes every driver listed in generated/drivers.txt and two
families of generated specs, and prints, per method, the beliefs the game
created and expanded, the strategy's worst-case bus accesses and the time,
and per spec the CPU time, peak Go heap and peak resident memory:

  channels N  a clock whose time, control and N-8 bytes of RAM sit behind
              an index port, as on the MC146818 (N <= 128);
  uart+K      the bundled UART with K extra read-write registers nobody uses.

The row "N bundled" after the bundled drivers sums their beliefs and CPU
time: what synthesizing all of them costs.

Each spec runs in its own child process, under a heap cap (-mem) and a time
limit (-timeout); a spec that exceeds either, or the solver's belief budget,
is shown with its error. With -count N each spec runs N times and the run of
median CPU time is shown, with the median peak heap and resident memory: on
a shared machine one run's CPU time can be off by half. With -json the
results are one JSON document.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print the results as JSON")
			fs.StringVar(&channels, "channels", "8,16,32,64,128", "comma-separated `list` of channel counts (empty: none)")
			fs.StringVar(&spare, "spare", "0,100,200,500,1000", "comma-separated `list` of extra UART register counts (empty: none)")
			fs.IntVar(&maxBeliefs, "max-beliefs", 0, "bound the beliefs of one method's game (0: the solver's default)")
			fs.DurationVar(&timeout, "timeout", 2*time.Minute, "time limit per spec")
			fs.StringVar(&memLimit, "mem", "3GiB", "heap cap per spec (a Go memory `size`: 512MiB, 3GiB)")
			fs.StringVar(&keep, "keep", "", "write the generated specs under `directory` and keep them")
			fs.IntVar(&count, "count", 1, "run each spec `n` times and show the median run")
			fs.StringVar(&one, "one", "", "run the `spec` in this process and print its result as JSON (what each child does)")
		},
		run: func(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
			// The subcommand comes first; its flags follow it.
			if len(args) == 0 || args[0] != "synth" {
				fmt.Fprintln(stderr, "drvsynth bench: the one benchmark is 'synth': drvsynth bench synth [flags]")
				return 2
			}
			if err := fs.Parse(args[1:]); err != nil {
				return 2
			}
			if fs.NArg() > 0 {
				fmt.Fprintf(stderr, "drvsynth bench synth: unexpected argument %q\n", fs.Arg(0))
				return 2
			}
			limit, err := parseSize(memLimit)
			if err != nil {
				fmt.Fprintln(stderr, "drvsynth bench synth: -mem:", err)
				return 2
			}
			if one != "" {
				tuneGCForSolver() // the child measures what synth does
				return benchChild(one, maxBeliefs, limit, stdout, stderr)
			}
			cs, err := parseCounts(channels)
			if err != nil {
				fmt.Fprintln(stderr, "drvsynth bench synth: -channels:", err)
				return 2
			}
			ks, err := parseCounts(spare)
			if err != nil {
				fmt.Fprintln(stderr, "drvsynth bench synth: -spare:", err)
				return 2
			}
			for _, n := range cs {
				if n < minChannels || n > maxChannels {
					fmt.Fprintf(stderr, "drvsynth bench synth: -channels: %d is outside %d..%d\n", n, minChannels, maxChannels)
					return 2
				}
			}
			if count < 1 {
				fmt.Fprintln(stderr, "drvsynth bench synth: -count must be at least 1")
				return 2
			}
			cfg := benchConfig{maxBeliefs: maxBeliefs, timeout: timeout, memLimit: memLimit, keep: keep, count: count}
			rep, err := benchSynth(cfg, cs, ks, stderr)
			if err != nil {
				fmt.Fprintln(stderr, "drvsynth bench synth:", err)
				return 1
			}
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					fmt.Fprintln(stderr, "drvsynth bench synth:", err)
					return 1
				}
			} else {
				printBench(stdout, rep)
			}
			return 0
		},
	})
}

const (
	minChannels = 8 // the clock's own registers: six of time, one control, one of RAM
	maxChannels = 128
)

type benchConfig struct {
	maxBeliefs int
	timeout    time.Duration
	memLimit   string
	keep       string // where generated specs go ("": a temporary directory)
	count      int    // runs per spec (the median one is reported)
}

// BenchReport is the result of bench synth.
type BenchReport struct {
	GoVersion string      `json:"go_version"`
	CPUs      int         `json:"cpus"`
	Specs     []BenchSpec `json:"specs"`
	// Bundled sums the bundled drivers' runs: what synthesizing all of
	// them costs. It is absent when one of them failed.
	Bundled *BenchTotal `json:"bundled,omitempty"`
}

// BenchTotal is the sum of the bundled specs' median runs.
type BenchTotal struct {
	Specs   int     `json:"specs"`
	Beliefs int     `json:"beliefs"`
	CPU     float64 `json:"cpu_seconds"`
}

// bundledTotal sums the bundled specs, or is nil if there are none or one
// failed (a failed spec's CPU time says nothing about the others').
func bundledTotal(specs []BenchSpec) *BenchTotal {
	t := &BenchTotal{}
	for _, s := range specs {
		if s.Family != "bundled" {
			continue
		}
		if s.Error != "" {
			return nil
		}
		t.Specs++
		t.Beliefs += s.Beliefs
		t.CPU += s.CPU
	}
	if t.Specs == 0 {
		return nil
	}
	return t
}

// BenchSpec is one synthesized spec.
type BenchSpec struct {
	Name   string `json:"name"`
	Family string `json:"family"` // "bundled", "channels" or "uart+spare"
	Size   int    `json:"size"`   // N channels or K spare registers; 0 for bundled specs
	Path   string `json:"path"`
	// Registers and Vars describe the lowered model.
	Registers int           `json:"registers"`
	Vars      int           `json:"vars"`
	Methods   []BenchMethod `json:"methods"`
	CPU       float64       `json:"cpu_seconds"`
	Wall      float64       `json:"wall_seconds"`
	PeakHeap  uint64        `json:"peak_heap_bytes"`
	PeakRSS   uint64        `json:"peak_rss_bytes,omitempty"`
	// Allocs and AllocBytes count the solver's allocations (not parsing).
	Allocs      uint64  `json:"allocs"`
	AllocBytes  uint64  `json:"alloc_bytes"`
	Beliefs     int     `json:"beliefs"`
	AllocPerBel float64 `json:"allocs_per_belief"`
	Error       string  `json:"error,omitempty"`
}

// BenchMethod is one method of a spec.
type BenchMethod struct {
	Name     string  `json:"name"`
	Beliefs  int     `json:"beliefs"`
	Expanded int     `json:"expanded"`
	Accesses int     `json:"accesses"`
	Seconds  float64 `json:"seconds"`
}

type benchCase struct {
	name, family, path string
	size               int
}

func benchSynth(cfg benchConfig, channels, spare []int, progress io.Writer) (*BenchReport, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	bundled, err := bundledDrivers(root)
	if err != nil {
		return nil, err
	}
	tmp := cfg.keep
	if tmp == "" {
		if tmp, err = os.MkdirTemp("", "drvsynth-bench-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
	} else if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	// Generated specs find their class the way bundled ones do: by walking
	// up to an os-interface directory.
	link := filepath.Join(tmp, "os-interface")
	if _, err := os.Lstat(link); err != nil {
		if err := os.Symlink(filepath.Join(root, "os-interface"), link); err != nil {
			return nil, err
		}
	}
	var cases []benchCase
	for _, p := range bundled {
		name := strings.TrimSuffix(filepath.Base(p), ".dev")
		cases = append(cases, benchCase{name: name, family: "bundled", path: p})
	}
	for _, n := range channels {
		name := fmt.Sprintf("channels%d", n)
		p, err := writeBenchSpec(tmp, name, channelSpec(name, n))
		if err != nil {
			return nil, err
		}
		cases = append(cases, benchCase{name: name, family: "channels", size: n, path: p})
	}
	if len(spare) > 0 {
		uart, err := os.ReadFile(filepath.Join(root, "devices", "uart16550", "uart16550.dev"))
		if err != nil {
			return nil, err
		}
		for _, k := range spare {
			name := fmt.Sprintf("uart_spare%d", k)
			src, err := spareSpec(string(uart), name, k)
			if err != nil {
				return nil, err
			}
			p, err := writeBenchSpec(tmp, name, src)
			if err != nil {
				return nil, err
			}
			cases = append(cases, benchCase{name: name, family: "uart+spare", size: k, path: p})
		}
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	rep := &BenchReport{GoVersion: runtime.Version(), CPUs: runtime.NumCPU()}
	for _, c := range cases {
		fmt.Fprintf(progress, "bench: %s\n", c.name)
		runs := make([]BenchSpec, max(cfg.count, 1))
		for i := range runs {
			runs[i] = runCase(self, root, c, cfg)
		}
		spec := medianRun(runs)
		spec.Name, spec.Family, spec.Size = c.name, c.family, c.size
		if rel, err := filepath.Rel(root, c.path); err == nil && !strings.HasPrefix(rel, "..") {
			spec.Path = rel
		} else {
			spec.Path = filepath.Base(c.path)
		}
		rep.Specs = append(rep.Specs, spec)
	}
	rep.Bundled = bundledTotal(rep.Specs)
	return rep, nil
}

// medianRun is the run of median CPU time, with the median peak heap and
// peak resident memory of all runs; the first failed run, if any failed.
func medianRun(runs []BenchSpec) BenchSpec {
	for _, r := range runs {
		if r.Error != "" {
			return r
		}
	}
	med := func(f func(BenchSpec) float64) int {
		order := make([]int, len(runs))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return f(runs[order[a]]) < f(runs[order[b]]) })
		return order[len(order)/2]
	}
	spec := runs[med(func(r BenchSpec) float64 { return r.CPU })]
	spec.PeakHeap = runs[med(func(r BenchSpec) float64 { return float64(r.PeakHeap) })].PeakHeap
	spec.PeakRSS = runs[med(func(r BenchSpec) float64 { return float64(r.PeakRSS) })].PeakRSS
	return spec
}

func writeBenchSpec(dir, name, src string) (string, error) {
	p := filepath.Join(dir, "devices", name, name+".dev")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	return p, os.WriteFile(p, []byte(src), 0o644)
}

// runCase synthesizes one spec in a child process and measures it.
func runCase(self, root string, c benchCase, cfg benchConfig) BenchSpec {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	args := []string{"-one", c.path, "-mem", cfg.memLimit}
	if cfg.maxBeliefs > 0 {
		args = append(args, "-max-beliefs", strconv.Itoa(cfg.maxBeliefs))
	}
	cmd := exec.CommandContext(ctx, self, append([]string{"bench", "synth"}, args...)...)
	cmd.Dir = root
	cmd.Env = os.Environ()
	if os.Getenv("GOMEMLIMIT") == "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+cfg.memLimit)
	}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var spec BenchSpec
	if jerr := json.Unmarshal([]byte(out.String()), &spec); jerr != nil && err == nil {
		err = fmt.Errorf("reading the result: %v", jerr)
	}
	spec.Wall = wall.Seconds()
	if ps := cmd.ProcessState; ps != nil {
		spec.CPU = (ps.UserTime() + ps.SystemTime()).Seconds()
		spec.PeakRSS = peakRSS(ps)
	}
	switch {
	case ctx.Err() != nil:
		spec.Error = fmt.Sprintf("stopped after the time limit of %v", cfg.timeout)
	case err != nil && spec.Error == "":
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		spec.Error = msg
	}
	return spec
}

// benchChild is the child's side: synthesize path, watching the heap.
func benchChild(path string, maxBeliefs int, limit uint64, stdout, stderr io.Writer) int {
	w := startHeapWatch(limit)
	// Allocations are counted for the solver alone: parsing a large spec
	// allocates too, but per spec, not per belief.
	var before runtime.MemStats
	m, err := model.Load(path)
	var res *solve.Result
	if err == nil {
		runtime.ReadMemStats(&before)
		res, err = solve.SynthesizeWith(m, solve.Options{MaxBeliefs: maxBeliefs})
	}
	peak := w.stop()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	spec := BenchSpec{PeakHeap: peak, Allocs: after.Mallocs - before.Mallocs, AllocBytes: after.TotalAlloc - before.TotalAlloc}
	var merr *solve.MethodError
	if errors.As(err, &merr) {
		// What the spec did solve, and how far the failed game got.
		for _, st := range merr.Solved {
			spec.Methods = append(spec.Methods, benchMethod(st.Method.Name, st.Stats))
		}
		spec.Methods = append(spec.Methods, benchMethod(merr.Method.Name, merr.Stats))
	}
	if err != nil {
		spec.Error = firstLine(err.Error())
		if i := strings.Index(spec.Error, ": method "); i >= 0 {
			spec.Error = spec.Error[i+2:] // the class file's position says nothing here
		}
	}
	if m != nil {
		spec.Registers, spec.Vars = len(m.Regs), len(m.Vars)
	}
	if res != nil {
		for _, st := range res.Methods {
			spec.Methods = append(spec.Methods, benchMethod(st.Method.Name, st.Stats))
		}
	}
	for _, bm := range spec.Methods {
		spec.Beliefs += bm.Beliefs
	}
	if spec.Beliefs > 0 {
		spec.AllocPerBel = float64(spec.Allocs) / float64(spec.Beliefs)
	}
	if err := json.NewEncoder(stdout).Encode(spec); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// benchMethod is a method's row; Accesses is -1 for a game that stopped
// at a limit.
func benchMethod(name string, st solve.Stats) BenchMethod {
	return BenchMethod{Name: name, Beliefs: st.Beliefs, Expanded: st.Expanded,
		Accesses: st.Rank, Seconds: st.Time.Seconds()}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// heapWatch samples the live heap; past the limit it ends the process with
// a message, so that one spec that explodes cannot take the machine down.
type heapWatch struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func heapBytes(s []metrics.Sample) uint64 {
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func startHeapWatch(limit uint64) *heapWatch {
	w := &heapWatch{done: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		s := []metrics.Sample{{Name: heapMetric}}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			h := heapBytes(s)
			w.peak = max(w.peak, h)
			if limit > 0 && h > limit {
				json.NewEncoder(os.Stdout).Encode(BenchSpec{PeakHeap: w.peak,
					Error: fmt.Sprintf("the heap grew past the cap of %s", formatBytes(limit))})
				os.Exit(3)
			}
			select {
			case <-w.done:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *heapWatch) stop() uint64 {
	close(w.done)
	w.wg.Wait()
	h := heapBytes([]metrics.Sample{{Name: heapMetric}})
	return max(w.peak, h)
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a count", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseSize reads a byte count with an optional binary unit: 512MiB, 3GiB.
func parseSize(s string) (uint64, error) {
	units := []struct {
		suffix string
		mult   uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}}
	mult := uint64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, errors.New("want a size such as 512MiB or 3GiB")
	}
	return n * mult, nil
}

func formatBytes(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	default:
		return fmt.Sprintf("%.0f KiB", float64(b)/(1<<10))
	}
}

// printBench prints one table of methods per spec, then how each family
// grows relative to its smallest member.
func printBench(w io.Writer, rep *BenchReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "spec\tmethod\tbeliefs\texpanded\taccesses\ttime\t")
	for _, s := range rep.Specs {
		for _, m := range s.Methods {
			acc := strconv.Itoa(m.Accesses)
			if m.Accesses < 0 {
				acc = "(limit)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t\n", s.Name, m.Name, m.Beliefs, m.Expanded, acc, seconds(m.Seconds))
		}
		if s.Error != "" {
			fmt.Fprintf(tw, "%s\t(failed)\t\t\t\t\t\n", s.Name)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "spec\tregisters\tvars\tbeliefs\tcpu\tpeak heap\tpeak rss\tallocs/belief\ttime×\tmemory×\t")
	base := map[string]BenchSpec{}
	for i, s := range rep.Specs {
		growth := func(x, b float64) string {
			if s.Family == "bundled" || s.Family == "device" || b <= 0 || s.Error != "" {
				return ""
			}
			return fmt.Sprintf("%.2f", x/b)
		}
		b, ok := base[s.Family]
		if !ok && s.Error == "" {
			base[s.Family], b = s, s
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%.0f\t%s\t%s\t\n", s.Name, s.Registers, s.Vars, s.Beliefs,
			seconds(s.CPU), formatBytes(s.PeakHeap), formatBytes(s.PeakRSS), s.AllocPerBel,
			growth(s.CPU, b.CPU), growth(float64(s.PeakHeap), float64(b.PeakHeap)))
		if t := rep.Bundled; t != nil && s.Family == "bundled" && (i+1 == len(rep.Specs) || rep.Specs[i+1].Family != "bundled") {
			fmt.Fprintf(tw, "%d bundled\t\t\t%d\t%s\t\t\t\t\t\t\n", t.Specs, t.Beliefs, seconds(t.CPU))
		}
	}
	tw.Flush()
	for _, s := range rep.Specs {
		if s.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", s.Name, s.Error)
		}
	}
}

func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}

// channelSpec is a clock like the MC146818 reduced to its index port: the
// time in six data channels (year in two), a control channel with SET, and
// n-7 channels of RAM. Reading the seconds channel observes the whole time
// at that instant; the time only changes when the driver sets it, so the
// game's size is the index port's doing.
func channelSpec(name string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `// Generated by drvsynth bench synth: %d channels behind an index port.
device %s implements rtc {
	bus port width 8

	state frozen: bool = false

	register INDEX @ 0 : wo {
		field ADDR [6:0]
	}
`, n, name)
	time := []string{"YEAR_HI", "YEAR_LO", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"}
	for i, ch := range time {
		fmt.Fprintf(&b, "\n\tregister %s @ 1 : rw when INDEX.ADDR == %d {\n\t\tfield VALUE [7:0]\n", ch, i)
		if ch == "SECOND" {
			b.WriteString("\t\ton read {\n\t\t\temit observed({YEAR_HI.VALUE, YEAR_LO.VALUE}, MONTH.VALUE, DAY.VALUE, HOUR.VALUE, MINUTE.VALUE, VALUE)\n\t\t}\n")
		}
		b.WriteString("\t\ton write {\n\t\t\trequire CTRL.SET == 1 \"time written while the clock runs\"\n\t\t}\n\t}\n")
	}
	fmt.Fprintf(&b, `
	register CTRL @ 1 : rw when INDEX.ADDR == %d {
		field SET [7]
		on write {
			if frozen && SET == 0 {
				emit time_set({YEAR_HI.VALUE, YEAR_LO.VALUE}, MONTH.VALUE, DAY.VALUE, HOUR.VALUE, MINUTE.VALUE, SECOND.VALUE)
			}
			frozen = SET == 1
		}
	}
`, len(time))
	for i := len(time) + 1; i < n; i++ {
		fmt.Fprintf(&b, "\n\tregister RAM%d @ 1 : rw when INDEX.ADDR == %d {\n\t\tfield VALUE [7:0]\n\t}\n", i, i)
	}
	b.WriteString(`
	bind rtc {
		running = CTRL.SET == 0
	}
}
`)
	return b.String()
}

// spareSpec adds k read-write registers nobody uses to the UART's spec,
// after its last register.
func spareSpec(uart, name string, k int) (string, error) {
	const anchor = "\tregister SCR @ 7 : rw {\n\t\tfield DATA [7:0]\n\t}\n"
	i := strings.Index(uart, anchor)
	if i < 0 {
		return "", errors.New("the UART spec no longer has the SCR register that the spare registers follow")
	}
	i += len(anchor)
	var b strings.Builder
	for r := 0; r < k; r++ {
		fmt.Fprintf(&b, "\n\tregister SPARE%d @ %d : rw {\n\t\tfield DATA [7:0]\n\t}\n", r, 8+r)
	}
	src := uart[:i] + b.String() + uart[i:]
	return strings.Replace(src, "device uart16550 implements", "device "+name+" implements", 1), nil
}
