package config_test

import (
	"flag"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/profile/profiletest"
	"github.com/userport/userport/jobs"
)

// parse parses args with fs and validates cfg, as the commands do.
func parse(fs *flag.FlagSet, cfg *config.Config, args ...string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return cfg.Validate()
}

// TestWorkerArgs checks that the flags serve gives its worker process parse
// back, with the worker's own flags, into the same settings.
func TestWorkerArgs(t *testing.T) {
	want := config.Config{Addr: "127.0.0.1:9", DataDir: "/srv/up", Tenant: "acme", PublicURL: "https://up.example.com",
		LogLevel: "warn", TokenTTL: 90 * time.Minute, Workers: 5, MaxExportsPerTenant: 3,
		DownloadTTL: 2 * time.Minute, MaxImportBytes: 12345, MaxImportsPerTenant: 4,
		ExportSplitParts: 3, ExportSplitMinUsers: 5000, Lifetimes: userport.Lifetimes{Tombstones: 48 * time.Hour},
		WebhookAllowPrivate: true}
	var got config.Config
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	got.ServerFlags(fs)
	if err := fs.Parse(want.WorkerArgs()); err != nil {
		t.Fatalf("parse %q: %v", want.WorkerArgs(), err)
	}
	got.AdminClientID, got.AdminClientSecret = "", "" // from the environment, not flags
	got.ImportChunk, got.ImportTimeout, got.RescueAfter, got.StaleAfter, got.CleanupInterval, got.KeyRefresh = 0, 0, 0, 0, 0, 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("worker settings\n%+v\nwant\n%+v", got, want)
	}
}

// TestEnvTwins: a USERPORT_ variable sets its flag's value, and the flag on
// the command line wins over it.
func TestEnvTwins(t *testing.T) {
	t.Setenv("USERPORT_WORKERS", "3")
	t.Setenv("USERPORT_DOWNLOAD_TTL", "5m")
	t.Setenv("USERPORT_IMPORT_CHUNK", "10s")
	t.Setenv("USERPORT_WEBHOOK_ALLOW_HTTP", "true")
	t.Setenv("USERPORT_WEBHOOK_ALLOW_PRIVATE", "true")
	var cfg config.Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.ServerFlags(fs)
	if err := parse(fs, &cfg, "--data-dir", t.TempDir(), "--workers", "4", "--webhook-allow-private=false"); err != nil {
		t.Fatal(err)
	}
	if !cfg.WebhookAllowHTTP || cfg.WebhookAllowPrivate {
		t.Errorf("webhook allow http %v, private %v; want true (the environment), false (the flag)", cfg.WebhookAllowHTTP, cfg.WebhookAllowPrivate)
	}
	if cfg.Workers != 4 || cfg.DownloadTTL != 5*time.Minute || cfg.ImportChunk != 10*time.Second {
		t.Errorf("workers %d, download TTL %v, import chunk %v; want 4 (the flag), 5m and 10s (the environment)",
			cfg.Workers, cfg.DownloadTTL, cfg.ImportChunk)
	}
}

// TestExportSplitDefault: exports are split in scale mode (PostgreSQL) and
// not in embedded mode, unless --export-split-parts says otherwise.
func TestExportSplitDefault(t *testing.T) {
	for _, tt := range []struct {
		databaseURL string
		parts, want int
	}{
		{"", 0, 1},
		{"postgres://db.example.com/userport", 0, config.DefaultScaleSplitParts},
		{"postgres://db.example.com/userport", 1, 1},
		{"", 3, 3},
	} {
		cfg := config.Config{Tenant: "dev", DataDir: t.TempDir(), DatabaseURL: tt.databaseURL, ExportSplitParts: tt.parts}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		if cfg.ExportSplitParts != tt.want {
			t.Errorf("database %q, --export-split-parts %d: %d parts, want %d", tt.databaseURL, tt.parts, cfg.ExportSplitParts, tt.want)
		}
	}
}

// TestDefaultsWrittenOnce: the defaults a command line gets from its flags
// are those a Config built in code gets from Validate, which are those of
// the packages that own the settings.
func TestDefaultsWrittenOnce(t *testing.T) {
	for _, name := range []string{"USERPORT_WORKERS", "USERPORT_MAX_EXPORTS_PER_TENANT", "USERPORT_DOWNLOAD_TTL",
		"USERPORT_TOKEN_TTL", "USERPORT_LOG_LEVEL", "USERPORT_TENANT", "USERPORT_MAX_IMPORT_BYTES", "USERPORT_MAX_IMPORTS_PER_TENANT"} {
		t.Setenv(name, "") // set, then unset: the test sees no environment
		os.Unsetenv(name)
	}
	var flags config.Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	flags.ServerFlags(fs)
	if err := parse(fs, &flags); err != nil {
		t.Fatal(err)
	}
	code := config.Config{DataDir: t.TempDir(), Tenant: userport.DefaultTenant}
	if err := code.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name              string
		fromFlags, inCode any
		owner             any
	}{
		{"workers", flags.Workers, code.Workers, jobs.DefaultWorkers},
		{"max-exports-per-tenant", flags.MaxExportsPerTenant, code.MaxExportsPerTenant, jobs.DefaultMaxExportsPerTenant},
		{"download-ttl", flags.DownloadTTL, code.DownloadTTL, httpapi.DefaultDownloadTTL},
		{"token-ttl", flags.TokenTTL, code.TokenTTL, auth.DefaultTTL},
		{"log-level", flags.LogLevel, code.LogLevel, config.DefaultLogLevel},
		{"tenant", flags.Tenant, code.Tenant, userport.DefaultTenant},
		{"tombstone-retention", flags.Lifetimes.Tombstones, code.Lifetimes.Tombstones, userport.DefaultLifetimes.Tombstones},
	} {
		if c.fromFlags != c.inCode || c.inCode != c.owner {
			t.Errorf("--%s defaults to %v from the flags, %v in code, %v in its package", c.name, c.fromFlags, c.inCode, c.owner)
		}
	}
	if flags.MaxImportBytes != httpapi.DefaultMaxImportBytes || flags.MaxImportsPerTenant != userport.DefaultMaxImportsPerTenant {
		t.Errorf("--max-import-bytes %d, --max-imports-per-tenant %d; want the packages' %d and %d",
			flags.MaxImportBytes, flags.MaxImportsPerTenant, httpapi.DefaultMaxImportBytes, userport.DefaultMaxImportsPerTenant)
	}
}

// TestEveryFlagNamesItsTwin: every flag's help ends with its environment
// twin, USERPORT_ and its name in upper snake case, and the twin sets it.
func TestEveryFlagNamesItsTwin(t *testing.T) {
	var cfg config.Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.ServerFlags(fs)
	cfg.JobsFlag(fs)
	cfg.MetricsFlag(fs)
	var rc config.Remote
	rfs := flag.NewFlagSet("export", flag.ContinueOnError)
	rc.Flags(rfs)
	n := 0
	for _, fs := range []*flag.FlagSet{fs, rfs} {
		fs.VisitAll(func(f *flag.Flag) {
			n++
			twin := "USERPORT_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
			if !strings.HasSuffix(f.Usage, " ("+twin+")") || config.EnvName(f.Name) != twin {
				t.Errorf("--%s: help %q does not end with its twin %s", f.Name, f.Usage, twin)
			}
		})
	}
	if n < 30 {
		t.Errorf("%d flags seen, want the 30 and more the commands take", n)
	}
	t.Setenv("USERPORT_POLL_INTERVAL", "250ms")
	t.Setenv("USERPORT_RATE_BURST", "7")
	rc, cfg = config.Remote{}, config.Config{}
	rc.Flags(flag.NewFlagSet("export", flag.ContinueOnError))
	cfg.ServerFlags(flag.NewFlagSet("serve", flag.ContinueOnError))
	if rc.PollInterval != 250*time.Millisecond || cfg.RateBurst != 7 {
		t.Errorf("poll interval %v, rate burst %d; want their twins' 250ms and 7", rc.PollInterval, cfg.RateBurst)
	}
}

// TestTwinsThatDoNotParse: a twin whose value does not parse is an error
// naming it and saying what a value looks like, never a silent default.
func TestTwinsThatDoNotParse(t *testing.T) {
	for _, tt := range []struct{ env, value, want string }{
		{"USERPORT_WORKERS", "eight", `invalid USERPORT_WORKERS "eight": want an integer`},
		{"USERPORT_RATE_LIMIT", "fast", `invalid USERPORT_RATE_LIMIT "fast": want a number`},
		{"USERPORT_IMPORT_CHUNK", "30", `invalid USERPORT_IMPORT_CHUNK "30": want a duration such as 30s or 5m`},
		{"USERPORT_KEY_REFRESH", "soon", `invalid USERPORT_KEY_REFRESH "soon": want a duration`},
	} {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv(tt.env, tt.value)
			var cfg config.Config
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			cfg.ServerFlags(fs)
			if err := parse(fs, &cfg, "--data-dir", t.TempDir()); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s=%s: %v, want an error containing %q", tt.env, tt.value, err, tt.want)
			}
		})
	}
	t.Setenv("USERPORT_POLL_INTERVAL", "often")
	var rc config.Remote
	rc.Flags(flag.NewFlagSet("export", flag.ContinueOnError))
	if err := rc.Validate(); err == nil || !strings.Contains(err.Error(), `invalid USERPORT_POLL_INTERVAL "often"`) {
		t.Errorf("USERPORT_POLL_INTERVAL=often: %v", err)
	}
}

// TestRemoteCredentials: with no token nor client credentials, the client
// commands use the admin client file of their --tenant in --data-dir.
func TestRemoteCredentials(t *testing.T) {
	profiletest.Isolate(t)
	dir := t.TempDir()
	for tenant, id := range map[string]string{"dev": "dev-admin", "other": "other-admin"} {
		data := `{"client_id":"` + id + `","client_secret":"s-` + id + `"}`
		if err := os.WriteFile(auth.AdminFilePath(dir, tenant), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ tenant, wantID, wantErr string }{
		{"dev", "dev-admin", ""},
		{"other", "other-admin", ""},
		{"third", "", "no credentials: give --token"},
		{"Not A Tenant", "", `invalid --tenant (USERPORT_TENANT) "Not A Tenant"`},
	} {
		rc := config.Remote{DataDir: dir, Tenant: tt.tenant, PollInterval: time.Second}
		err := rc.Validate()
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("tenant %q: %v, want an error containing %q", tt.tenant, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || rc.ClientID != tt.wantID || rc.ClientSecret != "s-"+tt.wantID):
			t.Errorf("tenant %q: %v, client %q; want %q", tt.tenant, err, rc.ClientID, tt.wantID)
		}
	}
}

// TestParseCommand: flags and positional arguments in any order, at most
// maxArgs of them, then the configuration validated.
func TestParseCommand(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		max     int
		want    []string
		wantErr string
	}{
		{[]string{"a.json", "--poll-interval", "2s"}, 1, []string{"a.json"}, ""},
		{[]string{"--poll-interval", "2s", "a.json"}, 1, []string{"a.json"}, ""},
		{[]string{"a.json", "b.json"}, 1, nil, "unexpected arguments: [b.json]"},
		{[]string{"--poll-interval", "0s"}, 0, nil, "--poll-interval must be positive"},
		{[]string{"--nope"}, 0, nil, "flag provided but not defined: -nope"},
	} {
		rc := config.Remote{}
		fs := config.NewFlagSet("import", "FILE [flags]", "import")
		rc.Flags(fs)
		rc.Token = "t" // credentials: none read from a data dir
		got, err := config.ParseCommand(fs, tt.args, io.Discard, &rc, tt.max)
		if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: %q, %v; want %q, %q", tt.args, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestServeRefusesBadFlags checks that serve's flags refuse a bad setting
// with a message that names it (cmd/userport checks the commands call this).
func TestServeRefusesBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
		env  string // NAME=value of one environment variable
	}{
		{[]string{"--jobs", "sometimes"}, `invalid --jobs (USERPORT_JOBS) "sometimes"`, ""},
		{[]string{"--jobs", ""}, "" /* empty is inline, as for a Config built in code */, ""},
		{[]string{"--workers", "-1"}, "must not be negative", ""},
		{[]string{"--tenant", "Not A Tenant"}, `invalid --tenant (USERPORT_TENANT) "Not A Tenant"`, ""},
		{nil, `invalid --tenant (USERPORT_TENANT) "ACME"`, "USERPORT_TENANT=ACME"},
		{nil, `invalid --log-level (USERPORT_LOG_LEVEL) "loud"`, "USERPORT_LOG_LEVEL=loud"},
		{nil, `invalid --public-url (USERPORT_PUBLIC_URL) "up.example.com"`, "USERPORT_PUBLIC_URL=up.example.com"},
		{nil, `invalid --jobs (USERPORT_JOBS) "child"`, "USERPORT_JOBS=child"},
		{nil, `invalid --database-url (USERPORT_DATABASE_URL): want sqlite://PATH or postgres://..., not "mysql://db"`, "USERPORT_DATABASE_URL=mysql://db"},
		{nil, `invalid --blob-url (USERPORT_BLOB_URL)`, "USERPORT_BLOB_URL=gs://bucket"},
		{nil, `invalid USERPORT_S3_ENDPOINT: invalid endpoint "127.0.0.1:7070"`, "USERPORT_S3_ENDPOINT=127.0.0.1:7070"},
		{nil, `invalid USERPORT_S3_PUBLIC_ENDPOINT: invalid endpoint "s3.example.com"`, "USERPORT_S3_PUBLIC_ENDPOINT=s3.example.com"},
		{nil, "EXPORT_STALE_AFTER", "USERPORT_EXPORT_STALE_AFTER=-1s"},
		{nil, "CLEANUP_INTERVAL", "USERPORT_CLEANUP_INTERVAL=-5m"},
		{nil, `invalid USERPORT_MIN_TRANSFER_RATE "fast"`, "USERPORT_MIN_TRANSFER_RATE=fast"},
		{nil, `invalid USERPORT_IDLE_TIMEOUT "60"`, "USERPORT_IDLE_TIMEOUT=60"},
		{[]string{"--transfer-grace", "-1s"}, "must not be negative", ""},
		{[]string{"--token-ttl", "721h"}, "invalid --token-ttl (USERPORT_TOKEN_TTL): token lifetime 721h0m0s is not between 1s and 720h0m0s", ""},
		{[]string{"--token-ttl", "-1h"}, "invalid --token-ttl", ""},
		{nil, "invalid --token-ttl", "USERPORT_TOKEN_TTL=8760h"},
		// Every USERPORT_ twin that does not parse is an error naming it,
		// never a silent default.
		{nil, `invalid USERPORT_WORKERS "eight"`, "USERPORT_WORKERS=eight"},
		{nil, `invalid USERPORT_DOWNLOAD_TTL "5 minutes"`, "USERPORT_DOWNLOAD_TTL=5 minutes"},
		{nil, `invalid USERPORT_TOKEN_TTL "banana"`, "USERPORT_TOKEN_TTL=banana"},
		{nil, `invalid USERPORT_MAX_IMPORT_BYTES "1GB"`, "USERPORT_MAX_IMPORT_BYTES=1GB"},
		{nil, `invalid USERPORT_MAX_EXPORTS_PER_TENANT "2.5"`, "USERPORT_MAX_EXPORTS_PER_TENANT=2.5"},
		{nil, `invalid USERPORT_MAX_IMPORTS_PER_TENANT ""`, "USERPORT_MAX_IMPORTS_PER_TENANT="},
		{nil, `invalid USERPORT_IMPORT_CHUNK "30"`, "USERPORT_IMPORT_CHUNK=30"},
		{nil, `invalid USERPORT_CLEANUP_INTERVAL "often"`, "USERPORT_CLEANUP_INTERVAL=often"},
		{nil, `invalid USERPORT_KEY_REFRESH "soon"`, "USERPORT_KEY_REFRESH=soon"},
		{nil, "USERPORT_KEY_REFRESH must not be negative", "USERPORT_KEY_REFRESH=-1s"},
		// The master key seals secrets in the database only: set for the
		// embedded default, it would suggest a protection that is not there.
		{nil, "USERPORT_MASTER_KEY is set, but the embedded store keeps its keys in the data dir", "USERPORT_MASTER_KEY=oaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaE="},
		{nil, `invalid USERPORT_EXPORT_SPLIT_PARTS "four"`, "USERPORT_EXPORT_SPLIT_PARTS=four"},
		{nil, `invalid USERPORT_EXPORT_SPLIT_MIN_USERS "250k"`, "USERPORT_EXPORT_SPLIT_MIN_USERS=250k"},
		{[]string{"--export-split-parts", "-2"}, "must not be negative", ""},
		// A retention of 0 would keep no tombstone and refuse every cursor:
		// refused, as a negative one (in code, 0 is the default).
		{[]string{"--tombstone-retention", "-1h"}, `invalid value "-1h" for flag -tombstone-retention: must be positive`, ""},
		{[]string{"--tombstone-retention", "0"}, `invalid value "0" for flag -tombstone-retention: must be positive`, ""},
		{nil, `invalid USERPORT_TOMBSTONE_RETENTION "0s": want a positive duration such as 720h`, "USERPORT_TOMBSTONE_RETENTION=0s"},
		{nil, `invalid USERPORT_TOMBSTONE_RETENTION "30 days"`, "USERPORT_TOMBSTONE_RETENTION=30 days"},
		{nil, `invalid USERPORT_WEBHOOK_ALLOW_HTTP "maybe": want true or false`, "USERPORT_WEBHOOK_ALLOW_HTTP=maybe"},
		{[]string{"--export-split-min-users", "-1"}, "must not be negative", ""},
		{[]string{"--export-split-parts", "65"}, "invalid --export-split-parts 65 (USERPORT_EXPORT_SPLIT_PARTS): at most 64", ""},
		// A listen address that cannot be listened on stops the command
		// before anything opens, naming the setting.
		{[]string{"--metrics-addr", "nonsense"}, `invalid --metrics-addr (USERPORT_METRICS_ADDR) "nonsense": want host:port`, ""},
		{[]string{"--metrics-addr", "127.0.0.1:99999"}, `invalid --metrics-addr (USERPORT_METRICS_ADDR) "127.0.0.1:99999": invalid port "99999"`, ""},
		{[]string{"--metrics-addr", "127.0.0.1:"}, `invalid --metrics-addr (USERPORT_METRICS_ADDR) "127.0.0.1:": no port`, ""},
		{[]string{"--metrics-addr", "127.0.0.1:-1"}, `invalid --metrics-addr (USERPORT_METRICS_ADDR) "127.0.0.1:-1": invalid port`, ""},
		{nil, `invalid --metrics-addr (USERPORT_METRICS_ADDR) "9090": want host:port`, "USERPORT_METRICS_ADDR=9090"},
		{[]string{"--addr", "localhost"}, `invalid --addr (USERPORT_ADDR) "localhost": want host:port`, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " ")+tt.env, func(t *testing.T) {
			if name, value, ok := strings.Cut(tt.env, "="); ok {
				t.Setenv(name, value)
			}
			if tt.want == "" {
				var cfg config.Config
				cfg.Jobs, cfg.Tenant, cfg.DataDir = "", "dev", t.TempDir()
				if err := cfg.Validate(); err != nil {
					t.Fatalf("Validate with empty Jobs: %v", err)
				}
				return
			}
			var cfg config.Config
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			cfg.ServerFlags(fs)
			cfg.JobsFlag(fs)
			cfg.MetricsFlag(fs)
			err := parse(fs, &cfg, append([]string{"--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("serve %v = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

// TestLogFormatSetting checks --log-format and USERPORT_LOG_FORMAT: json and
// text are taken, anything else stops the command naming the setting.
func TestLogFormatSetting(t *testing.T) {
	for _, tc := range []struct {
		env, flag string
		want      string // "" for an error
	}{
		{"", "", config.LogText},
		{"json", "", config.LogJSON},
		{"", "json", config.LogJSON},
		{"json", "text", config.LogText},
		{"JSON", "", ""},
		{"", "yaml", ""},
	} {
		t.Run(tc.env+"/"+tc.flag, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("USERPORT_LOG_FORMAT", tc.env)
			}
			var cfg config.Config
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			cfg.ServerFlags(fs)
			args := []string{"--data-dir", t.TempDir()}
			if tc.flag != "" {
				args = append(args, "--log-format", tc.flag)
			}
			err := parse(fs, &cfg, args...)
			switch {
			case tc.want == "" && (err == nil || !strings.Contains(err.Error(), "USERPORT_LOG_FORMAT")):
				t.Errorf("err = %v, want one naming USERPORT_LOG_FORMAT", err)
			case tc.want != "" && (err != nil || cfg.LogFormat != tc.want):
				t.Errorf("LogFormat = %q, err %v; want %q", cfg.LogFormat, err, tc.want)
			}
		})
	}
}
