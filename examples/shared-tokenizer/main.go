// Command shared-tokenizer shows two hosts sharing a service: run one copy,
// then a second with the address the first prints; the second calls the
// tokenizer the first owns, through Redis.
//
//	go run ./examples/shared-tokenizer                    # first host
//	go run ./examples/shared-tokenizer redis://127.0.0.1:PORT
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/sandhost/sandhost/registry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dsn := "" // the embedded default
	if len(os.Args) > 1 {
		dsn = os.Args[1]
	}
	services, err := registry.Open(ctx, dsn, registry.WithNamespace("training"))
	if err != nil {
		log.Fatal(err)
	}
	defer services.Close()

	// Conditional registration: the first host registers, later ones reuse it.
	_, err = services.Register(ctx, "tokenizer", "tokenizer", registry.WithArgs(registry.TokenizerArgs{VocabSize: 50000}))
	switch {
	case err == nil:
		fmt.Printf("registered the tokenizer here; join with: go run ./examples/shared-tokenizer %s\n", services.Addr())
	case errors.Is(err, registry.ErrExists):
		fmt.Println("the tokenizer already runs on another host; using it")
	default:
		log.Fatal(err)
	}

	tok, err := services.Get(ctx, "tokenizer")
	if err != nil {
		log.Fatal(err)
	}
	ids, err := registry.CallJSON[[]int](ctx, tok, "encode", "hello world")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("encode(%q) = %v, owned by host %s\n", "hello world", ids, tok.Spec().Owner)
	if dsn == "" {
		fmt.Println("serving until interrupted (Ctrl-C)")
		<-ctx.Done()
	}
}
