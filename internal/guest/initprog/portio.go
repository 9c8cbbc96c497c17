//go:build linux && amd64

package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/drvsynth/drvsynth/internal/guest/wire"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/bus/portio"
)

// The port-I/O bus itself, at every width, on QEMU's IDE disk (whose data
// port takes 16- and 32-bit accesses) and COM2's scratch register: the
// IDENTIFY block read four ways must be the same, and four sectors written
// four ways must land in the image, which the host reads afterwards.
// This drives the disk by hand, as the probe does: the ATA driver is not
// shipped yet.

var (
	ataCmd = portio.Range{Base: 0x1f0, Size: 8}
	ataCtl = portio.Range{Base: 0x3f6, Size: 1}
)

// ataWait polls STATUS until BSY clears and checks DRQ and ERR.
func ataWait(ctx context.Context, cmd bus.Bus, wantDRQ bool) error {
	for {
		s := cmd.Read8(7)
		if s&0x80 == 0 {
			switch {
			case s&0x01 != 0:
				return fmt.Errorf("ATA error: status %#02x, error %#02x", s, cmd.Read8(1))
			case wantDRQ && s&0x08 == 0:
				return fmt.Errorf("ATA: no DRQ (status %#02x)", s)
			}
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

func ataCommand(cmd bus.Bus, code uint8, lba uint32) {
	cmd.Write8(6, 0xe0|uint8(lba>>24&0x0f))
	cmd.Write8(2, 1)
	cmd.Write8(3, uint8(lba))
	cmd.Write8(4, uint8(lba>>8))
	cmd.Write8(5, uint8(lba>>16))
	cmd.Write8(7, code)
}

func init() {
	register("portio", scenario{ports: []portio.Range{ataCmd, ataCtl, com2}, run: func(ctx context.Context) error {
		cmd, _ := portio.New(ataCmd)
		ctl, _ := portio.New(ataCtl)
		uart, _ := portio.New(com2)
		ctl.Write8(0, 0x02) // nIEN: polled

		// 8 bits: COM2's scratch register holds every value.
		for _, v := range []uint8{0x00, 0xff, 0xa5, 0x5a} {
			uart.Write8(7, v)
			if got := uart.Read8(7); got != v {
				return fmt.Errorf("SCR read %#02x after writing %#02x", got, v)
			}
		}

		// Reads: IDENTIFY four times, each moved another way.
		readers := []struct {
			name string
			read func(buf []byte)
		}{
			{"ReadStream width 2 (rep insw)", func(b []byte) { cmd.ReadStream(0, 2, b) }},
			{"ReadStream width 4 (rep insl)", func(b []byte) { cmd.ReadStream(0, 4, b) }},
			{"Read16 x256", func(b []byte) {
				for i := 0; i < len(b); i += 2 {
					v := cmd.Read16(0)
					b[i], b[i+1] = byte(v), byte(v>>8)
				}
			}},
			{"Read32 x128", func(b []byte) {
				for i := 0; i < len(b); i += 4 {
					v := cmd.Read32(0)
					b[i], b[i+1], b[i+2], b[i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
				}
			}},
		}
		var first []byte
		for _, r := range readers {
			if err := ataWait(ctx, cmd, false); err != nil {
				return err
			}
			ataCommand(cmd, 0xec, 0)
			if err := ataWait(ctx, cmd, true); err != nil {
				return fmt.Errorf("IDENTIFY for %s: %w", r.name, err)
			}
			buf := make([]byte, 512)
			r.read(buf)
			if first == nil {
				first = buf
				report("identify", buf)
			} else if !bytes.Equal(buf, first) {
				return fmt.Errorf("IDENTIFY read with %s differs from %s", r.name, readers[0].name)
			}
		}

		// Writes: sector i gets wire.Sector(i), each moved another way.
		writers := []struct {
			name  string
			write func(buf []byte)
		}{
			{"WriteStream width 2 (rep outsw)", func(b []byte) { cmd.WriteStream(0, 2, b) }},
			{"WriteStream width 4 (rep outsl)", func(b []byte) { cmd.WriteStream(0, 4, b) }},
			{"Write16 x256", func(b []byte) {
				for i := 0; i < len(b); i += 2 {
					cmd.Write16(0, uint16(b[i])|uint16(b[i+1])<<8)
				}
			}},
			{"Write32 x128", func(b []byte) {
				for i := 0; i < len(b); i += 4 {
					cmd.Write32(0, uint32(b[i])|uint32(b[i+1])<<8|uint32(b[i+2])<<16|uint32(b[i+3])<<24)
				}
			}},
		}
		for i, w := range writers {
			ataCommand(cmd, 0x30, uint32(i))
			if err := ataWait(ctx, cmd, true); err != nil {
				return fmt.Errorf("WRITE SECTORS for %s: %w", w.name, err)
			}
			w.write(wire.Sector(i))
			if err := ataWait(ctx, cmd, false); err != nil {
				return fmt.Errorf("after %s: %w", w.name, err)
			}
		}
		ataCommand(cmd, 0xe7, 0) // FLUSH CACHE
		if err := ataWait(ctx, cmd, false); err != nil {
			return fmt.Errorf("FLUSH CACHE: %w", err)
		}
		report("written_sectors", len(writers))
		return nil
	}})
}
