// Package block is the block driver class: what the OS asks of any disk.
//
// block.osi beside this file is the contract the synthesizer proves each
// method against; this file is the Go shape of the same methods.
package block

import (
	"context"
	"time"
)

// SectorSize is the unit of every transfer, in bytes.
const SectorSize = 512

// DefaultTimeout is how long a block driver waits for one request before it
// returns driver.ErrTimeout. Block layers allow tens of seconds (Linux's
// blk-mq and SCSI disks default to 30 s): a disk may spin up, remap a bad
// sector or wait behind a flush. Drivers take a shorter or longer one as an
// option.
const DefaultTimeout = 30 * time.Second

// Device is implemented by every synthesized block driver.
type Device interface {
	// Init brings the device from reset to ready.
	Init(ctx context.Context) error
	// Capacity reports the number of addressable sectors.
	Capacity(ctx context.Context) (sectors uint64, err error)
	// ReadSectors fills buf (a multiple of SectorSize) from lba onward.
	ReadSectors(ctx context.Context, lba uint64, buf []byte) error
	// WriteSectors writes buf (a multiple of SectorSize) at lba. Completion
	// means the device has the data, not that it is durable.
	WriteSectors(ctx context.Context, lba uint64, buf []byte) error
	// WriteSectorsFUA writes buf at lba and completes only once the data is
	// durable (force unit access).
	WriteSectorsFUA(ctx context.Context, lba uint64, buf []byte) error
	// Flush completes once every write that completed before it is durable.
	Flush(ctx context.Context) error
	// MaxSectors is the largest transfer one request may carry.
	MaxSectors() int
}
