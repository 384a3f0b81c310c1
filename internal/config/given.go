package config

import (
	"flag"
	"os"
	"slices"
)

// Given reports whether any of the flags names was given on fs's command
// line (not by its environment twin).
func Given(fs *flag.FlagSet, names ...string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || slices.Contains(names, f.Name) })
	return given
}

// TempDataDir points c at a new temporary data dir, named with prefix,
// unless --data-dir was given on fs (bench and loadtest seed a store of
// their own); cleanup removes it, unless keep.
func (c *Config) TempDataDir(fs *flag.FlagSet, prefix string, keep bool) (cleanup func(), err error) {
	if Given(fs, "data-dir") {
		return func() {}, nil
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	c.DataDir = dir
	if keep {
		return func() {}, nil
	}
	return func() { os.RemoveAll(dir) }, nil
}
