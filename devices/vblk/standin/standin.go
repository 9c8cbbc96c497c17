// Package standin is a HAND-WRITTEN STAND-IN for the vblk guest driver.
//
// The real driver, generated/vblk, will be synthesized by drvsynth from
// devices/vblk/vblk.dev. Until it exists this package performs the same
// register protocol through a bus.Bus so that the backend, the SQLite VFS,
// the crash campaigns and the benchmark can be built and tested. Nothing
// outside devices/vblk/attach should import it: attach.NewDriver is the one
// place that chooses the driver.
package standin

import (
	"context"
	"errors"
	"fmt"

	"github.com/drvsynth/drvsynth/devices/vblk/transport"
	"github.com/drvsynth/drvsynth/os-interface/block"
	"github.com/drvsynth/drvsynth/os-interface/bus"
)

// Driver is the stand-in vblk driver.
type Driver struct {
	b        bus.Bus
	poller   bus.Poller
	capacity uint64
	maxSec   int
}

var _ block.Device = (*Driver)(nil)

// New returns a driver for the device behind b. Call Init before anything else.
func New(b bus.Bus) *Driver {
	d := &Driver{b: b, maxSec: transport.MaxSectors}
	d.poller, _ = b.(bus.Poller)
	return d
}

// DeviceError is a request the device completed with ERR.
type DeviceError struct {
	Cmd  uint32
	Code transport.ErrCode
}

func (e *DeviceError) Error() string {
	return fmt.Sprintf("vblk: command %d failed: %v", e.Cmd, e.Code)
}

// ErrNoDevice means the MAGIC register does not identify a vblk device.
var ErrNoDevice = errors.New("vblk: no device (bad magic)")

// Init checks MAGIC, waits for an in-flight request left by a previous
// driver instance, enables the device and waits for READY.
func (d *Driver) Init(ctx context.Context) error {
	if d.b.Read32(transport.RegMagic) != transport.Magic {
		return ErrNoDevice
	}
	if _, err := d.waitStatus(ctx, transport.StatusBusy, 0); err != nil {
		return err
	}
	d.b.Write32(transport.RegCtrl, transport.CtrlEnable)
	if _, err := d.waitStatus(ctx, transport.StatusReady, transport.StatusReady); err != nil {
		return err
	}
	d.capacity = uint64(d.b.Read32(transport.RegCapLo)) | uint64(d.b.Read32(transport.RegCapHi))<<32
	if m := int(d.b.Read32(transport.RegMaxSec)); m > 0 && m < d.maxSec {
		d.maxSec = m
	}
	return nil
}

// waitStatus polls STATUS until (STATUS & mask) == want.
func (d *Driver) waitStatus(ctx context.Context, mask, want uint32) (uint32, error) {
	for i := 0; ; i++ {
		st := d.b.Read32(transport.RegStatus)
		if st&mask == want {
			return st, nil
		}
		if i&255 == 255 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
		if d.poller != nil {
			d.poller.Pause(i)
		}
	}
}

// Capacity reports the number of sectors.
func (d *Driver) Capacity(ctx context.Context) (uint64, error) { return d.capacity, nil }

// MaxSectors is the largest request.
func (d *Driver) MaxSectors() int { return d.maxSec }

// command rings the doorbell and waits for BUSY to clear.
func (d *Driver) command(ctx context.Context, cmd uint32, lba uint64, count int) error {
	d.b.Write32(transport.RegLBALo, uint32(lba))
	d.b.Write32(transport.RegLBAHi, uint32(lba>>32))
	d.b.Write32(transport.RegCount, uint32(count))
	d.b.Write32(transport.RegCmd, cmd)
	st, err := d.waitStatus(ctx, transport.StatusBusy, 0)
	if err != nil {
		return err
	}
	if st&transport.StatusErr != 0 {
		return &DeviceError{Cmd: cmd, Code: transport.ErrCode(d.b.Read32(transport.RegErrCode))}
	}
	return nil
}

func (d *Driver) check(buf []byte) error {
	if len(buf)%block.SectorSize != 0 {
		return fmt.Errorf("vblk: buffer of %d bytes is not a multiple of %d", len(buf), block.SectorSize)
	}
	return nil
}

// ReadSectors reads buf from lba, in requests of at most MaxSectors.
func (d *Driver) ReadSectors(ctx context.Context, lba uint64, buf []byte) error {
	if err := d.check(buf); err != nil {
		return err
	}
	for len(buf) > 0 {
		n := min(len(buf)/block.SectorSize, d.maxSec)
		if err := d.command(ctx, transport.CmdRead, lba, n); err != nil {
			return err
		}
		d.b.ReadStream(transport.DataWindow, 4, buf[:n*block.SectorSize])
		buf = buf[n*block.SectorSize:]
		lba += uint64(n)
	}
	return nil
}

func (d *Driver) write(ctx context.Context, cmd uint32, lba uint64, buf []byte) error {
	if err := d.check(buf); err != nil {
		return err
	}
	for len(buf) > 0 {
		n := min(len(buf)/block.SectorSize, d.maxSec)
		d.b.WriteStream(transport.DataWindow, 4, buf[:n*block.SectorSize])
		if err := d.command(ctx, cmd, lba, n); err != nil {
			return err
		}
		buf = buf[n*block.SectorSize:]
		lba += uint64(n)
	}
	return nil
}

// WriteSectors writes buf at lba.
func (d *Driver) WriteSectors(ctx context.Context, lba uint64, buf []byte) error {
	return d.write(ctx, transport.CmdWrite, lba, buf)
}

// WriteSectorsFUA writes buf at lba with force-unit-access on every request.
func (d *Driver) WriteSectorsFUA(ctx context.Context, lba uint64, buf []byte) error {
	return d.write(ctx, transport.CmdWriteFUA, lba, buf)
}

// Flush makes every completed write durable.
func (d *Driver) Flush(ctx context.Context) error {
	return d.command(ctx, transport.CmdFlush, 0, 0)
}
