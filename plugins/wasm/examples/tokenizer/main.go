//go:build wasip1

// Command tokenizer is a plugin that gives the same tokens as the built-in
// "tokenizer" service (registry/builtin.go): one token per Unicode code
// point, the code point itself below vocab_size-1, else vocab_size-1.
// vocab_size comes from the manifest's config (default 50000).
package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/extism/go-pdk"
)

func vocabSize() (int, error) {
	s, ok := pdk.GetConfig("vocab_size")
	if !ok {
		return 50000, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 2 {
		return 0, fmt.Errorf("vocab_size must be an integer of at least 2, got %q", s)
	}
	return n, nil
}

//go:wasmexport encode
func encode() int32 {
	n, err := vocabSize()
	var text string
	if err == nil {
		err = pdk.InputJSON(&text)
	}
	if err != nil {
		pdk.SetError(err)
		return 1
	}
	unk := n - 1
	toks := make([]int, 0, utf8.RuneCountInString(text))
	for _, c := range text {
		toks = append(toks, min(int(c), unk))
	}
	if err := pdk.OutputJSON(toks); err != nil {
		pdk.SetError(err)
		return 1
	}
	return 0
}

//go:wasmexport decode
func decode() int32 {
	n, err := vocabSize()
	var toks []int
	if err == nil {
		err = pdk.InputJSON(&toks)
	}
	if err != nil {
		pdk.SetError(err)
		return 1
	}
	var b strings.Builder
	for _, t := range toks {
		switch {
		case t < 0 || t >= n:
			pdk.SetError(errors.New("token " + strconv.Itoa(t) + " outside vocabulary of " + strconv.Itoa(n)))
			return 1
		case t == n-1:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(rune(t))
		}
	}
	if err := pdk.OutputJSON(b.String()); err != nil {
		pdk.SetError(err)
		return 1
	}
	return 0
}

//go:wasmexport vocab_size
func vocab() int32 {
	n, err := vocabSize()
	if err != nil {
		pdk.SetError(err)
		return 1
	}
	pdk.OutputString(strconv.Itoa(n))
	return 0
}

func main() {}
