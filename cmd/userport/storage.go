package main

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"os"
	"path/filepath"

	"github.com/userport/userport"
	"github.com/userport/userport/importer"
	"github.com/userport/userport/internal/config"
	"github.com/userport/userport/internal/secrets"
	"github.com/userport/userport/jobs"
	"github.com/userport/userport/localblob"
	"github.com/userport/userport/postgres"
	"github.com/userport/userport/s3blob"
	"github.com/userport/userport/sqlite"
)

// engine is the job engine (jobs.Engine) whatever its database driver.
type engine interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	EnqueueTx(ctx context.Context, tx userport.Tx, job *userport.Job) error
	QueueCounts(ctx context.Context) (map[string]int64, error)
}

// database is the store the configuration names, and how to build the job
// engine on the same database.
type database struct {
	userport.Store
	// newEngine builds the job engine on the store's database, River's
	// tables migrated.
	newEngine func(ctx context.Context, deps jobs.Deps, cfg jobs.Config, work bool) (engine, error)
}

// LoadUsers is the store's own bulk load, which the embedded interface
// would hide (userport seed lost it once: 40,000 users/s fell to 5,500).
func (d *database) LoadUsers(ctx context.Context, expected int, batches iter.Seq[[]*userport.User]) error {
	return userport.LoadUsers(ctx, d.Store, expected, batches)
}

// WriteImportBatches is the store's own (SQLite's: importer.BatchesStore),
// which the embedded interface would hide: a server's imports then wrote
// one batch per transaction (issue 20). A store without it writes b alone,
// one transaction per batch.
func (d *database) WriteImportBatches(ctx context.Context, b *userport.ImportBatch,
	next func(context.Context, func() bool) *userport.ImportBatch) (*userport.ImportState, error) {
	if bs, ok := d.Store.(importer.BatchesStore); ok {
		return bs.WriteImportBatches(ctx, b, next)
	}
	return d.Store.WriteImportBatch(ctx, b)
}

// openStore opens the configured database (migrated).
func openStore(ctx context.Context, cfg *Config) (*database, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	kind, target, err := cfg.Database()
	if err != nil {
		return nil, err
	}
	var db *database
	if kind == config.DBPostgres {
		db, err = openPostgres(ctx, target)
	} else {
		db, err = openSQLite(ctx, target)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// openSQLite opens the SQLite file, and the job engine on it.
func openSQLite(ctx context.Context, path string) (*database, error) {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return &database{Store: db, newEngine: func(ctx context.Context, deps jobs.Deps, cfg jobs.Config, work bool) (engine, error) {
		return jobs.OnSQLite(ctx, db.SQL(), deps, cfg, work)
	}}, nil
}

// openPostgres opens the PostgreSQL database, and the job engine on it.
func openPostgres(ctx context.Context, url string) (*database, error) {
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		return nil, err
	}
	return &database{Store: db, newEngine: func(_ context.Context, deps jobs.Deps, cfg jobs.Config, work bool) (engine, error) {
		return jobs.OnPostgres(db.Pool(), deps, cfg, work)
	}}, nil
}

// openBlobs opens the configured blob store: local files in the data dir,
// whose links this server signs with the download key of sec and serves
// (downloads), or S3, whose presigned links clients fetch from S3 itself
// (downloads nil).
func openBlobs(ctx context.Context, cfg *Config, sec *secrets.Secrets, clock userport.Clock) (blobs userport.BlobStore, downloads http.Handler, err error) {
	if cfg.BlobURL != "" {
		s, err := s3blob.Open(ctx, cfg.BlobURL, s3blob.Options{Endpoint: cfg.S3Endpoint, PublicEndpoint: cfg.S3PublicEndpoint})
		if err != nil {
			return nil, nil, fmt.Errorf("open blob store %s: %w", cfg.BlobURL, err)
		}
		return s, nil, nil
	}
	key, err := sec.DownloadKey(ctx)
	if err != nil {
		return nil, nil, err
	}
	local, err := localblob.New(filepath.Join(cfg.DataDir, "exports"), cfg.PublicURL, key, clock)
	if err != nil {
		return nil, nil, err
	}
	// Download links name the tenant: another tenant's server refuses them.
	bound, err := local.ForTenant(cfg.Tenant)
	if err != nil {
		return nil, nil, err
	}
	return bound, bound.Handler(), nil
}
