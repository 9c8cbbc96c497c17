package campaign

import (
	"os"
	"runtime/pprof"
)

// StartCPUProfile writes a CPU profile of this process to path until the
// returned stop is called (vblk serve -cpuprofile, vblk bench -cpuprofile).
func StartCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
