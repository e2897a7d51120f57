package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// The built-in factories every host has: "value" and "tokenizer". They are
// what the demo, the CLI and the tests use, and small examples of services.
func init() {
	RegisterFactory("value", FactoryOf(newValue))
	RegisterFactory("tokenizer", FactoryOf(newTokenizer))
}

// valueArgs are the constructor arguments of the "value" factory.
type valueArgs struct {
	Value json.RawMessage `json:"value"`
}

// value holds one JSON value: "get" returns it, "set" replaces it with the
// payload and returns the new value.
type value struct {
	mu sync.Mutex
	v  json.RawMessage
}

func newValue(_ context.Context, a valueArgs) (Service, error) {
	v := a.Value
	if len(v) == 0 {
		v = json.RawMessage("null")
	}
	s := &value{v: v}
	return Methods{
		"get": func(context.Context, []byte) ([]byte, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.v, nil
		},
		"set": func(_ context.Context, p []byte) ([]byte, error) {
			if !json.Valid(p) {
				return nil, fmt.Errorf("%w: set wants a JSON value", ErrInvalid)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			s.v = append(json.RawMessage(nil), p...)
			return s.v, nil
		},
	}, nil
}

// TokenizerArgs are the constructor arguments of the "tokenizer" factory.
type TokenizerArgs struct {
	VocabSize int `json:"vocab_size"`
}

// newTokenizer makes a character tokenizer: one token per Unicode code
// point, the code point itself when below vocab_size-1, else the unknown
// token vocab_size-1 (decoded as U+FFFD). Deterministic on every host.
func newTokenizer(_ context.Context, a TokenizerArgs) (Service, error) {
	if a.VocabSize < 2 {
		return nil, fmt.Errorf("%w: vocab_size must be at least 2, got %d", ErrInvalid, a.VocabSize)
	}
	unk := a.VocabSize - 1
	return Methods{
		"encode": JSONMethod(func(_ context.Context, text string) ([]int, error) {
			toks := make([]int, 0, utf8.RuneCountInString(text))
			for _, c := range text {
				t := int(c)
				if t >= unk {
					t = unk
				}
				toks = append(toks, t)
			}
			return toks, nil
		}),
		"decode": JSONMethod(func(_ context.Context, toks []int) (string, error) {
			var b strings.Builder
			for _, t := range toks {
				if t < 0 || t >= a.VocabSize {
					return "", fmt.Errorf("%w: token %d outside vocabulary of %d", ErrInvalid, t, a.VocabSize)
				}
				if t == unk {
					b.WriteRune(utf8.RuneError)
				} else {
					b.WriteRune(rune(t))
				}
			}
			return b.String(), nil
		}),
		"vocab_size": JSONMethod(func(context.Context, struct{}) (int, error) { return a.VocabSize, nil }),
	}, nil
}
