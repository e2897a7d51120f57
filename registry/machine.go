package registry

import (
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// MachineResources is what a host offers when [WithHostResources] is not
// given: every CPU, no GPU, the machine's memory. Start from it to change
// one field (`host serve --gpus 1` offers the machine's CPUs and memory).
func MachineResources() Resources {
	return Resources{CPUs: float64(runtime.NumCPU()), MemoryBytes: totalMemory()}
}

func totalMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return math.MaxInt64
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return math.MaxInt64
}
