package scoring

// Ceiling is the most samples/s any executor could score samples at with
// cfg, however fast and however many cores: a loop answer runs to its
// deadline, so a run that holds one lasts at least one timeout. (An
// executor that holds a run slot for each call until it ends is bound
// further, to PoolSize slots over the loops' timeouts; sandhost's default
// model sets long calls aside, so that bound is not one for all.) Zero when
// the samples hold no loop.
func Ceiling(cfg Config, samples []Answer) float64 {
	for _, a := range samples {
		if a.Kind == KindLoop && cfg.Timeout > 0 {
			return float64(len(samples)) / cfg.Timeout.Seconds()
		}
	}
	return 0
}
