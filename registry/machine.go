package registry

import "runtime"

// MachineResources is what a host offers when [WithHostResources] is not
// given: every CPU, no GPU, the machine's memory. Start from it to change
// one field (`host serve --gpus 1` offers the machine's CPUs and memory).
func MachineResources() Resources {
	return Resources{CPUs: float64(runtime.NumCPU()), MemoryBytes: totalMemory()}
}
