package pyexec_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sandhost/sandhost/pyexec"
)

func ExampleNewPool() {
	ctx := context.Background()
	pool, err := pyexec.NewPool(ctx, pyexec.Options{Size: 2, Timeout: 5 * time.Second})
	if err != nil {
		panic(err) // python.wasm missing: `make python-wasm`
	}
	defer pool.Close()

	// Passed is the verdict: the code ran to the end (a warning is fine).
	r, _ := pool.Execute(ctx, "x = 10\ny = 20\nprint(f'Result: {x + y}')")
	fmt.Printf("%v %q %d\n", r.Passed, r.Stdout, r.ReturnCode)

	r, _ = pool.Execute(ctx, "while True: pass", pyexec.WithTimeout(100*time.Millisecond))
	fmt.Println(r.Passed, r.Failure, r.ReturnCode)

	// Each call starts clean (the default); a session keeps its own state.
	pool.Execute(ctx, "a = 1", pyexec.InSession("env-0"))
	r, _ = pool.Execute(ctx, "a += 1; print(a)", pyexec.InSession("env-0"))
	fmt.Print(r.Stdout)
	r, _ = pool.Execute(ctx, "print(a)", pyexec.Fresh())
	fmt.Println(r.Failure)
	// Output:
	// true "Result: 30\n" 0
	// false timeout -1
	// 2
	// exception
}

func ExampleInterpreter_Process() {
	ctx := context.Background()
	pool, _ := pyexec.NewPool(ctx, pyexec.Options{Size: 1})
	defer pool.Close()
	in, _ := pyexec.NewInterpreter(ctx, pyexec.InterpreterOptions{Pool: pool, Persistent: true})
	replies := []string{"Let me check.\n```python\nprint(1 + 1)\n```", "No code in this one."}
	for env, msgs := range in.Process(ctx, replies) {
		for _, m := range msgs {
			fmt.Printf("env %d: %q\n", env, m.Content)
		}
	}
	// Output:
	// env 0: "Code block 1 executed successfully:\n2\n"
}
