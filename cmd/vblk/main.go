// Command vblk runs the host side of the paravirtual block device: the
// backend that executes a driver's requests under a persistence policy, the
// crash campaigns that prove what each policy keeps, and the SQLite commit
// benchmark.
//
// Usage:
//
//	vblk serve [flags]        run the device backend
//	vblk crashtest [flags]    power cuts and SIGKILLs under SQLite
//	vblk bench [flags]        commits/s per policy, side by side
//	vblk worker [flags]       the database process of crashtest (internal)
//
// Run "vblk <command> -h" for the flags of one. This command links the
// synthesized driver (generated/vblk) and SQLite; drvsynth, the tool that
// regenerates that driver, links neither.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/drvsynth/drvsynth/internal/vblk/campaign"
)

const usageText = `vblk runs the vblk device backend, its crash campaigns and its benchmark.

Usage:

	vblk <command> [flags]

The commands are:

	serve      run the device backend on a shared-memory region and an image
	crashtest  cut the power and kill the database process; check every commit
	bench      SQLite commits per second under each policy, side by side
	worker     the database process of crashtest (internal)

serve runs the device side of the paravirtual block device in this
process: it maps a shared-memory region (-shm) that drivers attach to, and
executes their requests against -image under -policy:

  sync      write-through; FLUSH and WRITE_FUA wait for fdatasync
  buffered  acknowledged once in this process's buffer; written back in
            order; on a power-fail notice everything buffered is flushed
            within the hold-up time; dirty data is bounded by
            bandwidth × (holdup − detect − margin − one fdatasync)
  unsafe    acknowledged once buffered, written back lazily, nothing done
            on power failure

SIGUSR1 cuts the power at that instant; SIGTERM or SIGINT shut down in
order (everything written back). The write bandwidth is measured on the
image's file system at start-up unless -bandwidth is given.

crashtest runs power cuts and SIGKILLs of a database process (SQLite
through the vblk driver) and checks after each that the database is intact
and holds every acknowledged commit.

bench runs the same workload (single-row INSERT transactions, WAL,
synchronous=FULL, one FLUSH per commit) through the vblk driver, the SQLite
VFS and a backend in its own process under the sync, buffered and unsafe
policies, then on the plain OS file system with synchronous=FULL (os-full)
and OFF (os-off), and prints commits/s, p50 and p99 commit latency and the
ratios buffered/unsafe and buffered/sync. -json prints one JSON object with
a "configs" array instead.

Use "vblk <command> -h" for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return 0
	case "serve", "worker":
		return campaign.RunRole(args[0], args[1:], stdout, stderr)
	case "crashtest":
		return runCrashtest(args[1:], stdout, stderr)
	case "bench":
		return runBench(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "vblk %s: unknown command\nRun 'vblk help' for usage.\n", args[0])
	return 2
}

// parseExit is the exit code for a flag parse error: 0 for -h, as the go
// tool does, 2 otherwise.
func parseExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
