// Command llm-tool runs the python blocks of a batch of LLM replies in the
// sandbox, one persistent session per environment, as an RL environment's
// tool step would (TorchRL's PythonInterpreter).
//
//	make python-wasm && go run ./examples/llm-tool
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sandhost/sandhost/pyexec"
)

func main() {
	ctx := context.Background()
	pool, err := pyexec.NewPool(ctx, pyexec.Options{Size: 4, Timeout: 2 * time.Second})
	if err != nil {
		log.Fatal(err) // says to run `make python-wasm` when the build is missing
	}
	defer pool.Close()
	tool, err := pyexec.NewInterpreter(ctx, pyexec.InterpreterOptions{Pool: pool, Persistent: true})
	if err != nil {
		log.Fatal(err)
	}

	turns := [][]string{
		{ // turn 1: three environments
			"Let me define it.\n```python\ndef fib(n):\n    return n if n < 2 else fib(n-1) + fib(n-2)\nprint(fib(20))\n```",
			"```python\nimport os\nprint(open('/etc/passwd').read())\n```",
			"```python\nwhile True:\n    pass\n```",
			"```python\nimport re\nprint(re.findall('\\d+', 'a1b22'))  # a SyntaxWarning, not a failure\n```",
		},
		{ // turn 2: environment 0 still has fib; the others start over after a reset
			"```python\nprint([fib(i) for i in range(10)])\n```",
			"No code this time.",
			"```python\nprint(fib(5))\n```",
			"Done.",
		},
	}
	for turn, replies := range turns {
		fmt.Printf("== turn %d\n", turn+1)
		for env, msgs := range tool.Process(ctx, replies) {
			for _, m := range msgs {
				fmt.Printf("env %d: %q\n", env, m.Content)
			}
		}
		tool.Reset(ctx, 2)
	}
}
