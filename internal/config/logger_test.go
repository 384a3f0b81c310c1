package config_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/userport/userport/internal/config"
)

// TestLogger: the logger writes at the configured level, as text or as one
// JSON object a line.
func TestLogger(t *testing.T) {
	var b bytes.Buffer
	cfg := config.Config{LogLevel: "warn", LogFormat: config.LogJSON}
	log := cfg.Logger(&b)
	log.Info("hidden")
	log.Warn("shown", "n", 1)
	var line map[string]any
	if err := json.Unmarshal(b.Bytes(), &line); err != nil || line["msg"] != "shown" || line["level"] != "WARN" || line["n"] != 1.0 {
		t.Errorf("JSON log %q (%v), want only the warning as one JSON object", b.String(), err)
	}
	b.Reset()
	cfg = config.Config{LogLevel: "debug", LogFormat: config.LogText}
	cfg.Logger(&b).Debug("shown")
	if !strings.HasPrefix(b.String(), "time=") || !strings.Contains(b.String(), "level=DEBUG msg=shown") {
		t.Errorf("text log %q, want a debug line in slog's text format", b.String())
	}
}
