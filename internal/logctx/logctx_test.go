package logctx_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/userport/userport/internal/logctx"
)

func TestFrom(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewTextHandler(&buf, nil))
	if got := logctx.From(context.Background(), base); got != base {
		t.Errorf("From(empty ctx) is not the fallback")
	}
	ctx := logctx.With(context.Background(), base.With("job_id", "job_1"))
	logctx.From(ctx, base).Info("hello")
	if !strings.Contains(buf.String(), "job_id=job_1") {
		t.Errorf("line %q lacks the carried logger's attribute", buf.String())
	}
}
