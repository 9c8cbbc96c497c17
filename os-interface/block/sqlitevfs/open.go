package sqlitevfs

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/vfs"

	"github.com/drvsynth/drvsynth/os-interface/block"
)

var registered atomic.Int64

// DB is an SQLite connection whose files live on a block device.
type DB struct {
	*sqlite3.Conn
	VFS  *VFS
	name string
}

// Pragmas are run on every OpenDB connection, in this order: EXCLUSIVE
// locking first so that WAL mode keeps its index in heap memory, then WAL
// with synchronous=FULL (one Sync, so one FLUSH, per commit).
const Pragmas = `PRAGMA locking_mode=EXCLUSIVE;
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
PRAGMA temp_store=MEMORY;`

// OpenDB registers a VFS on dev under a fresh name and opens the database
// on it with Pragmas applied.
func OpenDB(ctx context.Context, dev block.Device) (*DB, error) {
	v, err := New(ctx, dev)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("vblk%d", registered.Add(1))
	v.Register(name)
	c, err := sqlite3.Open("file:/vblk.db?vfs=" + name)
	if err != nil {
		vfs.Unregister(name)
		return nil, err
	}
	if err := c.Exec(Pragmas); err != nil {
		c.Close()
		vfs.Unregister(name)
		return nil, err
	}
	return &DB{Conn: c, VFS: v, name: name}, nil
}

// Close closes the connection (checkpointing the WAL as SQLite does on a
// clean close) and unregisters the VFS.
func (d *DB) Close() error {
	err := d.Conn.Close()
	vfs.Unregister(d.name)
	return err
}
