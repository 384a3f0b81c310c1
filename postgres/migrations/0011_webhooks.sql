-- Completion webhooks (a userport extension): a tenant's endpoints, their
-- sealed signing secrets (the one before the last rotation signs beside the
-- new one until old_until), and one delivery per event and endpoint with its
-- attempts (a JSON array).
CREATE TABLE webhooks (
    tenant          text COLLATE "C" NOT NULL,
    id              text COLLATE "C" NOT NULL,
    url             text NOT NULL,
    sealed          bytea NOT NULL,
    old_sealed      bytea,
    old_until       timestamptz,
    disabled_at     timestamptz,
    disabled_reason text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE webhook_deliveries (
    tenant     text COLLATE "C" NOT NULL,
    webhook_id text COLLATE "C" NOT NULL,
    event_id   text COLLATE "C" NOT NULL,
    event_type text NOT NULL,
    job_id     text NOT NULL,
    payload    bytea NOT NULL,
    status     text NOT NULL,
    attempts   text NOT NULL DEFAULT '[]',
    next_at    timestamptz,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, webhook_id, event_id),
    FOREIGN KEY (tenant, webhook_id) REFERENCES webhooks (tenant, id) ON DELETE CASCADE
);

-- A webhook's deliveries, newest first (ListDeliveries).
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (tenant, webhook_id, created_at, event_id);

-- The cleanup's purge of old deliveries (PurgeDeliveries).
CREATE INDEX webhook_deliveries_purge ON webhook_deliveries (created_at);
