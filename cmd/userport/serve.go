package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/userport/userport"
	"github.com/userport/userport/auth"
	"github.com/userport/userport/console"
	"github.com/userport/userport/export"
	"github.com/userport/userport/httpapi"
	"github.com/userport/userport/importer"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/secrets"
	"github.com/userport/userport/internal/supervisor"
	"github.com/userport/userport/jobs"
	"github.com/userport/userport/metrics"
	"github.com/userport/userport/webhooks"
)

// shutdownTimeout bounds how long in-flight requests may take to finish.
const shutdownTimeout = 30 * time.Second

// Main is the running service: what Open started and Close stops. Tests use it
// to run the real program on 127.0.0.1:0.
type Main struct {
	Config Config
	Logger *slog.Logger
	Clock  userport.Clock

	store     *database
	secrets   *secrets.Secrets // where the signing keys and the download key live
	blobs     userport.BlobStore
	downloads http.Handler // serves the local blob store's signed links; nil with S3
	engine    engine
	keys      *auth.KeySet
	cursorKey []byte             // signs and checks the cursors of exports
	webhooks  *httpapi.Webhooks  // the webhooks' SSRF rules and the sealer of their secrets
	stopKeys  context.CancelFunc // ends the periodic reload of keys
	issuer    *auth.Issuer
	listener  net.Listener
	server    *http.Server
	served    chan error
	worker    *supervisor.Child // the job worker process, with --jobs process
	metrics   *metrics.Process
	// Stderr receives the job worker process's logs (os.Stderr when nil).
	Stderr io.Writer
	// wrapBlobs, when set (by tests), wraps the blob store jobs write through.
	wrapBlobs func(userport.BlobStore) userport.BlobStore
	// jobsWait, when set (by tests), replaces shutdownTimeout as Close's
	// wait for running jobs.
	jobsWait time.Duration
	// connState, when set (by tests), is the HTTP server's ConnState hook.
	connState func(net.Conn, http.ConnState)
}

// runServe implements `userport serve`.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m := &Main{Clock: userport.SystemClock{}}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	m.Config.ServerFlags(fs)
	m.Config.JobsFlag(fs)
	m.Config.MetricsFlag(fs)
	if err := parseFlags(fs, args, stderr, &m.Config); err != nil {
		return err
	}
	m.Logger, m.Stderr = m.Config.Logger(stderr), stderr
	if err := m.Open(ctx); err != nil {
		return err
	}
	m.Logger.Info("userport serving", "url", m.URL(), "tenant", m.Config.Tenant, "data_dir", m.Config.DataDir, "jobs", m.Config.Jobs)
	select {
	case <-ctx.Done():
		m.Logger.Info("shutting down")
	case err := <-m.served:
		_ = m.Close()
		return err
	case err := <-m.metrics.Served():
		_ = m.Close()
		return fmt.Errorf("metrics server: %w", err)
	}
	return m.Close()
}

// Open opens the store and keys, makes sure the tenant and the admin client
// exist, and starts serving HTTP.
func (m *Main) Open(ctx context.Context) (err error) {
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	if m.Clock == nil {
		m.Clock = userport.SystemClock{}
	}
	defer func() {
		if err != nil {
			_ = m.Close()
		}
	}()
	if m.listener, err = net.Listen("tcp", m.Config.Addr); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if m.Config.PublicURL == "" {
		m.Config.PublicURL = "http://" + m.listener.Addr().String()
	}
	if err := m.openStorage(ctx); err != nil {
		return err
	}
	if err := m.openKeys(ctx); err != nil {
		return err
	}
	if err := m.ensureAdminClient(ctx); err != nil {
		return err
	}
	m.metrics = metrics.NewProcess(true, m.Logger)
	if err := m.openJobs(ctx); err != nil {
		return err
	}
	// Gauges read from the database at scrape time (every API node shows the same figures).
	m.metrics.Registry.MustRegister(&metrics.Store{Jobs: m.store, Queue: m.engine})
	var childArgs []string
	if m.Config.Jobs == config.JobsProcess {
		addr, err := m.metrics.AddLocalChild("worker")
		if err != nil {
			return err
		}
		childArgs = []string{"--metrics-addr=" + addr}
	}
	if err := m.serveMetrics(); err != nil {
		return err
	}
	api := m.api()
	if api.Console, err = console.New(); err != nil {
		return err
	}
	m.server = httpapi.NewHTTPServer(api.Handler(), httpapi.HTTPOptions{IdleTimeout: m.Config.IdleTimeout,
		MinTransferRate: m.Config.MinTransferRate, TransferGrace: m.Config.TransferGrace, Logger: m.Logger})
	m.server.ConnState = m.connState
	server, listener, served := m.server, m.listener, make(chan error, 1)
	m.served = served
	go func() { // reads only its own copies: Close may clear m's fields at once
		if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
			served <- err
		}
		close(served)
	}()
	if m.Config.Jobs == config.JobsProcess {
		if m.worker, err = supervisor.StartWorker(append(m.Config.WorkerArgs(), childArgs...), cmp.Or[io.Writer](m.Stderr, os.Stderr), m.Logger); err != nil {
			return fmt.Errorf("start the job worker process: %w", err)
		}
	}
	return nil
}

// openStorage opens the data dir, the store, where the secrets are kept
// (checking the master key in scale mode) and the tenant.
func (m *Main) openStorage(ctx context.Context) (err error) {
	if m.store, err = openStore(ctx, &m.Config); err != nil {
		return err
	}
	if m.secrets, err = secrets.Open(ctx, &m.Config, m.store); err != nil {
		return err
	}
	warnOpenDataDir(m.Config.DataDir, m.Logger)
	if _, err := userport.EnsureTenant(ctx, m.store, m.Config.Tenant, m.Clock); err != nil {
		return err
	}
	return nil
}

// openKeys opens the signing keys, the cursor key and the token issuer, and reads the keys
// again every KeyRefresh until Close, so that a key another node or
// `userport keys` added or retired reaches this server.
func (m *Main) openKeys(ctx context.Context) (err error) {
	if m.keys, err = m.secrets.SigningKeys(ctx); err != nil {
		return err
	}
	if m.cursorKey, err = m.secrets.CursorKey(ctx); err != nil {
		return err
	}
	m.issuer = newIssuer(&m.Config, m.keys, m.Clock)
	m.issuer.Clients = &auth.ClientCache{Store: m.store, Clock: m.Clock}
	refresh, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stopKeys = stop
	go m.keys.Refresh(refresh, m.Config.KeyRefresh, func(err error) {
		m.Logger.Warn("could not read the signing keys again; the last ones read stay in use", "err", err)
	})
	return nil
}

// warnOpenDataDir logs a warning when other users may enter or read the data
// dir, which holds the users' data, the signing keys and the admin client's
// credentials. The files userport writes there are its owner's alone anyway.
func warnOpenDataDir(dir string, logger *slog.Logger) {
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	logger.Warn("the data dir is open to other users: chmod 700 it", "data_dir", dir,
		"mode", fmt.Sprintf("%#o", fi.Mode().Perm()))
}

// openJobs opens the export file store and starts the job engine on the
// store's database.
func (m *Main) openJobs(ctx context.Context) (err error) {
	if m.blobs, m.downloads, err = openBlobs(ctx, &m.Config, m.secrets, m.Clock); err != nil {
		return err
	}
	var blobs userport.BlobStore = m.blobs
	if m.wrapBlobs != nil {
		blobs = m.wrapBlobs(blobs)
	}
	if m.webhooks, err = m.openWebhooks(ctx); err != nil {
		return err
	}
	deps := jobs.Deps{Store: m.store, Blobs: blobs, Exporter: &export.Exporter{Users: m.store}, Clock: m.Clock, Logger: m.Logger,
		Importer: &importer.Importer{Store: m.store, Files: m.blobs, Clock: m.Clock},
		Webhooks: &jobs.Webhooks{Client: webhooks.NewClient(m.webhooks.Guard, webhooks.ClientOptions{}), Sealer: m.webhooks.Sealer}}
	cfg := jobs.Config{Workers: m.Config.Workers, MaxExportsPerTenant: m.Config.MaxExportsPerTenant,
		Lifetimes: m.Config.Lifetimes, CleanupInterval: m.Config.CleanupInterval, PollInterval: m.Config.PollInterval,
		MaxImportsPerTenant: m.Config.MaxImportsPerTenant, ImportChunk: m.Config.ImportChunk,
		ImportTimeout: m.Config.ImportTimeout, RescueAfter: m.Config.RescueAfter, StaleAfter: m.Config.StaleAfter,
		SplitParts: m.Config.ExportSplitParts, SplitMinUsers: m.Config.ExportSplitMinUsers,
		ProgressInterval: m.Config.ProgressInterval}
	// With --jobs process or none this process only enqueues jobs.
	work := m.Config.Jobs == "" || m.Config.Jobs == config.JobsInline
	if work {
		deps.Metrics = m.jobMetrics()
	}
	if m.engine, err = m.store.newEngine(ctx, deps, cfg, work); err != nil {
		return err
	}
	return m.engine.Start(ctx)
}

// openWebhooks returns the webhooks' SSRF rules (--webhook-allow-http,
// --webhook-allow-private) and the sealer of their secrets.
func (m *Main) openWebhooks(ctx context.Context) (*httpapi.Webhooks, error) {
	key, err := m.secrets.WebhookKey(ctx)
	if err != nil {
		return nil, err
	}
	guard := &webhooks.Guard{AllowHTTP: m.Config.WebhookAllowHTTP, AllowPrivate: m.Config.WebhookAllowPrivate}
	return &httpapi.Webhooks{Guard: guard, Sealer: webhooks.NewSealer(key)}, nil
}

// newIssuer returns the token issuer for the configured public URL and
// tenant. It verifies only once its Clients is set.
func newIssuer(cfg *Config, keys *auth.KeySet, clock userport.Clock) *auth.Issuer {
	return &auth.Issuer{Keys: keys, Issuer: cfg.PublicURL + "/", Audience: cfg.PublicURL + "/api/v2/",
		Tenant: cfg.Tenant, TTL: cfg.TokenTTL, Clock: clock}
}

// api builds the HTTP API over what Open opened.
func (m *Main) api() *httpapi.Server {
	return &httpapi.Server{Tenant: m.Config.Tenant, PublicURL: m.Config.PublicURL, Store: m.store,
		Issuer: m.issuer, Keys: m.keys, Clock: m.Clock, Logger: m.Logger,
		Queue: m.engine, Blobs: m.blobs, DownloadTTL: m.Config.DownloadTTL,
		Lifetimes: m.Config.Lifetimes.WithDefaults(), CursorKey: m.cursorKey, Downloads: m.downloads,
		MaxImportBytes: m.Config.MaxImportBytes, MaxImportsPerTenant: m.Config.MaxImportsPerTenant,
		MaxPendingExportsPerTenant: m.Config.MaxPendingExportsPerTenant, Webhooks: m.webhooks,
		Metrics: m.metrics.HTTP, MetricsHandler: m.apiMetricsHandler(),
		RateLimits: httpapi.RateLimits{Rate: m.Config.RateLimit, Burst: m.Config.RateBurst,
			FailureRate: m.Config.FailureRateLimit, FailureBurst: m.Config.FailureBurst}}
}

// URL returns the server's public base URL.
func (m *Main) URL() string { return m.Config.PublicURL }

// Close stops serving, letting in-flight requests finish, and closes the store.
func (m *Main) Close() error {
	var errs []error
	if m.stopKeys != nil {
		m.stopKeys()
		m.stopKeys = nil
	}
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		errs = append(errs, m.server.Shutdown(ctx))
		m.server = nil
	} else if m.listener != nil {
		errs = append(errs, m.listener.Close())
	}
	m.listener = nil
	errs = append(errs, m.metrics.Close())
	if m.worker != nil {
		ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(m.jobsWait, shutdownTimeout))
		defer cancel()
		errs = append(errs, m.worker.Stop(ctx))
		m.worker = nil
	}
	if m.engine != nil {
		ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(m.jobsWait, shutdownTimeout))
		defer cancel()
		errs = append(errs, m.engine.Stop(ctx))
		m.engine = nil
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
		m.store = nil
	}
	return errors.Join(errs...)
}

// ensureAdminClient makes sure the tenant has its admin client
// (auth.Admin): the configured one, or on the first start one whose
// credentials go to the tenant's file in the data dir.
func (m *Main) ensureAdminClient(ctx context.Context) error {
	a := &auth.Admin{Store: m.store, Tenant: m.Config.Tenant, DataDir: m.Config.DataDir, PublicURL: m.Config.PublicURL,
		Clock: m.Clock, ID: m.Config.AdminClientID, Secret: m.Config.AdminClientSecret}
	b, err := a.Ensure(ctx)
	if err == nil {
		err = a.RecordURL() // clients of the data dir find the server where it serves now
	}
	switch {
	case err == nil && b.Created:
		m.Logger.Info("created admin client", "client_id", b.File.ClientID, "credentials", b.Path)
	case err == nil && b.File != nil:
		m.Logger.Info("registered the admin client of its credentials file", "client_id", b.File.ClientID, "credentials", b.Path)
	}
	return err
}
