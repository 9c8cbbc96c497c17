package guest

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// An Initramfs is the file tree a guest kernel unpacks into its root file
// system before it runs /init: directories, regular files and device nodes,
// written as a "newc" cpio archive (the format the kernel reads; see the
// kernel's Documentation/driver-api/early-userspace/buffer-format.rst).
type Initramfs struct {
	entries map[string]entry
}

type entry struct {
	mode         uint32 // file type and permission bits
	data         []byte
	major, minor uint32 // device number of a device node
}

// File-type bits of a cpio mode (as in stat(2)).
const (
	modeDir  = 0o040000
	modeFile = 0o100000
	modeChar = 0o020000
)

// NewInitramfs returns an empty tree.
func NewInitramfs() *Initramfs { return &Initramfs{entries: map[string]entry{}} }

// File adds a regular file; its parent directories are added as needed.
func (r *Initramfs) File(name string, perm uint32, data []byte) error {
	return r.add(name, entry{mode: modeFile | perm&0o7777, data: data})
}

// Dir adds a directory (and its parents).
func (r *Initramfs) Dir(name string) error {
	return r.add(name, entry{mode: modeDir | 0o755})
}

// CharDev adds a character device node, e.g. /dev/console (5, 1), which the
// kernel opens as init's standard streams before devtmpfs exists.
func (r *Initramfs) CharDev(name string, perm, major, minor uint32) error {
	return r.add(name, entry{mode: modeChar | perm&0o7777, major: major, minor: minor})
}

func (r *Initramfs) add(name string, e entry) error {
	clean := strings.TrimPrefix(path.Clean("/"+name), "/")
	if clean == "" || clean == "." {
		return fmt.Errorf("initramfs: %q names the root, not a file", name)
	}
	if old, ok := r.entries[clean]; ok && !(old.mode&modeDir != 0 && e.mode&modeDir != 0) {
		return fmt.Errorf("initramfs: %s added twice", clean)
	}
	for dir := path.Dir(clean); dir != "."; dir = path.Dir(dir) {
		if old, ok := r.entries[dir]; ok && old.mode&0o170000 != modeDir {
			return fmt.Errorf("initramfs: %s is a file, so %s cannot be inside it", dir, clean)
		}
		r.entries[dir] = entry{mode: modeDir | 0o755}
	}
	r.entries[clean] = e
	return nil
}

// WriteTo writes the archive: every entry in name order (so a directory
// comes before what it holds), then the trailer. All files belong to root,
// with modification time 0, so the same tree gives the same bytes.
func (r *Initramfs) WriteTo(w io.Writer) (int64, error) {
	names := make([]string, 0, len(r.entries))
	for n := range r.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	for i, n := range names {
		e := r.entries[n]
		writeEntry(&buf, uint32(i+1), n, e)
	}
	writeEntry(&buf, 0, "TRAILER!!!", entry{})
	return buf.WriteTo(w)
}

// Bytes is the archive in memory.
func (r *Initramfs) Bytes() []byte {
	var b bytes.Buffer
	r.WriteTo(&b) // a bytes.Buffer does not fail
	return b.Bytes()
}

// writeEntry writes one newc header, name and data. The header is the magic
// 070701 and thirteen 8-digit hex fields; the name (with its NUL) and the
// data are each padded to a multiple of 4 bytes, counted from the start of
// the archive (every header starts 4-aligned, so padding the pieces is
// enough).
func writeEntry(b *bytes.Buffer, ino uint32, name string, e entry) {
	nlink := uint32(1)
	if e.mode&0o170000 == modeDir {
		nlink = 2
	}
	fmt.Fprintf(b, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, e.mode, 0, 0, nlink, 0, len(e.data),
		0, 0, e.major, e.minor, len(name)+1, 0)
	b.WriteString(name)
	b.WriteByte(0)
	pad4(b)
	b.Write(e.data)
	pad4(b)
}

func pad4(b *bytes.Buffer) {
	for b.Len()%4 != 0 {
		b.WriteByte(0)
	}
}
