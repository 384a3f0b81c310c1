-- Completion webhooks (a userport extension): a tenant's endpoints, their
-- sealed signing secrets (the one before the last rotation signs beside the
-- new one until old_until), and one delivery per event and endpoint with its
-- attempts (a JSON array). Times are Unix milliseconds.
CREATE TABLE webhooks (
    tenant          TEXT NOT NULL,
    id              TEXT NOT NULL,
    url             TEXT NOT NULL,
    sealed          BLOB NOT NULL,
    old_sealed      BLOB,
    old_until       INTEGER,
    disabled_at     INTEGER,
    disabled_reason TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

CREATE TABLE webhook_deliveries (
    tenant     TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    event_type TEXT NOT NULL,
    job_id     TEXT NOT NULL,
    payload    BLOB NOT NULL,
    status     TEXT NOT NULL,
    attempts   TEXT NOT NULL DEFAULT '[]',
    next_at    INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, webhook_id, event_id)
) WITHOUT ROWID;

-- A webhook's deliveries, newest first (ListDeliveries).
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (tenant, webhook_id, created_at, event_id);

-- The cleanup's purge of old deliveries (PurgeDeliveries).
CREATE INDEX webhook_deliveries_purge ON webhook_deliveries (created_at);
