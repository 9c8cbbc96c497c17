package campaign

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/drvsynth/drvsynth/internal/vblk/backend"
	"github.com/drvsynth/drvsynth/internal/vblk/power"
	"github.com/drvsynth/drvsynth/internal/vblk/transport"
	"github.com/drvsynth/drvsynth/os-interface/block"
	"github.com/drvsynth/drvsynth/os-interface/block/sqlitevfs"
)

// The sweep simulates crashes in-process, in the style of CrashMonkey and
// ALICE: it runs a workload once through SQLite, the VFS and the sync
// policy's request handling, recording every operation that reaches the
// medium, then replays that trace on a fresh simulated medium and, at every
// request boundary, cuts the power several ways (every unsynced unit kept,
// every one dropped, and random per-unit fates) and checks the database
// each cut leaves against what had been acknowledged by then.

// Txn is one step of a sweep workload.
type Txn byte

// The steps of a sweep workload.
const (
	TxnSmall      Txn = 's' // one small row, autocommit
	TxnBig        Txn = 'b' // rewrite the big table (SweepConfig.BigSize bytes)
	TxnCheckpoint Txn = 'c' // wal_checkpoint(TRUNCATE); under DELETE, a large transaction's worth of small rows in one transaction
)

// SweepConfig configures a sweep.
type SweepConfig struct {
	// Exhaustive: every sequence of 1..MaxTxns steps from Kinds, under
	// every journal mode in Journals. Random (States > 0): workloads of
	// RandomTxns random steps under a random journal mode, until States
	// crash states have been checked.
	MaxTxns    int
	States     int
	RandomTxns int
	Kinds      []Txn
	Journals   []string
	// Fates is the number of random per-unit fate draws per boundary, on
	// top of all-kept and all-dropped.
	Fates   int
	BigSize int // bytes per big transaction
	Sectors uint64
	Seed    uint64
	Mutant  string // a broken driver path (see Mutate); the sweep must fail it
	Workers int    // workloads checked in parallel (default 1)
	// StopAfter ends the sweep at the first failing workload.
	StopAfter bool
	Log       io.Writer
}

// SweepResult counts what a sweep checked.
type SweepResult struct {
	Workloads  int
	Boundaries int // request boundaries with a new medium state
	States     int // crash states opened and checked
	Failures   int // states that lost an acknowledged commit or were damaged
	First      string
	Duration   time.Duration
}

func (r SweepResult) String() string {
	return fmt.Sprintf("workloads=%d boundaries=%d states=%d failures=%d in %v",
		r.Workloads, r.Boundaries, r.States, r.Failures, r.Duration.Round(time.Millisecond))
}

// Passed reports that no state failed.
func (r SweepResult) Passed() bool { return r.Failures == 0 }

type sweepWorkload struct {
	journal string
	txns    []Txn
	seed    uint64
}

func (w sweepWorkload) String() string { return w.journal + ":" + string(w.txns) }

// exhaustive lists every workload of 1..MaxTxns steps.
func (cfg SweepConfig) exhaustive() []sweepWorkload {
	var out []sweepWorkload
	var gen func(prefix []Txn)
	gen = func(prefix []Txn) {
		if len(prefix) > 0 {
			for _, j := range cfg.Journals {
				out = append(out, sweepWorkload{journal: j, txns: append([]Txn(nil), prefix...), seed: cfg.Seed + uint64(len(out))})
			}
		}
		if len(prefix) == cfg.MaxTxns {
			return
		}
		for _, k := range cfg.Kinds {
			gen(append(prefix, k))
		}
	}
	gen(nil)
	return out
}

// random is random workload number i.
func (cfg SweepConfig) random(i int) sweepWorkload {
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)))
	w := sweepWorkload{journal: cfg.Journals[rng.IntN(len(cfg.Journals))], seed: rng.Uint64()}
	for range cfg.RandomTxns {
		w.txns = append(w.txns, cfg.Kinds[rng.IntN(len(cfg.Kinds))])
	}
	return w
}

// RunSweep runs the sweep.
func RunSweep(cfg SweepConfig) (SweepResult, error) {
	start := time.Now()
	if len(cfg.Kinds) == 0 {
		cfg.Kinds = []Txn{TxnSmall, TxnBig, TxnCheckpoint}
	}
	if len(cfg.Journals) == 0 {
		cfg.Journals = []string{"wal", "delete"}
	}
	if cfg.BigSize == 0 {
		cfg.BigSize = 512 << 10
	}
	if cfg.Sectors == 0 {
		cfg.Sectors = 1 << 15 // 16 MiB
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if _, err := Mutate(nil, cfg.Mutant); err != nil {
		return SweepResult{}, err
	}
	if cfg.States > 0 && cfg.RandomTxns <= 0 {
		cfg.RandomTxns = 8
	}
	var work []sweepWorkload
	if cfg.States == 0 {
		work = cfg.exhaustive()
	}
	var (
		mu    sync.Mutex
		res   SweepResult
		first error
		next  int
		wg    sync.WaitGroup
	)
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				// In random mode, states still being checked by the other
				// workers count towards the target only once they are done,
				// so the sweep may overshoot by a workload per worker.
				if (cfg.States == 0 && next == len(work)) || (cfg.States > 0 && res.States >= cfg.States) ||
					first != nil || (cfg.StopAfter && res.Failures > 0) {
					mu.Unlock()
					return
				}
				var w sweepWorkload
				if cfg.States == 0 {
					w = work[next]
				} else {
					w = cfg.random(next)
				}
				next++
				mu.Unlock()
				r, err := sweepOne(cfg, w)
				mu.Lock()
				res.Workloads++
				res.Boundaries += r.Boundaries
				res.States += r.States
				res.Failures += r.Failures
				if r.First != "" && res.First == "" {
					res.First = r.First
				}
				if err != nil && first == nil {
					first = fmt.Errorf("workload %v: %w", w, err)
				}
				if cfg.Log != nil {
					line := fmt.Sprintf("%-14v boundaries=%d states=%d failures=%d", w, r.Boundaries, r.States, r.Failures)
					if r.First != "" {
						line += " " + r.First
					}
					fmt.Fprintln(cfg.Log, line)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Duration = time.Since(start)
	return res, first
}

// op is one operation that reached the medium.
type op struct {
	off  int64
	data []byte // nil: a sync
}

// recorder is the sync policy's store during the recorded run: a medium
// model whose syncs always complete, and a log of everything done to it.
type recorder struct {
	m   *power.Medium
	ops []op
}

func (r *recorder) ReadAt(b []byte, off int64) (int, error) { return r.m.ReadAt(b, off) }

func (r *recorder) WriteAt(b []byte, off int64) (int, error) {
	r.ops = append(r.ops, op{off: off, data: append([]byte(nil), b...)})
	return r.m.WriteAt(b, off)
}

func (r *recorder) Sync() error {
	r.ops = append(r.ops, op{})
	r.m.EndSync(r.m.BeginSync(), true)
	return nil
}

// deviceOn is a block.Device that hands each request to a backend Device,
// as the doorbell loop does, and counts requests.
type deviceOn struct {
	dev      *backend.Device
	capacity uint64
	window   []byte
	after    func() // called after every request
}

func (d *deviceOn) do(cmd uint32, lba uint64, buf []byte) error {
	copy(d.window, buf)
	code := d.dev.Handle(transport.Request{Cmd: cmd, Enabled: true, LBA: lba, Count: uint32(len(buf) / block.SectorSize)}, d.window)
	if cmd == transport.CmdRead {
		copy(buf, d.window[:len(buf)])
	}
	d.after()
	if code != transport.ErrNone {
		return fmt.Errorf("vblk: %v", code)
	}
	return nil
}

func (d *deviceOn) Init(context.Context) error               { return nil }
func (d *deviceOn) Capacity(context.Context) (uint64, error) { return d.capacity, nil }
func (d *deviceOn) MaxSectors() int                          { return transport.MaxSectors }
func (d *deviceOn) Flush(context.Context) error              { return d.do(transport.CmdFlush, 0, nil) }
func (d *deviceOn) ReadSectors(_ context.Context, lba uint64, b []byte) error {
	return d.do(transport.CmdRead, lba, b)
}
func (d *deviceOn) WriteSectors(_ context.Context, lba uint64, b []byte) error {
	return d.do(transport.CmdWrite, lba, b)
}
func (d *deviceOn) WriteSectorsFUA(_ context.Context, lba uint64, b []byte) error {
	return d.do(transport.CmdWriteFUA, lba, b)
}

// recordRun runs workload w and returns the trace, the op index at which
// each request ended, and the acks in force from each request on.
func recordRun(cfg SweepConfig, w sweepWorkload) (ops []op, ends []int, acks []Acks, err error) {
	size := int64(cfg.Sectors) * block.SectorSize
	rec := &recorder{m: power.NewMedium(power.NewMemImage(size))}
	dev, err := backend.New(backend.Config{Policy: backend.Sync, Store: rec, Capacity: cfg.Sectors})
	if err != nil {
		return nil, nil, nil, err
	}
	var cur Acks
	d := &deviceOn{dev: dev, capacity: cfg.Sectors, window: make([]byte, transport.DataSize)}
	d.after = func() {
		ends = append(ends, len(rec.ops))
		acks = append(acks, cur)
	}
	bd, err := Mutate(block.Split(d), cfg.Mutant)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx := context.Background()
	db, err := sqlitevfs.OpenDB(ctx, bd)
	if err != nil {
		return nil, nil, nil, err
	}
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	wl, err := OpenWorkload(db, w.journal)
	if err != nil {
		return nil, nil, nil, err
	}
	// Two rows to start from, so the workload changes pages that hold
	// acknowledged data.
	id, gen := int64(1), int64(1)
	for ; id <= 2; id++ {
		if err := wl.Small(id); err != nil {
			return nil, nil, nil, err
		}
		cur.Small = append(cur.Small, id)
	}
	slots := max(1, cfg.BigSize/BigRow)
	for _, t := range w.txns {
		switch {
		case t == TxnSmall:
			if err := wl.Small(id); err != nil {
				return nil, nil, nil, err
			}
			cur.Small = append(cur.Small, id)
			id++
		case t == TxnBig:
			if err := wl.Big(gen, slots); err != nil {
				return nil, nil, nil, err
			}
			cur.Bigs++
			cur.BigGen = gen
			gen++
		case t == TxnCheckpoint && w.journal == "wal":
			if err := wl.Checkpoint(); err != nil {
				return nil, nil, nil, err
			}
		case t == TxnCheckpoint:
			// Under DELETE: many rows in one transaction, so the rollback
			// journal holds many pages.
			if err := db.Exec(`BEGIN`); err != nil {
				return nil, nil, nil, err
			}
			var ids []int64
			for range 64 {
				if err := wl.Small(id); err != nil {
					return nil, nil, nil, err
				}
				ids = append(ids, id)
				id++
			}
			if err := db.Exec(`COMMIT`); err != nil {
				return nil, nil, nil, err
			}
			cur.Small = append(cur.Small, ids...)
		}
		// The commit has returned: acknowledged from the next request on.
		acks[len(acks)-1] = cur
	}
	wl.Close()
	err = db.Close() // an orderly close checkpoints: more boundaries
	db = nil
	return rec.ops, ends, acks, err
}

// sweepOne records workload w and checks every boundary of its trace.
func sweepOne(cfg SweepConfig, w sweepWorkload) (SweepResult, error) {
	var res SweepResult
	ops, ends, acks, err := recordRun(cfg, w)
	if err != nil {
		return res, fmt.Errorf("recording: %w", err)
	}
	size := int64(cfg.Sectors) * block.SectorSize
	img := power.NewMemImage(size)
	m := power.NewMedium(img)
	rng := rand.New(rand.NewPCG(w.seed, 0x6661746573))
	done := 0
	for b, end := range ends {
		if end == done {
			continue // a read: same medium state as the boundary before
		}
		for _, o := range ops[done:end] {
			if o.data == nil {
				m.EndSync(m.BeginSync(), true)
			} else if _, err := m.WriteAt(o.data, o.off); err != nil {
				return res, err
			}
		}
		done = end
		res.Boundaries++
		choosers := []power.Chooser{power.AllFates(power.Kept)}
		if m.Volatile() > 0 {
			choosers = append(choosers, power.AllFates(power.Dropped))
			for range cfg.Fates {
				choosers = append(choosers, power.RandomFates{Rand: rng})
			}
		}
		for _, ch := range choosers {
			cs, err := m.Cut(ch)
			if err != nil {
				return res, err
			}
			res.States++
			v, err := checkState(img, cs, cfg.Sectors, acks[b])
			if err == nil && !v.Bad() {
				continue
			}
			res.Failures++
			if res.First == "" {
				res.First = fmt.Sprintf("%v: cut after request %d of %d (%v): %d of %d acknowledged missing, %d wrong, integrity %v: %s%s",
					w, b+1, len(ends), cs, v.Missing, v.Acked, v.Wrong, v.Intact, v.Detail, errSuffix(err))
			}
		}
	}
	return res, nil
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " " + err.Error()
}

// checkState opens the database a cut left (img overlaid with the cut's
// units) on a scratch overlay, as the machine would after restarting, and
// verifies it.
func checkState(img *power.MemImage, cs power.CutState, sectors uint64, acks Acks) (Verdict, error) {
	dev := &stateDevice{img: img, cut: cs.Writes, scratch: map[uint64][]byte{}, capacity: sectors}
	ctx := context.Background()
	db, err := sqlitevfs.OpenDB(ctx, dev)
	if err != nil {
		return Verdict{}, err
	}
	defer db.Close() // a damaged state may fail to close too: Verify has said why
	return Verify(db, acks)
}

// stateDevice is a crash state as a block device: reads see the scratch
// writes made since the restart, then the cut's units, then the image.
type stateDevice struct {
	img      *power.MemImage
	cut      map[int64][]byte
	scratch  map[uint64][]byte // sector -> contents
	capacity uint64
}

func (d *stateDevice) Init(context.Context) error               { return nil }
func (d *stateDevice) Capacity(context.Context) (uint64, error) { return d.capacity, nil }
func (d *stateDevice) MaxSectors() int                          { return transport.MaxSectors }
func (d *stateDevice) Flush(context.Context) error              { return nil }

func (d *stateDevice) ReadSectors(_ context.Context, lba uint64, b []byte) error {
	if _, err := d.img.ReadAt(b, int64(lba)*block.SectorSize); err != nil && err != io.EOF {
		return err
	}
	for i := 0; i < len(b)/block.SectorSize; i++ {
		s := lba + uint64(i)
		dst := b[i*block.SectorSize : (i+1)*block.SectorSize]
		if p, ok := d.scratch[s]; ok {
			copy(dst, p)
		} else if u, ok := d.cut[int64(s*block.SectorSize/power.UnitSize)]; ok {
			in := int(s*block.SectorSize) % power.UnitSize
			copy(dst, u[in:in+block.SectorSize])
		}
	}
	return nil
}

func (d *stateDevice) WriteSectors(_ context.Context, lba uint64, b []byte) error {
	if lba+uint64(len(b)/block.SectorSize) > d.capacity {
		return fmt.Errorf("write past the end")
	}
	for i := 0; i < len(b)/block.SectorSize; i++ {
		d.scratch[lba+uint64(i)] = append([]byte(nil), b[i*block.SectorSize:(i+1)*block.SectorSize]...)
	}
	return nil
}

func (d *stateDevice) WriteSectorsFUA(ctx context.Context, lba uint64, b []byte) error {
	return d.WriteSectors(ctx, lba, b)
}
