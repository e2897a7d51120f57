//go:build wasip1

// Command greeter is the plugin examples/plugin-dropin drops into a host:
// "greet" answers "GREETING, INPUT!". GREETING is set when it is built,
// so two builds are two versions that answer differently:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o hello.wasm ./examples/plugin-dropin/greeter
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -ldflags "-X main.greeting=bonjour" -o bonjour.wasm ./examples/plugin-dropin/greeter
package main

import "github.com/extism/go-pdk"

var greeting = "hello" // -ldflags "-X main.greeting=..."

//go:wasmexport greet
func greet() int32 {
	pdk.OutputString(greeting + ", " + pdk.InputString() + "!")
	return 0
}

func main() {}
