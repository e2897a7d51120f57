//go:build wasip1

// Command counter is a stateful plugin. "incr" counts in the instance's
// own memory: per instance, so a service with several instances has
// several counts. "incr_shared" counts in the namespace's key-value store:
// one count for every instance on every host. Both log through the host.
package main

import (
	"strconv"

	"github.com/extism/go-pdk"

	"github.com/sandhost/sandhost/plugins/wasm/guest"
)

var count int // this instance's

//go:wasmexport incr
func incr() int32 {
	count++
	guest.Log(guest.LevelDebug, "incr "+strconv.Itoa(count))
	pdk.OutputString(strconv.Itoa(count))
	return 0
}

// incr_shared adds one to the key named by the input (default "counter").
// Read and write are two host calls: concurrent increments may be lost,
// which is why the service's max concurrency should be 1 for exact counts.
//
//go:wasmexport incr_shared
func incrShared() int32 {
	key := pdk.InputString()
	if key == "" {
		key = "counter"
	}
	n := 0
	if v, ok := guest.KVGet(key); ok {
		n, _ = strconv.Atoi(string(v))
	}
	n++
	guest.KVSet(key, []byte(strconv.Itoa(n)))
	guest.Log(guest.LevelInfo, "shared counter "+key+" = "+strconv.Itoa(n))
	pdk.OutputString(strconv.Itoa(n))
	return 0
}

func main() {}
