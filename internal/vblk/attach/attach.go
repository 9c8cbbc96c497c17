// Package attach connects a database process to a vblk backend: it maps the
// backend's shared region, puts a shm bus on it and builds the guest driver.
package attach

import (
	"context"
	"time"

	"github.com/drvsynth/drvsynth/generated/vblk"
	"github.com/drvsynth/drvsynth/internal/vblk/transport"
	"github.com/drvsynth/drvsynth/os-interface/block"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/bus/shm"
)

// NewDriver builds the guest driver on a bus. It is the one place that
// chooses the driver: the one drvsynth synthesized from devices/vblk/vblk.dev,
// with requests larger than the device's data window split by the block
// class.
var NewDriver = func(b bus.Bus) block.Device { return block.Split(vblk.New(b)) }

// Conn is a driver attached to a backend's region.
type Conn struct {
	block.Device
	Region *transport.Region
	Bus    *shm.Bus
}

// Close unmaps the region. The device itself stays with the backend.
func (c *Conn) Close() error { return c.Region.Close() }

// NewBus puts a shm bus on a region.
func NewBus(r *transport.Region) *shm.Bus {
	return shm.New(r, transport.RegPageSize, r.Spin)
}

// Open maps the region at path, builds the driver and runs its Init.
func Open(ctx context.Context, path string) (*Conn, error) {
	r, err := transport.OpenDriver(path)
	if err != nil {
		return nil, err
	}
	c, err := OnRegion(ctx, r)
	if err != nil {
		r.Close()
		return nil, err
	}
	return c, nil
}

// OnRegion builds and initialises the driver on an already mapped region.
func OnRegion(ctx context.Context, r *transport.Region) (*Conn, error) {
	b := NewBus(r)
	d := NewDriver(b)
	ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.Init(ictx); err != nil {
		return nil, err
	}
	return &Conn{Device: d, Region: r, Bus: b}, nil
}
