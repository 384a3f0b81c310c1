// Package config is the configuration of userport's commands: one struct,
// each setting declared once (its flag, its USERPORT_* environment twin,
// derived from its name, its default and its help), read strictly (a value
// that does not parse is an error naming the setting, never a silent
// default) and validated once, then passed down. Defaults are the owning
// packages' constants.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/jobs"
)

// Config is the configuration of every command that opens the store:
// flags, each with a USERPORT_* environment twin (the flag wins), and a
// few settings of the environment only. The settings tables hold each
// one's meaning (its help); the comments here say only what the help does
// not.
type Config struct {
	Addr, PublicURL  string // PublicURL "": http://ADDR; issuer and audience derive from it
	DataDir, Tenant  string
	DatabaseURL      string // "" for the SQLite file in DataDir
	BlobURL          string // "" for export and import files in DataDir, or s3://bucket/prefix
	S3Endpoint       string
	S3PublicEndpoint string
	LogLevel         string
	LogFormat        string // LogText or LogJSON
	MetricsAddr      string // serve: instead of the API's; worker: "" for nowhere
	// MasterKey and MasterKeyFile seal the secrets kept in the database in
	// scale mode; environment only, never a flag.
	MasterKey, MasterKeyFile string
	KeyRefresh               time.Duration

	AdminClientID, AdminClientSecret string

	TokenTTL time.Duration
	// Jobs is where serve works jobs: JobsProcess, JobsInline or JobsNone.
	// Empty (a Config built by a test) is JobsInline.
	Jobs                string
	Workers             int
	MaxExportsPerTenant int
	DownloadTTL         time.Duration
	MaxImportBytes      int64
	MaxImportsPerTenant int
	// ExportSplitParts 0 is DefaultScaleSplitParts with PostgreSQL, 1 (never
	// split) with SQLite (jobs.Config.SplitParts, SplitMinUsers).
	ExportSplitParts    int
	ExportSplitMinUsers int64

	// Connection limits (httpapi.HTTPOptions), request limits
	// (httpapi.RateLimits) and the bound of the export queue.
	IdleTimeout                time.Duration
	MinTransferRate            int64
	TransferGrace              time.Duration
	RateLimit                  float64
	RateBurst                  int
	FailureRateLimit           float64
	FailureBurst               int
	MaxPendingExportsPerTenant int

	// The SSRF rules of webhook URLs (webhooks.Guard): http, and loopback
	// and private addresses, are refused unless allowed.
	WebhookAllowHTTP    bool
	WebhookAllowPrivate bool

	// Test and operations knobs, from the environment only; zero takes the
	// job engine's defaults.
	ImportChunk, ImportTimeout, RescueAfter, StaleAfter, CleanupInterval time.Duration

	envErrors []error // bad values of USERPORT_ twins, reported by Validate

	// Not settings, but Tombstones (--tombstone-retention): tests shorten
	// them.
	Lifetimes        userport.Lifetimes
	PollInterval     time.Duration
	ProgressInterval time.Duration // how often a running job writes its progress (jobs.Config)
}

// Where serve works jobs (--jobs).
const (
	JobsProcess = "process" // in a `userport worker` child process that serve starts and stops
	JobsInline  = "inline"  // in serve's own process
	JobsNone    = "none"    // not at all: `userport worker` processes work them
)

// Log formats (--log-format).
const (
	LogText = "text" // slog's key=value lines
	LogJSON = "json" // one JSON object a line
)

// DefaultLogLevel is --log-level's default.
const DefaultLogLevel = "info"

// DefaultKeyRefresh is how often a server reads the signing keys again
// (USERPORT_KEY_REFRESH), so that a key another node or `userport keys`
// added or retired reaches it.
const DefaultKeyRefresh = 10 * time.Second

// DefaultScaleSplitParts is how many ranges an export is split into at most
// in scale mode (PostgreSQL), where workers are processes of their own,
// often on machines of their own: one export then uses up to that many
// workers' cores instead of one process's. The export's own worker writes
// every range no other worker takes, so a busy cluster is never waited for.
const DefaultScaleSplitParts = 4

// maxSplitParts bounds --export-split-parts: each range is one more River
// job and one more part of the joined upload.
const maxSplitParts = 64

// DefaultDataDir is --data-dir's default.
const DefaultDataDir = "./userport-data"

type cs = setting[Config]

// storageSettings are those of every command that opens the store.
var storageSettings = []cs{
	opt("data-dir", func(c *Config) *string { return &c.DataDir }, DefaultDataDir, "directory of the SQLite file, keys and export files"),
	opt("database-url", func(c *Config) *string { return &c.DatabaseURL }, "", "database URL; default: the SQLite file in the data dir"),
	opt("blob-url", func(c *Config) *string { return &c.BlobURL }, "", "s3://bucket/prefix for export and import files in S3; default: the data dir"),
	opt("s3-endpoint", func(c *Config) *string { return &c.S3Endpoint }, "", "an S3-compatible service's URL").env(),
	opt("s3-public-endpoint", func(c *Config) *string { return &c.S3PublicEndpoint }, "", "the URL clients reach that service by").env(),
	opt("master-key", func(c *Config) *string { return &c.MasterKey }, "", "the master key of scale mode").env(),
	opt("master-key-file", func(c *Config) *string { return &c.MasterKeyFile }, "", "a file holding it").env(),
	opt("tenant", func(c *Config) *string { return &c.Tenant }, userport.DefaultTenant, "tenant name; export files are named after it"),
	opt("log-level", func(c *Config) *string { return &c.LogLevel }, DefaultLogLevel, "debug, info, warn or error").filled(),
	opt("log-format", func(c *Config) *string { return &c.LogFormat }, LogText, "text or json: the logs' format on stderr").filled(),
}

// serverSettings are those of the commands that serve or sign tokens,
// besides storageSettings.
var serverSettings = []cs{
	opt("addr", func(c *Config) *string { return &c.Addr }, "127.0.0.1:8080", "listen address"),
	opt("public-url", func(c *Config) *string { return &c.PublicURL }, "", "public base URL; default http://ADDR"),
	opt("token-ttl", func(c *Config) *time.Duration { return &c.TokenTTL }, auth.DefaultTTL, "access token lifetime").filled(),
	opt("workers", func(c *Config) *int { return &c.Workers }, jobs.DefaultWorkers, "jobs worked at once by the process that works jobs").filled(),
	opt("max-exports-per-tenant", func(c *Config) *int { return &c.MaxExportsPerTenant }, jobs.DefaultMaxExportsPerTenant, "exports of one tenant processing at once").filled(),
	opt("download-ttl", func(c *Config) *time.Duration { return &c.DownloadTTL }, httpapi.DefaultDownloadTTL, "lifetime of a signed download URL").filled(),
	opt("max-import-bytes", func(c *Config) *int64 { return &c.MaxImportBytes }, httpapi.DefaultMaxImportBytes, "largest uploaded import file, in bytes"),
	opt("max-imports-per-tenant", func(c *Config) *int { return &c.MaxImportsPerTenant }, userport.DefaultMaxImportsPerTenant, "imports of one tenant pending or processing at once"),
	opt("export-split-parts", func(c *Config) *int { return &c.ExportSplitParts }, 0, fmt.Sprintf("user_id ranges an export is split into at most, "+
		"written by several workers at once; 0: %d with PostgreSQL, 1 (never split) with SQLite", DefaultScaleSplitParts)),
	opt("export-split-min-users", func(c *Config) *int64 { return &c.ExportSplitMinUsers }, jobs.DefaultSplitMinUsers, "fewest users of one range of a split export: smaller exports are not split"),
	opt("idle-timeout", func(c *Config) *time.Duration { return &c.IdleTimeout }, httpapi.DefaultIdleTimeout, "how long a keep-alive connection may wait for its next request"),
	opt("min-transfer-rate", func(c *Config) *int64 { return &c.MinTransferRate }, httpapi.DefaultMinTransferRate, "bytes per second a request body or an answer must move at least"),
	opt("transfer-grace", func(c *Config) *time.Duration { return &c.TransferGrace }, httpapi.DefaultTransferGrace, "how long an upload or a download may stall before it is cut"),
	opt("rate-limit", func(c *Config) *float64 { return &c.RateLimit }, httpapi.DefaultRateLimit, "requests a second of one client"),
	opt("rate-burst", func(c *Config) *int { return &c.RateBurst }, httpapi.DefaultRateBurst, "requests of one client at once"),
	opt("failure-rate-limit", func(c *Config) *float64 { return &c.FailureRateLimit }, httpapi.DefaultFailureRateLimit, "failed authentications a second of one client id or remote address"),
	opt("failure-burst", func(c *Config) *int { return &c.FailureBurst }, httpapi.DefaultFailureBurst, "failed authentications of one client id or remote address at once"),
	opt("tombstone-retention", func(c *Config) *time.Duration { return &c.Lifetimes.Tombstones }, userport.DefaultLifetimes.Tombstones,
		"how long deleted users' tombstones are kept for incremental exports (positive); an older cursor is refused").filled().positive(),
	opt("max-pending-exports-per-tenant", func(c *Config) *int { return &c.MaxPendingExportsPerTenant }, httpapi.DefaultMaxPendingExportsPerTenant, "exports of one tenant pending or processing; one more is refused with 429"),
	opt("webhook-allow-http", func(c *Config) *bool { return &c.WebhookAllowHTTP }, false, "let webhook URLs use http"),
	opt("webhook-allow-private", func(c *Config) *bool { return &c.WebhookAllowPrivate }, false,
		"let webhook URLs reach loopback and private addresses (link-local and cloud metadata addresses never)"),
	opt("import-chunk", func(c *Config) *time.Duration { return &c.ImportChunk }, 0, "how long one River execution of an import runs").env(),
	opt("import-timeout", func(c *Config) *time.Duration { return &c.ImportTimeout }, 0, "its River timeout").env(),
	opt("rescue-after", func(c *Config) *time.Duration { return &c.RescueAfter }, 0, "River's rescue of stuck jobs").env(),
	opt("export-stale-after", func(c *Config) *time.Duration { return &c.StaleAfter }, 0, "how long an export may go without a heartbeat before another worker takes it over").env(),
	opt("cleanup-interval", func(c *Config) *time.Duration { return &c.CleanupInterval }, 0, "how often the cleanup runs").env(),
	opt("key-refresh", func(c *Config) *time.Duration { return &c.KeyRefresh }, DefaultKeyRefresh, "how often a server reads the signing keys again").env().filled(),
	opt("admin-client-id", func(c *Config) *string { return &c.AdminClientID }, "", "the admin client's id").env(),
	opt("admin-client-secret", func(c *Config) *string { return &c.AdminClientSecret }, "", "its secret").env(),
}

// jobsSetting is --jobs, which serve, bench and loadtest take.
var jobsSetting = opt("jobs", func(c *Config) *string { return &c.Jobs }, JobsProcess,
	"where jobs run: process (in a child userport worker process), inline (in this process) or none")

// metricsSetting is --metrics-addr, which serve and worker take.
var metricsSetting = opt("metrics-addr", func(c *Config) *string { return &c.MetricsAddr }, "",
	"serve /metrics on this address of its own (e.g. a private 10.0.0.5:9090): serve's instead of on the API's, the worker's nowhere when empty")

// tenantPattern is what a tenant name may look like (it names files and URLs).
var tenantPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// CheckTenant refuses a tenant name that may not name files and URLs.
func CheckTenant(tenant string) error {
	if !tenantPattern.MatchString(tenant) {
		return fmt.Errorf("invalid --tenant (USERPORT_TENANT) %q: use lower-case letters, digits and '-'", tenant)
	}
	return nil
}

// StorageFlags registers the settings every command that opens the store takes.
func (c *Config) StorageFlags(fs *flag.FlagSet) {
	register(c, fs, &c.envErrors, storageSettings...)
}

// ServerFlags registers the settings of the commands that serve or sign
// tokens: StorageFlags' and the server's.
func (c *Config) ServerFlags(fs *flag.FlagSet) {
	c.StorageFlags(fs)
	register(c, fs, &c.envErrors, serverSettings...)
}

// tokenSettings are the server settings `userport token` takes: where the
// server serves (the token's issuer and audience), the token's lifetime
// and the admin client.
var tokenSettings = []string{"addr", "public-url", "token-ttl", "admin-client-id", "admin-client-secret"}

// TokenFlags registers the settings of `userport token`: StorageFlags' and
// the server's that a token depends on (the others keep their defaults).
func (c *Config) TokenFlags(fs *flag.FlagSet) {
	c.StorageFlags(fs)
	for _, s := range serverSettings {
		if slices.Contains(tokenSettings, s.name) {
			register(c, fs, &c.envErrors, s)
		}
	}
}

// JobsFlag registers --jobs.
func (c *Config) JobsFlag(fs *flag.FlagSet) { register(c, fs, &c.envErrors, jobsSetting) }

// MetricsFlag registers --metrics-addr.
func (c *Config) MetricsFlag(fs *flag.FlagSet) { register(c, fs, &c.envErrors, metricsSetting) }

// WorkerArgs are the flags of a `userport worker` that shares this
// configuration, one for each flag ServerFlags registers (so a new flag
// reaches the worker too); the environment carries the rest.
func (c *Config) WorkerArgs() []string {
	var cp Config
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	cp.ServerFlags(fs) // binds every flag to a field of cp ...
	cp = *c            // ... which now holds this configuration
	var args []string
	fs.VisitAll(func(f *flag.Flag) { args = append(args, "--"+f.Name+"="+f.Value.String()) })
	return args
}

// Validate checks the configuration and fills derived defaults.
func (c *Config) Validate() error {
	for _, check := range []func() error{func() error { return errors.Join(c.envErrors...) }, c.checkStorage, c.checkServer,
		c.checkLimits} {
		if err := check(); err != nil {
			return err
		}
	}
	c.fillDefaults()
	if err := auth.CheckTTL(c.TokenTTL); err != nil {
		return fmt.Errorf("invalid --token-ttl (USERPORT_TOKEN_TTL): %w", err)
	}
	if _, err := c.SlogLevel(); err != nil {
		return err
	}
	if c.LogFormat != LogText && c.LogFormat != LogJSON {
		return fmt.Errorf("invalid --log-format (USERPORT_LOG_FORMAT) %q: want text or json", c.LogFormat)
	}
	return nil
}

// checkStorage checks the tenant, the data dir and where data is kept.
func (c *Config) checkStorage() error {
	if err := CheckTenant(c.Tenant); err != nil {
		return err
	}
	if c.DataDir == "" {
		return errors.New("the data dir must not be empty")
	}
	if _, _, err := c.Database(); err != nil {
		return err
	}
	if err := c.checkBlobURL(); err != nil {
		return err
	}
	if err := c.checkS3Endpoints(); err != nil {
		return err
	}
	return c.checkMasterKey()
}

// checkServer checks the server's addresses, its admin client and --jobs.
func (c *Config) checkServer() error {
	if (c.AdminClientID == "") != (c.AdminClientSecret == "") {
		return errors.New("set both USERPORT_ADMIN_CLIENT_ID and USERPORT_ADMIN_CLIENT_SECRET, or neither")
	}
	if err := checkListenAddr("--addr (USERPORT_ADDR)", c.Addr); err != nil {
		return err
	}
	if err := checkListenAddr("--metrics-addr (USERPORT_METRICS_ADDR)", c.MetricsAddr); err != nil {
		return err
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("invalid --public-url (USERPORT_PUBLIC_URL) %q: want http(s)://host[:port]", c.PublicURL)
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	switch c.Jobs {
	case "", JobsProcess, JobsInline, JobsNone:
		return nil
	}
	return fmt.Errorf("invalid --jobs (USERPORT_JOBS) %q: want process, inline or none", c.Jobs)
}

// checkLimits refuses negative limits and bounds.
func (c *Config) checkLimits() error {
	if c.KeyRefresh < 0 {
		return errors.New("USERPORT_KEY_REFRESH must not be negative")
	}
	if c.Workers < 0 || c.MaxExportsPerTenant < 0 || c.DownloadTTL < 0 || c.ExportSplitParts < 0 || c.ExportSplitMinUsers < 0 {
		return errors.New("--workers, --max-exports-per-tenant, --download-ttl, --export-split-parts and --export-split-min-users must not be negative")
	}
	if c.Lifetimes.Tombstones < 0 {
		return errors.New("--tombstone-retention (USERPORT_TOMBSTONE_RETENTION) must not be negative")
	}
	if c.ExportSplitParts > maxSplitParts {
		return fmt.Errorf("invalid --export-split-parts %d (USERPORT_EXPORT_SPLIT_PARTS): at most %d", c.ExportSplitParts, maxSplitParts)
	}
	if c.MaxImportBytes < 0 || c.MaxImportsPerTenant < 0 || c.ImportChunk < 0 || c.ImportTimeout < 0 || c.RescueAfter < 0 ||
		c.StaleAfter < 0 || c.CleanupInterval < 0 {
		return errors.New("--max-import-bytes, --max-imports-per-tenant and the USERPORT_IMPORT_*/RESCUE_AFTER/EXPORT_STALE_AFTER/CLEANUP_INTERVAL durations must not be negative")
	}
	if c.IdleTimeout < 0 || c.MinTransferRate < 0 || c.TransferGrace < 0 || c.RateLimit < 0 || c.RateBurst < 0 ||
		c.FailureRateLimit < 0 || c.FailureBurst < 0 || c.MaxPendingExportsPerTenant < 0 {
		return errors.New("--idle-timeout, --min-transfer-rate, --transfer-grace, --rate-limit, --rate-burst, --failure-rate-limit, --failure-burst and --max-pending-exports-per-tenant must not be negative")
	}
	if c.ImportChunk > 0 && c.ImportTimeout > 0 && c.ImportTimeout <= c.ImportChunk {
		return errors.New("USERPORT_IMPORT_TIMEOUT must be longer than USERPORT_IMPORT_CHUNK")
	}
	return nil
}

// checkListenAddr returns an error naming setting unless addr is empty (not
// set) or host:port with a port to listen on: a number up to 65535 (0 for
// any free port) or a service name. A missing port would listen on a
// random one without a word.
func checkListenAddr(setting, addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid %s %q: want host:port", setting, addr)
	}
	if port == "" {
		return fmt.Errorf("invalid %s %q: no port", setting, addr)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("invalid %s %q: invalid port %q", setting, addr, port)
	}
	return nil
}

// fillDefaults gives zero settings the defaults a command line would have
// (tests build a Config without flags), where zero means nothing else.
func (c *Config) fillDefaults() {
	fillDefaults(c, storageSettings...)
	fillDefaults(c, serverSettings...)
	if c.ExportSplitParts == 0 {
		c.ExportSplitParts = 1 // embedded: one worker process, whose gzip uses every core already
		if kind, _, _ := c.Database(); kind == DBPostgres {
			c.ExportSplitParts = DefaultScaleSplitParts
		}
	}
	c.Lifetimes = c.Lifetimes.WithDefaults()
}

// SlogLevel parses LogLevel.
func (c *Config) SlogLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("invalid --log-level (USERPORT_LOG_LEVEL) %q: want debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}
