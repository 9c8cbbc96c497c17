//go:build linux && amd64

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/drvsynth/drvsynth/generated/ata"
	"github.com/drvsynth/drvsynth/internal/guest/wire"
	"github.com/drvsynth/drvsynth/os-interface/bus/portio"
	"github.com/drvsynth/drvsynth/os-interface/driver"
)

// The synthesized driver on the primary IDE channel (ataCmd, ataCtl:
// portio.go). The sectors the ata-driver scenario writes: a plain write of 256 (one
// sector count register's worth), then a FUA write of 3.
const (
	ataWritten = 256
	ataFUAAt   = 300
	ataFUA     = 3
)

func sectors(lba, n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		b = append(b, wire.Sector(lba+i)...)
	}
	return b
}

func init() {
	register("ata-driver", scenario{ports: []portio.Range{ataCmd, ataCtl}, run: func(ctx context.Context) error {
		cmd, err := portio.New(ataCmd)
		if err != nil {
			return err
		}
		ctl, err := portio.New(ataCtl)
		if err != nil {
			return err
		}
		d := ata.New(cmd, ctl)
		if err := d.Init(ctx); err != nil {
			return fmt.Errorf("driver Init: %w", err)
		}
		capacity, err := d.Capacity(ctx)
		if err != nil {
			return fmt.Errorf("driver Capacity: %w", err)
		}
		report("capacity", capacity)
		if err := d.WriteSectors(ctx, 0, sectors(0, ataWritten)); err != nil {
			return fmt.Errorf("driver WriteSectors: %w", err)
		}
		if err := d.Flush(ctx); err != nil {
			return fmt.Errorf("driver Flush: %w", err)
		}
		got := make([]byte, ataWritten*512)
		if err := d.ReadSectors(ctx, 0, got); err != nil {
			return fmt.Errorf("driver ReadSectors: %w", err)
		}
		report("read_back", bytes.Equal(got, sectors(0, ataWritten)))
		if err := d.WriteSectorsFUA(ctx, ataFUAAt, sectors(ataFUAAt, ataFUA)); err != nil {
			return fmt.Errorf("driver WriteSectorsFUA: %w", err)
		}
		// One sector past the end: the device's error, typed.
		var de *driver.DeviceError
		if err := d.ReadSectors(ctx, capacity, make([]byte, 512)); errors.As(err, &de) {
			report("beyond_end", de.Fault)
		} else {
			report("beyond_end", fmt.Sprint(err))
		}
		if err := d.ReadSectors(ctx, 0, got[:512]); err != nil {
			return fmt.Errorf("driver ReadSectors after the fault: %w", err)
		}
		report("written_sectors", ataWritten)
		return nil
	}})
}
