package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// EnvName is the environment twin of the setting name: USERPORT_ and the
// name in upper snake case (max-import-bytes: USERPORT_MAX_IMPORT_BYTES).
func EnvName(name string) string {
	return "USERPORT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// value is the type of a setting.
type value interface {
	string | int | int64 | float64 | time.Duration | bool
}

// setting is one setting of a configuration C, declared once: its name,
// which names its flag and its environment twin, its default, its help and
// where it goes in C.
type setting[C any] struct {
	name    string
	help    string
	want    string                                           // what a value looks like, for errors
	envOnly bool                                             // no flag: the environment twin only
	bind    func(c *C, fs *flag.FlagSet, name, usage string) // registers the flag on c's field
	fill    func(c *C)                                       // gives a zero field the default
	fills   bool                                             // Validate calls fill
}

// opt declares the setting name of C's field, with its default and help.
func opt[C any, T value](name string, field func(*C) *T, def T, help string) setting[C] {
	s := setting[C]{name: name, help: help, fill: func(c *C) {
		var zero T
		if p := field(c); *p == zero {
			*p = def
		}
	}}
	s.bind = func(c *C, fs *flag.FlagSet, name, usage string) {
		switch p := any(field(c)).(type) {
		case *string:
			fs.StringVar(p, name, any(def).(string), usage)
		case *int:
			fs.IntVar(p, name, any(def).(int), usage)
		case *int64:
			fs.Int64Var(p, name, any(def).(int64), usage)
		case *float64:
			fs.Float64Var(p, name, any(def).(float64), usage)
		case *time.Duration:
			fs.DurationVar(p, name, any(def).(time.Duration), usage)
		case *bool:
			fs.BoolVar(p, name, any(def).(bool), usage)
		}
	}
	switch any(def).(type) {
	case int, int64:
		s.want = "an integer"
	case float64:
		s.want = "a number"
	case time.Duration:
		s.want = "a duration such as 30s or 5m"
	case bool:
		s.want = "true or false"
	}
	return s
}

// env returns s with no flag: set by its environment twin only.
func (s setting[C]) env() setting[C] {
	s.envOnly = true
	return s
}

// positive returns s, a duration, refusing zero and negative values where
// it is set (its flag or its twin): a zero would not mean "none" but
// silently the default. A configuration built in code keeps its zero for
// the default (filled).
func (s setting[C]) positive() setting[C] {
	bind := s.bind
	s.bind = func(c *C, fs *flag.FlagSet, name, usage string) {
		bind(c, fs, name, usage)
		f := fs.Lookup(name)
		f.Value = positiveDuration{f.Value}
	}
	s.want = "a positive duration such as 720h"
	return s
}

// positiveDuration is a duration flag's value that refuses d <= 0.
type positiveDuration struct{ flag.Value }

func (v positiveDuration) Set(s string) error {
	if d, err := time.ParseDuration(s); err == nil && d <= 0 {
		return errors.New("must be positive")
	}
	return v.Value.Set(s)
}

// filled returns s as the default of a configuration built in code too:
// Validate gives it to a zero field. Settings without it keep their zero,
// which means something of its own ("" --jobs: inline; no --addr: any
// port) or the owning package's default.
func (s setting[C]) filled() setting[C] {
	s.fills = true
	return s
}

// register binds settings to c's fields: those with a flag on fs, with
// their twin in their help; then each twin that is set gives its setting
// its value, as if it came first on the command line. A value that does
// not parse is added to errs, naming the variable.
func register[C any](c *C, fs *flag.FlagSet, errs *[]error, settings ...setting[C]) {
	envOnly := flag.NewFlagSet("environment", flag.ContinueOnError)
	for _, s := range settings {
		on, usage := fs, s.help+" ("+EnvName(s.name)+")"
		if s.envOnly {
			on = envOnly
		}
		s.bind(c, on, s.name, usage)
		v, ok := os.LookupEnv(EnvName(s.name))
		if !ok {
			continue
		}
		if err := on.Set(s.name, v); err != nil {
			*errs = append(*errs, fmt.Errorf("invalid %s %q: want %s", EnvName(s.name), v, s.want))
		}
	}
}

// fillDefaults gives the zero fields of c the defaults of the settings
// filled in code too.
func fillDefaults[C any](c *C, settings ...setting[C]) {
	for _, s := range settings {
		if s.fills {
			s.fill(c)
		}
	}
}
