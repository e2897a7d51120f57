// Package embedding is the "embedding" service: batched vector similarity
// search and matrix products for retrieval and reward models, computed on an
// NVIDIA GPU where the host has one and on the CPU otherwise, with the same
// results (exactly so where float32 arithmetic is exact, within rounding
// elsewhere; ties always ranked the same way).
//
// Importing the package registers the factory (FactoryName) with the
// registry. Its arguments are [Args]: "device" is "auto" (the default: the
// GPU when [DetectGPUs] finds one), "cpu" or "gpu" (an error wrapping
// [ErrNoGPU] where there is none). To have it placed on a GPU host, register
// it with registry.WithResources(registry.Resources{GPUs: 1}); hosts
// advertise what DetectGPUs returns.
//
// Methods (JSON payloads; matrices as arrays of rows or packed, see [Matrix]):
//
//	load        {"corpus": M, "append": bool}                        → {"rows", "dim"}
//	similarity  {"queries": M, "corpus": M?, "top_k": 10, "metric": "cosine"|"dot"}
//	            → {"scores": [[...]], "indices": [[...]]} per query, best first
//	matmul      {"a": M, "b": M, "b_transposed": bool}             → M (a·b)
//	info        {}                                                 → {"device", "corpus_rows", "dim"}
//
// A similarity without "corpus" searches the stored one, which stays in
// device memory between calls. Of equal scores the lower corpus index ranks
// first, on both devices.
//
// The GPU path needs no CUDA toolkit at build time and no cgo: the driver
// (libcuda.so.1) is loaded at run time and the kernels are PTX text
// compiled by the driver when the service starts. RATIONALE.md says why,
// and where the top-k selection runs.
package embedding
