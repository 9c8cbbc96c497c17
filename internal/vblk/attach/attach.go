// Package attach connects a database process to a vblk backend: it maps the
// backend's shared region, puts a shm bus on it and builds the guest driver.
package attach

import (
	"context"
	"fmt"
	"time"

	"github.com/drvsynth/drvsynth/generated/vblk"
	"github.com/drvsynth/drvsynth/internal/vblk/transport"
	"github.com/drvsynth/drvsynth/os-interface/block"
	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/bus/shm"
)

// NewDriver builds the guest driver on a bus, waiting at most timeout for
// any one request. It is the one place that chooses the driver: the one
// drvsynth synthesized from devices/vblk/vblk.dev, with requests larger
// than the device's data window split by the block class.
var NewDriver = func(b bus.Bus, timeout time.Duration) block.Device {
	return block.Split(vblk.New(b, vblk.WithTimeout(timeout)))
}

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

// Option configures a connection.
type Option func(*options)

type options struct {
	timeout time.Duration
}

// WithTimeout sets how long the driver waits for one request, its Init
// included, before it fails with driver.ErrTimeout. The default is
// block.DefaultTimeout (30 s, what block layers allow a disk): a backend
// on a loaded host, or one writing back a full buffer, is slow, not gone.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// Open maps the region at path, builds the driver and runs its Init.
func Open(ctx context.Context, path string, opts ...Option) (*Conn, error) {
	r, err := transport.OpenDriver(path)
	if err != nil {
		return nil, err
	}
	c, err := OnRegion(ctx, r, opts...)
	if err != nil {
		r.Close()
		return nil, err
	}
	return c, nil
}

// OnRegion builds and initialises the driver on an already mapped region.
// Init is bounded by the driver's timeout (see WithTimeout) and by ctx.
func OnRegion(ctx context.Context, r *transport.Region, opts ...Option) (*Conn, error) {
	o := options{timeout: block.DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeout <= 0 {
		return nil, fmt.Errorf("vblk attach: driver timeout %v: want a positive duration", o.timeout)
	}
	b := NewBus(r)
	d := NewDriver(b, o.timeout)
	if err := d.Init(ctx); err != nil {
		return nil, fmt.Errorf("vblk attach: driver Init: %w", err)
	}
	return &Conn{Device: d, Region: r, Bus: b}, nil
}
