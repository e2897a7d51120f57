package main

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/sandhost/sandhost/internal/bytesize"
)

// Flag values that refuse what makes no sense when parsed, so that the
// flag package reports them as usage errors (exit 2) with the reason.

var errNegative = errors.New("must not be negative")

// cpusFlag is a CPU count, fractions allowed.
type cpusFlag float64

func (f *cpusFlag) String() string { return strconv.FormatFloat(float64(*f), 'g', -1, 64) }

func (f *cpusFlag) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return errors.New("must be a number")
	}
	if v < 0 {
		return errNegative
	}
	*f = cpusFlag(v)
	return nil
}

// countFlag is a whole count (GPUs).
type countFlag int

func (f *countFlag) String() string {
	if *f < 0 {
		return "detected" // serve's default (gpusDetect)
	}
	return strconv.Itoa(int(*f))
}

func (f *countFlag) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return errNegative
	}
	*f = countFlag(v)
	return nil
}

// sizeFlag is a byte size such as 512MiB.
type sizeFlag int64

func (f *sizeFlag) String() string {
	if *f == 0 {
		return ""
	}
	return bytesize.Format(int64(*f))
}

func (f *sizeFlag) Set(s string) error {
	n, err := bytesize.Parse(s)
	if err != nil {
		return err
	}
	if n < 0 { // a float too large for int64
		return errNegative
	}
	*f = sizeFlag(n)
	return nil
}

// timeoutFlag is a positive duration; set says whether it was given.
type timeoutFlag struct {
	d   time.Duration
	set bool
}

func (f *timeoutFlag) String() string {
	if f.d == 0 {
		return ""
	}
	return f.d.String()
}

func (f *timeoutFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if d <= 0 {
		return errors.New("must be positive")
	}
	f.d, f.set = d, true
	return nil
}
