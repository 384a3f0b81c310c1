package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/jobs"
)

// Config is the configuration of every command: flags, each with a USERPORT_*
// environment twin (the flag wins), validated once and passed down.
type Config struct {
	Addr        string // listen address of serve
	DataDir     string // SQLite file, keys, local export files
	Tenant      string // the tenant's name; names export files
	PublicURL   string // base URL clients use; issuer and audience derive from it
	DatabaseURL string // "" for the SQLite file in DataDir
	// BlobURL is "" for export and import files in DataDir, or
	// s3://bucket/prefix; S3Endpoint and S3PublicEndpoint
	// (USERPORT_S3_ENDPOINT, USERPORT_S3_PUBLIC_ENDPOINT) name an
	// S3-compatible service and the address clients reach it by.
	BlobURL          string
	S3Endpoint       string
	S3PublicEndpoint string
	LogLevel         string
	LogFormat        string // text or json
	// MetricsAddr is where /metrics is served on an address of its own
	// (serve: instead of the API's; worker: "" for nowhere).
	MetricsAddr string
	// MasterKey and MasterKeyFile (USERPORT_MASTER_KEY,
	// USERPORT_MASTER_KEY_FILE; environment only, never a flag) seal the
	// secrets kept in the database in scale mode.
	MasterKey     string
	MasterKeyFile string
	// KeyRefresh is how often a server reads the signing keys again
	// (USERPORT_KEY_REFRESH), so that a key another node or `userport keys`
	// added or retired reaches it; defaultKeyRefresh when zero.
	KeyRefresh time.Duration

	AdminClientID     string // USERPORT_ADMIN_CLIENT_ID
	AdminClientSecret string // USERPORT_ADMIN_CLIENT_SECRET

	TokenTTL time.Duration

	// Jobs is where serve works jobs: JobsProcess, JobsInline or JobsNone.
	// Empty (a Config built by a test) is JobsInline.
	Jobs                string
	Workers             int           // jobs worked at once by this process
	MaxExportsPerTenant int           // exports of one tenant processing at once
	DownloadTTL         time.Duration // lifetime of a signed download URL
	MaxImportBytes      int64         // largest uploaded import file
	MaxImportsPerTenant int           // imports of one tenant pending or processing at once
	// An export is split into ExportSplitParts user_id ranges at most
	// (0: DefaultScaleSplitParts with PostgreSQL, 1, never split, with
	// SQLite), each of ExportSplitMinUsers users or more, which several
	// workers write at once (jobs.Config.SplitParts, SplitMinUsers).
	ExportSplitParts    int
	ExportSplitMinUsers int64

	// Connection limits (httpapi.HTTPOptions).
	IdleTimeout     time.Duration // a keep-alive connection waiting for its next request
	MinTransferRate int64         // bytes/s a request body or an answer must move at least
	TransferGrace   time.Duration // how long a transfer may stall

	// Request limits (httpapi.RateLimits) and the bound of the export queue.
	RateLimit                  float64 // requests a second of one client
	RateBurst                  int     // requests of one client at once
	FailureRateLimit           float64 // failed authentications a second of one client id or address
	FailureBurst               int     // failed authentications at once
	MaxPendingExportsPerTenant int     // exports of one tenant pending or processing

	// Test and operations knobs, from the environment only: how long one
	// River execution of an import runs (USERPORT_IMPORT_CHUNK), its River
	// timeout (USERPORT_IMPORT_TIMEOUT), River's rescue of stuck jobs
	// (USERPORT_RESCUE_AFTER), how long an export may go without a heartbeat
	// before another worker takes it over (USERPORT_EXPORT_STALE_AFTER) and
	// how often the cleanup runs (USERPORT_CLEANUP_INTERVAL). Zero takes the
	// job engine's defaults.
	ImportChunk     time.Duration
	ImportTimeout   time.Duration
	RescueAfter     time.Duration
	StaleAfter      time.Duration
	CleanupInterval time.Duration

	envErrors []error // bad values of USERPORT_ twins, reported by Validate

	// Not flags: tests shorten them.
	Lifetimes        userport.Lifetimes
	PollInterval     time.Duration
	ProgressInterval time.Duration // how often a running job writes its progress (jobs.Config)
}

// defaultLogLevel is --log-level's default.
const defaultLogLevel = "info"

// defaultKeyRefresh is how often a server reads the signing keys again.
const defaultKeyRefresh = 10 * time.Second

// DefaultScaleSplitParts is how many ranges an export is split into at most
// in scale mode (PostgreSQL), where workers are processes of their own,
// often on machines of their own: one export then uses up to that many
// workers' cores instead of one process's. The export's own worker writes
// every range no other worker takes, so a busy cluster is never waited for.
const DefaultScaleSplitParts = 4

// maxSplitParts bounds --export-split-parts: each range is one more River
// job and one more part of the joined upload.
const maxSplitParts = 64

// tenantPattern is what a tenant name may look like (it names files and URLs).
var tenantPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// env returns the USERPORT_ variable of name, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv("USERPORT_" + name); ok {
		return v
	}
	return def
}

// envOnlyDuration returns the USERPORT_ duration variable of name (a
// setting with no flag), or 0 when unset; a value that does not parse is
// recorded for Validate to report, never taken as the default.
func (c *Config) envOnlyDuration(name string) time.Duration {
	v, ok := os.LookupEnv("USERPORT_" + name)
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		c.envErrors = append(c.envErrors, fmt.Errorf("invalid USERPORT_%s %q: want a duration such as 30s or 5m", name, v))
	}
	return d
}

// storageFlags registers the flags every command that opens the store takes.
func (c *Config) storageFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data-dir", env("DATA_DIR", "./userport-data"), "directory of the SQLite file, keys and export files (USERPORT_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", ""), "database URL; default: the SQLite file in the data dir (USERPORT_DATABASE_URL)")
	fs.StringVar(&c.BlobURL, "blob-url", env("BLOB_URL", ""), "s3://bucket/prefix for export and import files in S3; default: the data dir (USERPORT_BLOB_URL)")
	c.S3Endpoint, c.S3PublicEndpoint = env("S3_ENDPOINT", ""), env("S3_PUBLIC_ENDPOINT", "")
	c.MasterKey, c.MasterKeyFile = env("MASTER_KEY", ""), env("MASTER_KEY_FILE", "")
	fs.StringVar(&c.Tenant, "tenant", env("TENANT", userport.DefaultTenant), "tenant name; export files are named after it (USERPORT_TENANT)")
	fs.StringVar(&c.LogLevel, "log-level", env("LOG_LEVEL", defaultLogLevel), "debug, info, warn or error (USERPORT_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("LOG_FORMAT", LogText), "text or json: the logs' format on stderr (USERPORT_LOG_FORMAT)")
}

// serverFlags registers the flags of the commands that serve or sign tokens.
func (c *Config) serverFlags(fs *flag.FlagSet) {
	c.storageFlags(fs)
	fs.StringVar(&c.Addr, "addr", env("ADDR", "127.0.0.1:8080"), "listen address (USERPORT_ADDR)")
	fs.StringVar(&c.PublicURL, "public-url", env("PUBLIC_URL", ""), "public base URL; default http://ADDR (USERPORT_PUBLIC_URL)")
	fs.DurationVar(&c.TokenTTL, "token-ttl", auth.DefaultTTL, "access token lifetime (USERPORT_TOKEN_TTL)")
	c.envTwin(fs, "token-ttl", "TOKEN_TTL")
	fs.IntVar(&c.Workers, "workers", jobs.DefaultWorkers, "jobs worked at once by the process that works jobs (USERPORT_WORKERS)")
	c.envTwin(fs, "workers", "WORKERS")
	fs.IntVar(&c.MaxExportsPerTenant, "max-exports-per-tenant", jobs.DefaultMaxExportsPerTenant, "exports of one tenant processing at once (USERPORT_MAX_EXPORTS_PER_TENANT)")
	c.envTwin(fs, "max-exports-per-tenant", "MAX_EXPORTS_PER_TENANT")
	fs.DurationVar(&c.DownloadTTL, "download-ttl", httpapi.DefaultDownloadTTL, "lifetime of a signed download URL (USERPORT_DOWNLOAD_TTL)")
	c.envTwin(fs, "download-ttl", "DOWNLOAD_TTL")
	fs.Int64Var(&c.MaxImportBytes, "max-import-bytes", httpapi.DefaultMaxImportBytes, "largest uploaded import file, in bytes (USERPORT_MAX_IMPORT_BYTES)")
	c.envTwin(fs, "max-import-bytes", "MAX_IMPORT_BYTES")
	fs.IntVar(&c.MaxImportsPerTenant, "max-imports-per-tenant", userport.DefaultMaxImportsPerTenant, "imports of one tenant pending or processing at once (USERPORT_MAX_IMPORTS_PER_TENANT)")
	c.envTwin(fs, "max-imports-per-tenant", "MAX_IMPORTS_PER_TENANT")
	fs.IntVar(&c.ExportSplitParts, "export-split-parts", 0, fmt.Sprintf("user_id ranges an export is split into at most, written by several workers at once; 0: %d with PostgreSQL, 1 (never split) with SQLite (USERPORT_EXPORT_SPLIT_PARTS)", DefaultScaleSplitParts))
	c.envTwin(fs, "export-split-parts", "EXPORT_SPLIT_PARTS")
	fs.Int64Var(&c.ExportSplitMinUsers, "export-split-min-users", jobs.DefaultSplitMinUsers, "fewest users of one range of a split export: smaller exports are not split (USERPORT_EXPORT_SPLIT_MIN_USERS)")
	c.envTwin(fs, "export-split-min-users", "EXPORT_SPLIT_MIN_USERS")
	c.connectionFlags(fs)
	c.ImportChunk = c.envOnlyDuration("IMPORT_CHUNK")
	c.ImportTimeout = c.envOnlyDuration("IMPORT_TIMEOUT")
	c.RescueAfter = c.envOnlyDuration("RESCUE_AFTER")
	c.StaleAfter = c.envOnlyDuration("EXPORT_STALE_AFTER")
	c.CleanupInterval = c.envOnlyDuration("CLEANUP_INTERVAL")
	c.KeyRefresh = c.envOnlyDuration("KEY_REFRESH")
	c.AdminClientID = env("ADMIN_CLIENT_ID", "")
	c.AdminClientSecret = env("ADMIN_CLIENT_SECRET", "")
}

// connectionFlags registers the HTTP connection limits.
func (c *Config) connectionFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", httpapi.DefaultIdleTimeout, "how long a keep-alive connection may wait for its next request (USERPORT_IDLE_TIMEOUT)")
	c.envTwin(fs, "idle-timeout", "IDLE_TIMEOUT")
	fs.Int64Var(&c.MinTransferRate, "min-transfer-rate", httpapi.DefaultMinTransferRate, "bytes per second a request body or an answer must move at least (USERPORT_MIN_TRANSFER_RATE)")
	c.envTwin(fs, "min-transfer-rate", "MIN_TRANSFER_RATE")
	fs.DurationVar(&c.TransferGrace, "transfer-grace", httpapi.DefaultTransferGrace, "how long an upload or a download may stall before it is cut (USERPORT_TRANSFER_GRACE)")
	c.envTwin(fs, "transfer-grace", "TRANSFER_GRACE")
	fs.Float64Var(&c.RateLimit, "rate-limit", httpapi.DefaultRateLimit, "requests a second of one client (USERPORT_RATE_LIMIT)")
	c.envTwin(fs, "rate-limit", "RATE_LIMIT")
	fs.IntVar(&c.RateBurst, "rate-burst", httpapi.DefaultRateBurst, "requests of one client at once (USERPORT_RATE_BURST)")
	c.envTwin(fs, "rate-burst", "RATE_BURST")
	fs.Float64Var(&c.FailureRateLimit, "failure-rate-limit", httpapi.DefaultFailureRateLimit, "failed authentications a second of one client id or remote address (USERPORT_FAILURE_RATE_LIMIT)")
	c.envTwin(fs, "failure-rate-limit", "FAILURE_RATE_LIMIT")
	fs.IntVar(&c.FailureBurst, "failure-burst", httpapi.DefaultFailureBurst, "failed authentications of one client id or remote address at once (USERPORT_FAILURE_BURST)")
	c.envTwin(fs, "failure-burst", "FAILURE_BURST")
	fs.IntVar(&c.MaxPendingExportsPerTenant, "max-pending-exports-per-tenant", httpapi.DefaultMaxPendingExportsPerTenant, "exports of one tenant pending or processing; one more is refused with 429 (USERPORT_MAX_PENDING_EXPORTS_PER_TENANT)")
	c.envTwin(fs, "max-pending-exports-per-tenant", "MAX_PENDING_EXPORTS_PER_TENANT")
}

// envTwin gives flag name the value of its USERPORT_ twin env, if set, as if
// it came first on the command line; a value the flag refuses is an error
// Validate reports, naming the variable.
func (c *Config) envTwin(fs *flag.FlagSet, name, env string) {
	v, ok := os.LookupEnv("USERPORT_" + env)
	if !ok {
		return
	}
	if err := fs.Set(name, v); err != nil {
		c.envErrors = append(c.envErrors, fmt.Errorf("invalid USERPORT_%s %q: %w", env, v, err))
	}
}

// Where serve works jobs (--jobs).
const (
	JobsProcess = "process" // in a `userport worker` child process that serve starts and stops
	JobsInline  = "inline"  // in serve's own process
	JobsNone    = "none"    // not at all: `userport worker` processes work them
)

// jobsFlag registers --jobs, which only serve and bench take.
func (c *Config) jobsFlag(fs *flag.FlagSet) {
	fs.StringVar(&c.Jobs, "jobs", env("JOBS", JobsProcess), "where jobs run: process (a child `userport worker`), inline (this process) or none (USERPORT_JOBS)")
}

// workerArgs are the flags of a `userport worker` that shares this
// configuration, one for each flag serverFlags registers (so a new flag
// reaches the worker too); the environment carries the rest.
func (c *Config) workerArgs() []string {
	var cp Config
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	cp.serverFlags(fs) // binds every flag to a field of cp ...
	cp = *c            // ... which now holds this configuration
	var args []string
	fs.VisitAll(func(f *flag.Flag) { args = append(args, "--"+f.Name+"="+f.Value.String()) })
	return args
}

// Validate checks the configuration and fills derived defaults.
func (c *Config) Validate() error {
	if err := errors.Join(c.envErrors...); err != nil {
		return err
	}
	if !tenantPattern.MatchString(c.Tenant) {
		return fmt.Errorf("invalid --tenant (USERPORT_TENANT) %q: use lower-case letters, digits and '-'", c.Tenant)
	}
	if c.DataDir == "" {
		return errors.New("the data dir must not be empty")
	}
	if _, _, err := c.database(); err != nil {
		return err
	}
	if err := c.checkBlobURL(); err != nil {
		return err
	}
	if err := c.checkS3Endpoints(); err != nil {
		return err
	}
	if err := c.checkMasterKey(); err != nil {
		return err
	}
	if c.KeyRefresh < 0 {
		return errors.New("USERPORT_KEY_REFRESH must not be negative")
	}
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
	default:
		return fmt.Errorf("invalid --jobs (USERPORT_JOBS) %q: want process, inline or none", c.Jobs)
	}
	if c.Workers < 0 || c.MaxExportsPerTenant < 0 || c.DownloadTTL < 0 || c.ExportSplitParts < 0 || c.ExportSplitMinUsers < 0 {
		return errors.New("--workers, --max-exports-per-tenant, --download-ttl, --export-split-parts and --export-split-min-users must not be negative")
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
	c.fillDefaults()
	if err := auth.CheckTTL(c.TokenTTL); err != nil {
		return fmt.Errorf("invalid --token-ttl (USERPORT_TOKEN_TTL): %w", err)
	}
	if _, err := c.logLevel(); err != nil {
		return err
	}
	if c.LogFormat != LogText && c.LogFormat != LogJSON {
		return fmt.Errorf("invalid --log-format (USERPORT_LOG_FORMAT) %q: want text or json", c.LogFormat)
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

// Log formats (--log-format).
const (
	LogText = "text" // slog's key=value lines
	LogJSON = "json" // one JSON object a line
)

// fillDefaults gives zero settings their defaults (tests build a Config
// without flags).
func (c *Config) fillDefaults() {
	if c.Workers == 0 {
		c.Workers = jobs.DefaultWorkers
	}
	if c.MaxExportsPerTenant == 0 {
		c.MaxExportsPerTenant = jobs.DefaultMaxExportsPerTenant
	}
	if c.DownloadTTL == 0 {
		c.DownloadTTL = httpapi.DefaultDownloadTTL
	}
	if c.ExportSplitParts == 0 {
		c.ExportSplitParts = 1 // embedded: one worker process, whose gzip uses every core already
		if kind, _, _ := c.database(); kind == dbPostgres {
			c.ExportSplitParts = DefaultScaleSplitParts
		}
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = auth.DefaultTTL
	}
	if c.LogLevel == "" {
		c.LogLevel = defaultLogLevel
	}
	if c.KeyRefresh == 0 {
		c.KeyRefresh = defaultKeyRefresh
	}
	if c.LogFormat == "" {
		c.LogFormat = LogText
	}
	c.Lifetimes = c.Lifetimes.WithDefaults()
}

// logLevel parses LogLevel.
func (c *Config) logLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("invalid --log-level (USERPORT_LOG_LEVEL) %q: want debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}
