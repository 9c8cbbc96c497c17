package block

import (
	"context"
	"fmt"
)

// Split wraps a device whose requests are limited to MaxSectors so that
// callers may pass buffers of any number of whole sectors: each method
// becomes a run of requests of at most MaxSectors, in order. A synthesized
// driver handles exactly one device request per call; splitting is class
// policy, the same for every block device, so it lives here.
func Split(d Device) Device { return splitter{d} }

type splitter struct{ Device }

func (s splitter) chunks(lba uint64, buf []byte, do func(lba uint64, part []byte) error) error {
	if len(buf)%SectorSize != 0 {
		return fmt.Errorf("block: buffer of %d bytes is not a whole number of %d-byte sectors", len(buf), SectorSize)
	}
	max := s.MaxSectors() * SectorSize
	for len(buf) > 0 {
		n := min(len(buf), max)
		if err := do(lba, buf[:n]); err != nil {
			return err
		}
		buf = buf[n:]
		lba += uint64(n / SectorSize)
	}
	return nil
}

func (s splitter) ReadSectors(ctx context.Context, lba uint64, buf []byte) error {
	return s.chunks(lba, buf, func(l uint64, p []byte) error { return s.Device.ReadSectors(ctx, l, p) })
}

func (s splitter) WriteSectors(ctx context.Context, lba uint64, buf []byte) error {
	return s.chunks(lba, buf, func(l uint64, p []byte) error { return s.Device.WriteSectors(ctx, l, p) })
}

// WriteSectorsFUA writes every chunk with force unit access, so the whole
// buffer is durable when it returns.
func (s splitter) WriteSectorsFUA(ctx context.Context, lba uint64, buf []byte) error {
	return s.chunks(lba, buf, func(l uint64, p []byte) error { return s.Device.WriteSectorsFUA(ctx, l, p) })
}
