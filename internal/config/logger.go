package config

import (
	"io"
	"log/slog"
)

// Logger returns a logger writing to w at the configured level, in the
// configured format (text or JSON lines). An unparsable level, which
// Validate refuses, logs at info.
func (c *Config) Logger(w io.Writer) *slog.Logger {
	level, _ := c.SlogLevel()
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
