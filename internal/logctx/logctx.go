// Package logctx carries a *slog.Logger in a context.Context: the logger of
// one request (with its request id) or of one job (with its job id), so that
// every line written on their behalf, however deep, names them.
package logctx

import (
	"context"
	"log/slog"
)

// key keys the logger in a context.
type key struct{}

// With returns ctx carrying l.
func With(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, key{}, l)
}

// From returns the logger ctx carries, or fallback when it carries none.
func From(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if l, ok := ctx.Value(key{}).(*slog.Logger); ok {
		return l
	}
	return fallback
}
