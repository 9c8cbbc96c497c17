// Package ata holds the independent check of an ATA disk in PIO mode with
// 28-bit LBA: a reference model written from the ATA/ATAPI-6 standard
// (this file) and a hand-written baseline LBA28 driver (handwritten.go).
//
// The model is NOT derived from ata.dev. From the standard it takes the
// command block (data, error/features, sector count, LBA low/mid/high,
// device, status/command) and the control block (alternate status /
// device control with nIEN and SRST), the status bits BSY, DRDY, DF, DRQ
// and ERR and the error bits ABRT, IDNF and UNC, the PIO data-in and
// data-out protocols of READ SECTORS (0x20) and WRITE SECTORS (0x30)
// (a sector count of 0 means 256; an interrupt per sector on reads and
// after each sector on writes, none before the first write sector),
// FLUSH CACHE (0xE7), IDENTIFY DEVICE (0xEC: words 27-46 the model name
// with the two characters of each word swapped, 49 bit 9 LBA supported,
// 60-61 the LBA28 sector count, 83 bit 10 the 48-bit feature set, 100-103
// the LBA48 sector count, 255 the checksum), the rule that the host must
// not write the command block while BSY or DRQ is set, the 400 ns a
// device may take to show BSY after a command (Options.BSYDelay), and the
// INTRQ line gated by nIEN and cleared by reading STATUS.
//
// Time: every bus access is one tick; a command's busy phase lasts
// Options.BusyTicks.
package ata

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
)

// Offsets in the command block (0x1F0 on the PC) and the control block
// (0x3F6).
const (
	offData    = 0
	offError   = 1 // read
	offFeature = 1 // write
	offSecCnt  = 2
	offLBALow  = 3
	offLBAMid  = 4
	offLBAHigh = 5
	offDevice  = 6
	offStatus  = 7 // read
	offCommand = 7 // write
	offAltStat = 0 // control block, read
	offDevCtl  = 0 // control block, write
)

// Bits.
const (
	stBSY  = 0x80
	stDRDY = 0x40
	stDF   = 0x20
	stDRQ  = 0x08
	stERR  = 0x01

	erUNC  = 0x40
	erIDNF = 0x10
	erABRT = 0x04

	devLBA = 0x40
	devDEV = 0x10

	ctlHOB  = 0x80
	ctlSRST = 0x04
	ctlNIEN = 0x02

	cmdRead     = 0x20
	cmdWrite    = 0x30
	cmdFlush    = 0xE7
	cmdIdentify = 0xEC

	sectorSize = 512
)

// ViolationKind classifies a host mistake.
type ViolationKind uint8

const (
	// WriteWhileBusy: a command block register written while BSY or DRQ
	// was set; the device ignores it.
	WriteWhileBusy ViolationKind = iota
	// DataWithoutDRQ: the data port used while DRQ was clear.
	DataWithoutDRQ
	// PartialSector: a data transfer that is not whole sectors, or of the
	// wrong width.
	PartialSector
	// BadAccess: an access of the wrong width or at an unknown offset.
	BadAccess
)

var violationNames = [...]string{"command block written while busy", "data port used without DRQ", "partial sector", "bad access"}

func (k ViolationKind) String() string {
	if int(k) < len(violationNames) {
		return violationNames[k]
	}
	return fmt.Sprintf("ViolationKind(%d)", k)
}

// Violation is one recorded host mistake.
type Violation struct {
	Tick uint64
	Kind ViolationKind
	Msg  string
}

func (v Violation) String() string { return fmt.Sprintf("t=%d %v: %s", v.Tick, v.Kind, v.Msg) }

// Options configure a disk. The zero value is a small, healthy disk.
type Options struct {
	// Sectors is the capacity; default 65536 (32 MiB).
	Sectors uint64
	// Model is the model name IDENTIFY reports (up to 40 characters).
	Model string
	// BusyTicks is how long a command or a sector stays BSY; default 3.
	BusyTicks int
	// BSYDelay is how many status reads after a command write still show
	// the old status, before BSY appears (the standard gives a device
	// 400 ns). Default 0.
	BSYDelay int
	// StuckBSY: the device never leaves the BSY it powers on with.
	StuckBSY bool
	// HangAfter makes the n-th command from power-on (1 is the first)
	// stay BSY for ever; 0 never.
	HangAfter int
	// Unreadable lists sectors whose reads fail with UNC.
	Unreadable []uint64
	// NoFlushCache: a disk from before FLUSH CACHE, which aborts it.
	NoFlushCache bool
	// FaultAfter makes the device fault (DF) on the n-th command from
	// power-on (1 is the first); 0 never.
	FaultAfter int
}

// Pseudo-operations beside the command codes.
const (
	opNone  = -1
	opReset = -2 // a software reset is under way
	opIDNF  = -3 // a read or write beyond the end, failing after its busy time
)

type phase uint8

const (
	idle phase = iota
	busy
	dataIn
	dataOut
)

// Model is an ATA disk. Its two register blocks are Command() and
// Control(), each a bus.Bus. It is safe for concurrent use.
type Model struct {
	mu  sync.Mutex
	opt Options

	// Task file as the host wrote it.
	features, secCnt, lbaLow, lbaMid, lbaHigh, device, devCtl uint8
	status, errReg                                            uint8
	ph                                                        phase
	left                                                      int // ticks of BSY left
	stale                                                     int // status reads that still show the pre-command status
	staleStatus                                               uint8
	intrq                                                     bool

	op       int    // the command in progress: a command code, or opReset, opIDNF, opNone
	hung     bool   // BSY will not clear
	lba      uint64 // the sector the transfer is at
	remain   int    // sectors left in the command
	buf      []byte // the sector being moved through DATA
	pos      int
	commands int

	media    map[uint64][]byte // on stable storage
	cache    map[uint64][]byte // accepted, not yet on media
	bad      map[uint64]bool
	identify [sectorSize]byte

	now        uint64
	irqs       int // times INTRQ was asserted to the host (nIEN clear)
	violations []Violation
}

// NewModel returns a disk just powered on, out of reset and ready.
func NewModel(opt Options) *Model {
	if opt.Sectors == 0 {
		opt.Sectors = 65536
	}
	if opt.Model == "" {
		opt.Model = "DRVSYNTH REFERENCE DISK"
	}
	if opt.BusyTicks <= 0 {
		opt.BusyTicks = 3
	}
	m := &Model{opt: opt, media: map[uint64][]byte{}, cache: map[uint64][]byte{}, bad: map[uint64]bool{}, status: stDRDY, op: opNone}
	if opt.StuckBSY {
		m.ph, m.op, m.hung, m.status = busy, opReset, true, stBSY
	}
	for _, s := range opt.Unreadable {
		m.bad[s] = true
	}
	m.buildIdentify()
	// The signature of an ATA device after reset.
	m.secCnt, m.lbaLow = 1, 1
	return m
}

func putString(words []byte, s string, n int) {
	b := []byte(fmt.Sprintf("%-*s", n, s))[:n]
	for i := 0; i < n; i += 2 {
		// The first character of each pair goes in the high byte.
		words[i], words[i+1] = b[i+1], b[i]
	}
}

func (m *Model) buildIdentify() {
	id := m.identify[:]
	w := func(i int, v uint16) { binary.LittleEndian.PutUint16(id[2*i:], v) }
	w(0, 0x0040) // ATA device, fixed
	putString(id[20:40], "DS-0001", 20)
	putString(id[46:54], "1.0", 8)
	putString(id[54:94], m.opt.Model, 40)
	w(47, 0x8010)
	w(49, 1<<9) // LBA supported
	w(53, 0x0006)
	lba28 := min(m.opt.Sectors, 0x0FFFFFFF)
	w(60, uint16(lba28))
	w(61, uint16(lba28>>16))
	w(80, 1<<6)              // ATA/ATAPI-6
	w(82, 1<<5)              // write cache supported
	flush := uint16(1 << 12) // FLUSH CACHE supported
	if m.opt.NoFlushCache {
		flush = 0
	}
	w(83, 1<<14|flush|1<<10) // and the 48-bit address feature set
	w(85, 1<<5)              // write cache enabled
	w(86, flush|1<<10)       // the same, enabled
	binary.LittleEndian.PutUint64(id[200:], m.opt.Sectors)
	id[510] = 0xA5
	var sum byte
	for _, b := range id[:511] {
		sum += b
	}
	id[511] = -sum
}

func (m *Model) violate(k ViolationKind, format string, args ...any) {
	m.violations = append(m.violations, Violation{Tick: m.now, Kind: k, Msg: fmt.Sprintf(format, args...)})
}

// ---- time ----

func (m *Model) tick() {
	m.now++
	if m.ph != busy {
		return
	}
	if m.hung {
		return
	}
	if m.left--; m.left > 0 {
		return
	}
	m.busyDone()
}

func (m *Model) setStatus(bits uint8) {
	m.status = bits | stDRDY
}

// raise makes an interrupt pending; INTRQ shows it unless nIEN is set.
func (m *Model) raise() {
	m.intrq = true
	if m.devCtl&ctlNIEN == 0 {
		m.irqs++
	}
}

func (m *Model) busyDone() {
	switch m.op {
	case opIDNF:
		m.fail(erIDNF)
	case opReset:
		m.ph, m.op = idle, opNone
		m.setStatus(0)
		m.secCnt, m.lbaLow, m.lbaMid, m.lbaHigh, m.device = 1, 1, 0, 0, 0
		return
	case cmdIdentify:
		m.buf, m.pos = slices.Clone(m.identify[:]), 0
		m.ph = dataIn
		m.setStatus(stDRQ)
		m.raise()
	case cmdRead:
		if m.bad[m.lba] {
			m.fail(erUNC)
			return
		}
		m.buf, m.pos = m.sector(m.lba), 0
		m.ph = dataIn
		m.setStatus(stDRQ)
		m.raise()
	case cmdWrite:
		if m.buf != nil { // a sector was written: commit it to the cache
			m.cache[m.lba] = m.buf
			m.buf = nil
			m.lba++
			m.remain--
			if m.remain == 0 {
				m.end()
				return
			}
		}
		m.buf, m.pos = make([]byte, sectorSize), 0
		m.ph = dataOut
		m.setStatus(stDRQ)
		if m.remain != m.count() { // no interrupt before the first sector
			m.raise()
		}
	case cmdFlush:
		for lba, s := range m.cache {
			m.media[lba] = s
		}
		clear(m.cache)
		m.end()
	}
}

// count is the sector count of the command in progress (0 means 256).
func (m *Model) count() int {
	if m.secCnt == 0 {
		return 256
	}
	return int(m.secCnt)
}

func (m *Model) end() {
	m.ph, m.op = idle, opNone
	m.setStatus(0)
	m.raise()
}

func (m *Model) fail(errBits uint8) {
	m.ph, m.op = idle, opNone
	m.errReg = errBits
	m.setStatus(stERR)
	m.raise()
}

func (m *Model) sector(lba uint64) []byte {
	if s, ok := m.cache[lba]; ok {
		return slices.Clone(s)
	}
	if s, ok := m.media[lba]; ok {
		return slices.Clone(s)
	}
	return make([]byte, sectorSize)
}

func (m *Model) startBusy() {
	m.ph = busy
	m.left = m.opt.BusyTicks
	m.staleStatus = m.status
	m.stale = m.opt.BSYDelay
	m.status = stBSY | m.status&stDRDY
}

func (m *Model) command(c uint8) {
	m.commands++
	m.intrq = false
	m.errReg = 0
	m.op = int(c)
	m.buf = nil
	if m.device&devDEV != 0 {
		// Device 1 is absent: nothing answers (device 0 does not respond
		// to commands for device 1).
		return
	}
	m.hung = m.opt.HangAfter == m.commands
	if m.opt.FaultAfter == m.commands {
		m.ph, m.op = idle, opNone
		m.setStatus(stDF)
		m.raise()
		return
	}
	switch c {
	case cmdRead, cmdWrite:
		if m.device&devLBA == 0 {
			m.fail(erABRT) // CHS is not supported by this disk
			return
		}
		m.lba = uint64(m.device&0x0F)<<24 | uint64(m.lbaHigh)<<16 | uint64(m.lbaMid)<<8 | uint64(m.lbaLow)
		m.remain = m.count()
		if m.lba+uint64(m.remain) > m.opt.Sectors {
			m.op = opIDNF
		}
	case cmdFlush:
		if m.opt.NoFlushCache {
			m.fail(erABRT)
			return
		}
	case cmdIdentify:
	default:
		m.fail(erABRT)
		return
	}
	m.startBusy()
}

// ---- the two register blocks ----

// Command returns the command block (0x1F0-0x1F7).
func (m *Model) Command() *Block { return &Block{m: m} }

// Control returns the control block (0x3F6).
func (m *Model) Control() *Block { return &Block{m: m, ctl: true} }

// Block is one register block of the disk; it implements bus.Bus.
type Block struct {
	m   *Model
	ctl bool
}

func (b *Block) access() *Model {
	b.m.mu.Lock()
	b.m.tick()
	return b.m
}

func (m *Model) readStatus(ack bool) uint8 {
	if m.stale > 0 {
		m.stale--
		return m.staleStatus
	}
	if ack {
		m.intrq = false
	}
	return m.status
}

// Read8 implements bus.Bus.
func (b *Block) Read8(off uint32) uint8 {
	m := b.access()
	defer m.mu.Unlock()
	if b.ctl {
		if off != offAltStat {
			m.violate(BadAccess, "control block read at %d", off)
			return 0xFF
		}
		return m.readStatus(false)
	}
	if m.ph == busy && off != offStatus {
		// While BSY is set every command block register reads as status.
		return m.status
	}
	switch off {
	case offError:
		return m.errReg
	case offSecCnt:
		return m.secCnt
	case offLBALow:
		return m.lbaLow
	case offLBAMid:
		return m.lbaMid
	case offLBAHigh:
		return m.lbaHigh
	case offDevice:
		return m.device
	case offStatus:
		return m.readStatus(true)
	}
	m.violate(BadAccess, "8-bit read at %d", off)
	return 0xFF
}

// Write8 implements bus.Bus.
func (b *Block) Write8(off uint32, v uint8) {
	m := b.access()
	defer m.mu.Unlock()
	if b.ctl {
		if off != offDevCtl {
			m.violate(BadAccess, "control block write at %d", off)
			return
		}
		if v&ctlSRST != 0 && m.devCtl&ctlSRST == 0 {
			// Software reset: abandon the command; the reset completes once
			// SRST is released.
			m.ph, m.op, m.buf, m.intrq = busy, opReset, nil, false
			m.hung = m.opt.StuckBSY // a reset ends a hung command, not a dead drive
			m.status, m.errReg = stBSY, 0
			m.left = 1 << 30
		}
		if v&ctlSRST == 0 && m.devCtl&ctlSRST != 0 {
			m.left = m.opt.BusyTicks
		}
		if m.intrq && m.devCtl&ctlNIEN != 0 && v&ctlNIEN == 0 {
			m.irqs++ // a pending interrupt appears once nIEN is cleared
		}
		m.devCtl = v
		return
	}
	if m.ph != idle {
		m.violate(WriteWhileBusy, "write %#02x to offset %d with status %#02x", v, off, m.status)
		return
	}
	switch off {
	case offFeature:
		m.features = v
	case offSecCnt:
		m.secCnt = v
	case offLBALow:
		m.lbaLow = v
	case offLBAMid:
		m.lbaMid = v
	case offLBAHigh:
		m.lbaHigh = v
	case offDevice:
		m.device = v
	case offCommand:
		m.command(v)
	default:
		m.violate(BadAccess, "8-bit write at %d", off)
	}
}

// Read16 implements bus.Bus: one word of the data port.
func (b *Block) Read16(off uint32) uint16 {
	m := b.access()
	defer m.mu.Unlock()
	if b.ctl || off != offData {
		m.violate(BadAccess, "16-bit read at %d", off)
		return 0xFFFF
	}
	return m.dataIn()
}

// Write16 implements bus.Bus: one word of the data port.
func (b *Block) Write16(off uint32, v uint16) {
	m := b.access()
	defer m.mu.Unlock()
	if b.ctl || off != offData {
		m.violate(BadAccess, "16-bit write at %d", off)
		return
	}
	m.dataOut(v)
}

func (m *Model) dataIn() uint16 {
	if m.ph != dataIn {
		m.violate(DataWithoutDRQ, "data read with status %#02x", m.status)
		return 0xFFFF
	}
	v := binary.LittleEndian.Uint16(m.buf[m.pos:])
	if m.pos += 2; m.pos < sectorSize {
		return v
	}
	m.buf = nil
	if m.op == cmdIdentify {
		m.ph, m.op = idle, opNone
		m.setStatus(0)
		return v
	}
	m.lba++
	if m.remain--; m.remain == 0 {
		m.ph, m.op = idle, opNone
		m.setStatus(0)
		return v
	}
	m.startBusy()
	m.stale = 0
	return v
}

func (m *Model) dataOut(v uint16) {
	if m.ph != dataOut {
		m.violate(DataWithoutDRQ, "data write with status %#02x", m.status)
		return
	}
	binary.LittleEndian.PutUint16(m.buf[m.pos:], v)
	if m.pos += 2; m.pos < sectorSize {
		return
	}
	m.startBusy()
	m.stale = 0
}

// Read32 implements bus.Bus; the disk has no 32-bit registers.
func (b *Block) Read32(off uint32) uint32 {
	m := b.access()
	defer m.mu.Unlock()
	m.violate(BadAccess, "32-bit read at %d", off)
	return 0xFFFFFFFF
}

// Write32 implements bus.Bus (violation).
func (b *Block) Write32(off uint32, v uint32) {
	m := b.access()
	defer m.mu.Unlock()
	m.violate(BadAccess, "32-bit write at %d", off)
}

// ReadStream implements bus.Bus: `rep insw` of whole sectors at DATA.
func (b *Block) ReadStream(off uint32, width int, buf []byte) {
	if width != 2 || len(buf)%2 != 0 {
		b.m.mu.Lock()
		b.m.violate(PartialSector, "stream read of %d bytes, width %d", len(buf), width)
		b.m.mu.Unlock()
		return
	}
	for i := 0; i < len(buf); i += 2 {
		binary.LittleEndian.PutUint16(buf[i:], b.Read16(off))
	}
}

// WriteStream implements bus.Bus: `rep outsw`.
func (b *Block) WriteStream(off uint32, width int, buf []byte) {
	if width != 2 || len(buf)%2 != 0 {
		b.m.mu.Lock()
		b.m.violate(PartialSector, "stream write of %d bytes, width %d", len(buf), width)
		b.m.mu.Unlock()
		return
	}
	for i := 0; i < len(buf); i += 2 {
		b.Write16(off, binary.LittleEndian.Uint16(buf[i:]))
	}
}

// ---- test API ----

// Sector returns what a read of lba would deliver (cache or media).
func (m *Model) Sector(lba uint64) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sector(lba)
}

// Durable returns what lba holds on stable media (what survives a power
// cut), ignoring the write cache.
func (m *Model) Durable(lba uint64) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.media[lba]; ok {
		return slices.Clone(s)
	}
	return make([]byte, sectorSize)
}

// Dirty is the number of sectors in the write cache.
func (m *Model) Dirty() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.cache)
}

// Fill puts data on the media at lba onward, as if written long ago.
func (m *Model) Fill(lba uint64, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := 0; i+sectorSize <= len(data); i += sectorSize {
		m.media[lba+uint64(i/sectorSize)] = slices.Clone(data[i : i+sectorSize])
	}
}

// Commands is how many commands the host has written since power-on.
func (m *Model) Commands() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.commands
}

// IRQs is how many times INTRQ was asserted to the host.
func (m *Model) IRQs() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.irqs
}

// IRQ reports the INTRQ line: an interrupt pending and nIEN clear.
func (m *Model) IRQ() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.intrq && m.devCtl&ctlNIEN == 0
}

// InterruptsMasked reports nIEN.
func (m *Model) InterruptsMasked() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.devCtl&ctlNIEN != 0
}

// Identify returns the IDENTIFY DEVICE data.
func (m *Model) Identify() []byte { return slices.Clone(m.identify[:]) }

// Violations returns the recorded host mistakes.
func (m *Model) Violations() []Violation {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.violations)
}
