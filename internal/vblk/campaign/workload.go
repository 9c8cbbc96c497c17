package campaign

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ncruces/go-sqlite3"

	"github.com/drvsynth/drvsynth/os-interface/block/sqlitevfs"
)

// The crash workload has two tables. t takes small commits, one row each;
// big is rewritten whole by large transactions (several MiB, up to the
// dirty bound), so that one commit carries more dirty data than the
// write-back drains in a batch while the database stays the same size.
// Every value is a function of its key, so the check verifies contents,
// not only that a row exists, and a large transaction is atomic only if
// every slot carries the same generation.
const BigSchema = `CREATE TABLE IF NOT EXISTS big(slot INTEGER PRIMARY KEY, gen INTEGER NOT NULL, v BLOB NOT NULL)`

// BigRow is the size of one row of big.
const BigRow = 64 << 10

// SmallLen is the length of small row id's value: 32 to 543 bytes.
func SmallLen(id int64) int { return 32 + int(uint64(id)*2654435761%512) }

// RowValue is the value stored under key: n bytes from a generator seeded
// by key (xorshift64*, fast enough for MiB-sized transactions).
func RowValue(key uint64, n int) []byte {
	b := make([]byte, n)
	x := key*0x9E3779B97F4A7C15 + 0x76626c6b
	for i := 0; i < n; i += 8 {
		x ^= x >> 12
		x ^= x << 25
		x ^= x >> 27
		v := x * 2685821657736338717
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func bigKey(gen, slot int64) uint64 { return uint64(gen)<<24 | uint64(slot) | 1<<63 }

// Workload runs the crash workload's transactions on one connection.
type Workload struct {
	db  *sqlitevfs.DB
	ins *sqlite3.Stmt
}

// OpenWorkload creates the tables if needed and switches to journal
// ("wal" or "delete").
func OpenWorkload(db *sqlitevfs.DB, journal string) (*Workload, error) {
	switch journal {
	case "", "wal":
	case "delete":
		// Out of WAL (locking_mode=EXCLUSIVE is already in force, so
		// SQLite may switch): a rollback journal from here on.
		if err := db.Exec(`PRAGMA journal_mode=DELETE`); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown journal mode %q (want wal or delete)", journal)
	}
	if err := db.Exec(Schema + `;` + BigSchema); err != nil {
		return nil, err
	}
	st, _, err := db.Prepare(`INSERT INTO t(id, v) VALUES(?, ?)`)
	if err != nil {
		return nil, err
	}
	return &Workload{db: db, ins: st}, nil
}

// Close releases the workload's statement (not the connection).
func (w *Workload) Close() error { return w.ins.Close() }

// Next returns the next small id and the next big generation.
func (w *Workload) Next() (id, gen int64, err error) {
	st, _, err := w.db.Prepare(`SELECT (SELECT coalesce(max(id), 0) FROM t), (SELECT coalesce(max(gen), 0) FROM big)`)
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	st.Step()
	return st.ColumnInt64(0) + 1, st.ColumnInt64(1) + 1, st.Err()
}

// Small commits row id (autocommit: one transaction).
func (w *Workload) Small(id int64) error {
	ins := w.ins
	if err := ins.BindInt64(1, id); err != nil {
		return err
	}
	if err := ins.BindBlob(2, RowValue(uint64(id), SmallLen(id))); err != nil {
		return err
	}
	return ins.Exec()
}

// Big replaces the whole of big with slots rows of generation gen, in one
// transaction.
func (w *Workload) Big(gen int64, slots int) error {
	if err := w.db.Exec(`BEGIN; DELETE FROM big`); err != nil {
		return err
	}
	st, _, err := w.db.Prepare(`INSERT INTO big(slot, gen, v) VALUES(?, ?, ?)`)
	if err != nil {
		_ = w.db.Exec(`ROLLBACK`)
		return err
	}
	for s := 0; s < slots && err == nil; s++ {
		if err = st.BindInt64(1, int64(s)); err == nil {
			if err = st.BindInt64(2, gen); err == nil {
				if err = st.BindBlob(3, RowValue(bigKey(gen, int64(s)), BigRow)); err == nil {
					err = st.Exec()
				}
			}
		}
	}
	st.Close()
	if err != nil {
		_ = w.db.Exec(`ROLLBACK`)
		return err
	}
	return w.db.Exec(`COMMIT`)
}

// Checkpoint copies the WAL into the database (a no-op under DELETE).
func (w *Workload) Checkpoint() error { return w.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`) }

// Acks is what the database process acknowledged: small ids and big
// generations whose COMMIT returned.
type Acks struct {
	Small  []int64
	BigGen int64 // newest acknowledged big generation (0: none)
	Bigs   int64 // number of big transactions acknowledged
}

// AppendSmall and AppendBig format one line of the ack log.
func AppendSmall(b []byte, id int64) []byte {
	return append(strconv.AppendInt(append(b, "s "...), id, 10), '\n')
}

// AppendBig formats a big transaction's ack line.
func AppendBig(b []byte, gen int64) []byte {
	return append(strconv.AppendInt(append(b, "b "...), gen, 10), '\n')
}

// ReadAcks parses an ack log. A last line cut short by a kill is not an ack.
func ReadAcks(r io.Reader) (Acks, error) {
	var a Acks
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			return a, nil
		}
		if err != nil {
			return a, err
		}
		kind, num, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		n, perr := strconv.ParseInt(num, 10, 64)
		if !ok || perr != nil {
			return a, fmt.Errorf("ack log: bad line %q", line)
		}
		switch kind {
		case "s":
			a.Small = append(a.Small, n)
		case "b":
			a.Bigs++
			a.BigGen = max(a.BigGen, n)
		default:
			return a, fmt.Errorf("ack log: bad line %q", line)
		}
	}
}

// Verdict is what a check of a database against its acks found.
type Verdict struct {
	Acked   int64 // acknowledged commits (small and big)
	Present int64 // small rows present
	Missing int64 // acknowledged commits not found
	Intact  bool  // integrity_check said ok
	// Wrong counts rows whose contents are not what was written, and big
	// tables mixing generations (a torn transaction).
	Wrong  int64
	BigGen int64 // big's generation found
	Detail string
}

// Bad reports loss or damage.
func (v Verdict) Bad() bool { return v.Missing > 0 || !v.Intact || v.Wrong > 0 }

// Verify runs integrity_check and checks every row and every ack.
func Verify(db *sqlitevfs.DB, acks Acks) (Verdict, error) {
	v := Verdict{Acked: int64(len(acks.Small)) + acks.Bigs}
	if err := db.Exec(Schema + `;` + BigSchema); err != nil {
		return v, err
	}
	st, _, err := db.Prepare(`PRAGMA integrity_check`)
	if err != nil {
		return v, err
	}
	if st.Step() {
		v.Intact = st.ColumnText(0) == "ok"
		if !v.Intact {
			first, _, _ := strings.Cut(st.ColumnText(0), "\n")
			v.Detail = "integrity_check: " + first
		}
	}
	if err := st.Close(); err != nil {
		return v, err
	}
	note := func(format string, args ...any) {
		if v.Detail == "" {
			v.Detail = fmt.Sprintf(format, args...)
		}
	}
	present := map[int64]bool{}
	st, _, err = db.Prepare(`SELECT id, v FROM t`)
	if err != nil {
		return v, err
	}
	for st.Step() {
		id := st.ColumnInt64(0)
		present[id] = true
		if got := st.ColumnRawBlob(1); !bytes.Equal(got, RowValue(uint64(id), SmallLen(id))) {
			v.Wrong++
			note("row t.%d holds %d bytes that were never written there", id, len(got))
		}
	}
	if err := st.Close(); err != nil {
		return v, err
	}
	v.Present = int64(len(present))
	for _, id := range acks.Small {
		if !present[id] {
			v.Missing++
			note("acknowledged row t.%d missing", id)
		}
	}
	st, _, err = db.Prepare(`SELECT slot, gen, v FROM big ORDER BY slot`)
	if err != nil {
		return v, err
	}
	gens := map[int64]int{}
	slots := int64(0)
	for st.Step() {
		slot, gen := st.ColumnInt64(0), st.ColumnInt64(1)
		gens[gen]++
		if slot != slots {
			v.Wrong++
			note("big has slot %d where %d was expected", slot, slots)
		}
		slots++
		if !bytes.Equal(st.ColumnRawBlob(2), RowValue(bigKey(gen, slot), BigRow)) {
			v.Wrong++
			note("big slot %d of generation %d holds bytes never written there", slot, gen)
		}
		v.BigGen = max(v.BigGen, gen)
	}
	if err := st.Close(); err != nil {
		return v, err
	}
	if len(gens) > 1 {
		v.Wrong++
		note("big mixes generations %v: a large transaction was torn", gens)
	}
	if acks.BigGen > v.BigGen {
		// Every acknowledged generation newer than the one present is
		// lost (generations are consecutive).
		v.Missing += acks.BigGen - v.BigGen
		note("acknowledged big generation %d missing (found %d)", acks.BigGen, v.BigGen)
	}
	return v, nil
}
