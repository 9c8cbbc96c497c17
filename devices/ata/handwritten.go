package ata

// HandwrittenDriver is a polled LBA28 PIO ATA driver written by hand the
// way an engineer writes one from ATA/ATAPI-6. It is a BASELINE ONLY, to
// compare the synthesized driver with. Its constants are its own (hw
// prefix), not the model's.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/drvsynth/drvsynth/os-interface/block"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/driver"
)

const (
	hwData    = 0
	hwError   = 1
	hwSecCnt  = 2
	hwLBALow  = 3
	hwLBAMid  = 4
	hwLBAHigh = 5
	hwDevice  = 6
	hwStatus  = 7
	hwCommand = 7
	hwAltStat = 0 // control block
	hwDevCtl  = 0 // control block

	hwBSY  = 0x80
	hwDRDY = 0x40
	hwDF   = 0x20
	hwDRQ  = 0x08
	hwERR  = 0x01

	hwUNC  = 0x40
	hwIDNF = 0x10
	hwABRT = 0x04

	hwDevLBA = 0xE0 // obsolete bits 7 and 5 set, LBA, device 0
	hwNIEN   = 0x02
	hwSRST   = 0x04

	hwReadSectors  = 0x20
	hwWriteSectors = 0x30
	hwFlushCache   = 0xE7
	hwIdentify     = 0xEC

	hwMaxSectors = 256
	hwLBA28Limit = 1 << 28
)

// Typed errors of the baseline; each also matches with errors.Is against
// the driver runtime's class where one fits.
var (
	// ErrOutOfRange: the request reaches past the last sector, or past
	// what 28-bit addressing reaches (the device's IDNF, or refused before
	// asking it).
	ErrOutOfRange = errors.New("ata (handwritten): sector out of range")
	// ErrAborted: the device refused the command (ABRT).
	ErrAborted = errors.New("ata (handwritten): command aborted")
	// ErrMedia: the data could not be read (UNC).
	ErrMedia = errors.New("ata (handwritten): uncorrectable media error")
	// ErrDeviceFault: the device reported a fault (DF).
	ErrDeviceFault = errors.New("ata (handwritten): device fault")
	// ErrNoDevice: the status reads as a floating bus.
	ErrNoDevice = errors.New("ata (handwritten): no device")
)

// StatusError is returned for a command that ended in an error; it wraps
// one of the sentinel errors above and keeps the registers.
type StatusError struct {
	Op     string
	Status uint8 // STATUS when BSY cleared
	ErrReg uint8 // ERROR, read when STATUS.ERR was set
	Err    error
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: %v (status %#02x, error %#02x)", e.Op, e.Err, e.Status, e.ErrReg)
}

func (e *StatusError) Unwrap() error { return e.Err }

// HandwrittenConfig bounds the driver's waits.
type HandwrittenConfig struct {
	// Timeout bounds every wait for BSY to clear; default 5 s (a spinning
	// disk may take seconds to come out of reset or to flush).
	Timeout time.Duration
}

// HandwrittenDriver implements block.Device on an ATA disk's command and
// control blocks.
type HandwrittenDriver struct {
	cmd, ctl bus.Bus
	cfg      HandwrittenConfig
	sectors  uint64 // capacity from IDENTIFY; 0 until known
}

var _ block.Device = (*HandwrittenDriver)(nil)

// NewHandwrittenDriver returns a driver for device 0 on the channel whose
// command block is cmd and control block ctl.
func NewHandwrittenDriver(cmd, ctl bus.Bus, cfg HandwrittenConfig) *HandwrittenDriver {
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	return &HandwrittenDriver{cmd: cmd, ctl: ctl, cfg: cfg}
}

// settle gives the device the 400 ns the standard allows it to show BSY
// after a command: four reads of ALTSTATUS (which, unlike STATUS, does not
// acknowledge an interrupt) take at least that long on any bus.
func (d *HandwrittenDriver) settle() {
	for range 4 {
		d.ctl.Read8(hwAltStat)
	}
}

// waitNotBusy polls STATUS until BSY clears and returns it.
func (d *HandwrittenDriver) waitNotBusy(ctx context.Context) (uint8, error) {
	w := driver.NewWaiter(ctx, d.cmd, d.cfg.Timeout)
	for {
		s := d.cmd.Read8(hwStatus)
		if s == 0xFF {
			return s, ErrNoDevice
		}
		if s&hwBSY == 0 {
			return s, nil
		}
		if err := w.Device(); err != nil {
			return s, err
		}
	}
}

// check turns a status that has BSY clear into the command's outcome:
// nil, or a StatusError saying why it failed.
func (d *HandwrittenDriver) check(op string, s uint8) error {
	switch {
	case s&hwDF != 0:
		return &StatusError{Op: op, Status: s, Err: ErrDeviceFault}
	case s&hwERR != 0:
		e := d.cmd.Read8(hwError)
		err := ErrAborted
		switch {
		case e&hwIDNF != 0:
			err = ErrOutOfRange
		case e&hwUNC != 0:
			err = ErrMedia
		}
		return &StatusError{Op: op, Status: s, ErrReg: e, Err: err}
	}
	return nil
}

// wait waits out BSY and checks the outcome; wantDRQ says whether the
// device should now be asking for or offering data.
func (d *HandwrittenDriver) wait(ctx context.Context, op string, wantDRQ bool) error {
	s, err := d.waitNotBusy(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := d.check(op, s); err != nil {
		return err
	}
	if (s&hwDRQ != 0) != wantDRQ {
		return fmt.Errorf("%s: %w: status %#02x", op, driver.ErrUnexpected, s)
	}
	return nil
}

// Init resets the device with SRST (interrupts masked with nIEN: this
// driver polls), selects device 0 and learns the capacity.
func (d *HandwrittenDriver) Init(ctx context.Context) error {
	d.ctl.Write8(hwDevCtl, hwNIEN|hwSRST)
	// SRST must be held at least 5 µs; sixteen ALTSTATUS reads take that.
	for range 4 {
		d.settle()
	}
	d.ctl.Write8(hwDevCtl, hwNIEN)
	d.settle()
	if _, err := d.waitNotBusy(ctx); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	d.cmd.Write8(hwDevice, hwDevLBA)
	d.settle()
	w := driver.NewWaiter(ctx, d.cmd, d.cfg.Timeout)
	for {
		s, err := d.waitNotBusy(ctx)
		if err != nil {
			return fmt.Errorf("select: %w", err)
		}
		if s&hwDRDY != 0 {
			break
		}
		if err := w.Device(); err != nil {
			return fmt.Errorf("select: %w", err)
		}
	}
	_, err := d.Capacity(ctx)
	return err
}

// Capacity reads IDENTIFY DEVICE: words 60-61 hold the sectors LBA28
// reaches; an LBA28 driver can use no more, whatever words 100-103 say.
func (d *HandwrittenDriver) Capacity(ctx context.Context) (uint64, error) {
	if s, err := d.waitNotBusy(ctx); err != nil {
		return 0, fmt.Errorf("identify: %w", err)
	} else if s&hwDRQ != 0 {
		return 0, fmt.Errorf("identify: %w: DRQ set before the command", driver.ErrUnexpected)
	}
	d.cmd.Write8(hwCommand, hwIdentify)
	d.settle()
	if err := d.wait(ctx, "identify", true); err != nil {
		return 0, err
	}
	var id [block.SectorSize]byte
	d.cmd.ReadStream(hwData, 2, id[:])
	if binary.LittleEndian.Uint16(id[98:])&(1<<9) == 0 {
		return 0, fmt.Errorf("identify: %w: the device does not support LBA", ErrAborted)
	}
	d.sectors = uint64(binary.LittleEndian.Uint32(id[120:124]))
	return d.sectors, nil
}

// MaxSectors is what one READ/WRITE SECTORS command moves: 256 (a count
// of 0).
func (d *HandwrittenDriver) MaxSectors() int { return hwMaxSectors }

// setup checks a request and writes the task file.
func (d *HandwrittenDriver) setup(ctx context.Context, op string, lba uint64, buf []byte, command uint8) error {
	n := len(buf) / block.SectorSize
	if len(buf)%block.SectorSize != 0 || n == 0 || n > hwMaxSectors {
		return fmt.Errorf("%s: %w: %d bytes is not 1 to %d whole sectors", op, driver.ErrInvalidArgument, len(buf), hwMaxSectors)
	}
	limit := uint64(hwLBA28Limit)
	if d.sectors != 0 {
		limit = min(limit, d.sectors)
	}
	if lba >= limit || uint64(n) > limit-lba {
		return fmt.Errorf("%s: %w: sectors %d-%d, the disk has %d", op, ErrOutOfRange, lba, lba+uint64(n)-1, limit)
	}
	s, err := d.waitNotBusy(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if s&hwDRQ != 0 {
		return fmt.Errorf("%s: %w: DRQ set before the command", op, driver.ErrUnexpected)
	}
	d.cmd.Write8(hwSecCnt, uint8(n)) // 256 is written as 0
	d.cmd.Write8(hwLBALow, uint8(lba))
	d.cmd.Write8(hwLBAMid, uint8(lba>>8))
	d.cmd.Write8(hwLBAHigh, uint8(lba>>16))
	d.cmd.Write8(hwDevice, hwDevLBA|uint8(lba>>24)&0x0F)
	d.cmd.Write8(hwCommand, command)
	d.settle()
	return nil
}

// ReadSectors runs READ SECTORS: per sector, wait for DRQ, move 256 words.
func (d *HandwrittenDriver) ReadSectors(ctx context.Context, lba uint64, buf []byte) error {
	if err := d.setup(ctx, "read", lba, buf, hwReadSectors); err != nil {
		return err
	}
	for off := 0; off < len(buf); off += block.SectorSize {
		if err := d.wait(ctx, "read", true); err != nil {
			return err
		}
		d.cmd.ReadStream(hwData, 2, buf[off:off+block.SectorSize])
		d.settle()
	}
	// After the last sector the device drops DRQ and must not ask for more.
	return d.wait(ctx, "read", false)
}

// WriteSectors runs WRITE SECTORS: per sector, wait for DRQ, move 256
// words; then wait for the device to take the last one.
func (d *HandwrittenDriver) WriteSectors(ctx context.Context, lba uint64, buf []byte) error {
	if err := d.setup(ctx, "write", lba, buf, hwWriteSectors); err != nil {
		return err
	}
	for off := 0; off < len(buf); off += block.SectorSize {
		if err := d.wait(ctx, "write", true); err != nil {
			return err
		}
		d.cmd.WriteStream(hwData, 2, buf[off:off+block.SectorSize])
		d.settle()
	}
	return d.wait(ctx, "write", false)
}

// WriteSectorsFUA writes and then flushes the cache: LBA28 has no
// force-unit-access write (that is WRITE DMA FUA EXT, a 48-bit command).
func (d *HandwrittenDriver) WriteSectorsFUA(ctx context.Context, lba uint64, buf []byte) error {
	if err := d.WriteSectors(ctx, lba, buf); err != nil {
		return err
	}
	return d.Flush(ctx)
}

// Flush runs FLUSH CACHE.
func (d *HandwrittenDriver) Flush(ctx context.Context) error {
	s, err := d.waitNotBusy(ctx)
	if err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	if s&hwDRQ != 0 {
		return fmt.Errorf("flush: %w: DRQ set before the command", driver.ErrUnexpected)
	}
	d.cmd.Write8(hwDevice, hwDevLBA)
	d.cmd.Write8(hwCommand, hwFlushCache)
	d.settle()
	return d.wait(ctx, "flush", false)
}
