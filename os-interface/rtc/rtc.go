// Package rtc is the real-time-clock driver class.
//
// rtc.osi beside this file is the contract the synthesizer proves every
// method against; this file is the Go shape of the same class. Class
// parameters become Go parameters in class order after the context, class
// results become Go results in class order before the error: data<16> is
// uint16 and data<8> is uint8.
package rtc

import (
	"context"
	"time"
)

// DefaultTimeout is how long a real-time-clock driver waits for the
// device's own progress (an update cycle takes under 2 ms on an MC146818)
// before it returns driver.ErrTimeout.
const DefaultTimeout = time.Second

// Clock is implemented by every synthesized real-time-clock driver.
//
// Times are calendar fields as a person reads them: year is the full
// Gregorian year (2026, not 26), month 1-12, day 1-31, hour 0-23 (24-hour
// whatever mode the device keeps internally), minute 0-59, second 0-59.
// The device's time zone is whatever the system chose when it set the clock
// (usually UTC); the class does not interpret it.
type Clock interface {
	// Init brings the device to a running clock.
	Init(ctx context.Context) error
	// ReadTime returns the time the clock shows. All fields come from the
	// same instant: a read never mixes values from before and after a tick.
	ReadTime(ctx context.Context) (year uint16, month, day, hour, minute, second uint8, err error)
	// SetTime sets the clock and leaves it running from the given time. A
	// device whose calendar cannot hold the year (a two-digit year register,
	// for instance) returns an error rather than store a different year.
	SetTime(ctx context.Context, year uint16, month, day, hour, minute, second uint8) error
}
