package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sandhost/sandhost/registry"
)

func Example() {
	ctx := context.Background()
	// "" opens the embedded default; memory:// keeps this example in-process.
	services, err := registry.Open(ctx, "memory://example", registry.WithNamespace("training"))
	if err != nil {
		panic(err)
	}
	defer services.Close()

	tok, err := services.Register(ctx, "tokenizer", "tokenizer",
		registry.WithArgs(registry.TokenizerArgs{VocabSize: 50000}), // constructor arguments
		registry.WithMaxConcurrency(16))                             // backend option
	if err != nil {
		panic(err)
	}
	ids, err := registry.CallJSON[[]int](ctx, tok, "encode", "Hello")
	fmt.Println(ids, err)

	names, _ := services.List(ctx)
	fmt.Println(names)
	// Output:
	// [72 101 108 108 111] <nil>
	// [tokenizer]
}

func ExampleRegistry_Get() {
	ctx := context.Background()
	services, _ := registry.Open(ctx, "memory://example-get")
	defer services.Close()
	services.Register(ctx, "counter", "value", registry.WithArgs(map[string]int{"value": 41}))

	_, err := services.Get(ctx, "missing")
	fmt.Println(errors.Is(err, registry.ErrNotFound), err)

	h, _ := services.Get(ctx, "counter")
	v, _ := registry.CallJSON[int](ctx, h, "set", 42)
	fmt.Println(v)
	// Output:
	// true service not found: service "missing" in namespace "default"; available services: [counter]
	// 42
}

// Factories are registered once per process, usually in an init function.
func init() {
	// A factory with typed arguments; unknown argument fields are errors.
	registry.RegisterFactory("greeter", registry.FactoryOf(func(_ context.Context, a greeterArgs) (registry.Service, error) {
		return registry.Methods{
			"greet": registry.JSONMethod(func(_ context.Context, name string) (string, error) {
				return a.Greeting + ", " + name, nil
			}),
		}, nil
	}))
}

type greeterArgs struct {
	Greeting string `json:"greeting"`
}

func ExampleRegisterFactory() {
	ctx := context.Background()
	services, _ := registry.Open(ctx, "memory://example-factory")
	defer services.Close()
	h, _ := services.Register(ctx, "greeter", "greeter", registry.WithArgs(greeterArgs{Greeting: "Hello"}))
	s, _ := registry.CallJSON[string](ctx, h, "greet", "sandhost")
	fmt.Println(s)
	_, err := services.Register(ctx, "greeter2", "greeter", registry.WithArgs(map[string]any{"greting": "typo"}))
	fmt.Println(errors.Is(err, registry.ErrInvalid), strings.Contains(err.Error(), "greting"))
	// Output:
	// Hello, sandhost
	// true true
}

func ExampleRegistry_RegisterService() {
	ctx := context.Background()
	services, _ := registry.Open(ctx, "memory://example-instance")
	defer services.Close()
	// An instance this process owns: Reset unregisters it but does not close it.
	echo := registry.ServiceFunc(func(_ context.Context, method string, p []byte) ([]byte, error) {
		return append([]byte(method+":"), p...), nil
	})
	h, _ := services.RegisterService(ctx, "echo", echo)
	out, _ := h.Call(ctx, "say", []byte("hi"))
	fmt.Println(string(out))
	// Output: say:hi
}
