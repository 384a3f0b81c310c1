-- The schema of userport on PostgreSQL: the SQLite schema's tables and
-- indexes. Keys and the columns compared in indexes are COLLATE "C", so that
-- they sort by bytes, as in SQLite and Go, whatever the database's locale.
-- Times are timestamptz at millisecond precision, NULL for none.

-- Users, keyed by (tenant, user_id): exports read them in key order. The
-- profile document is text, not jsonb: it is stored and returned as given,
-- and keyset scans of text read 1.5x faster than of jsonb.
CREATE TABLE users (
    tenant               text COLLATE "C" NOT NULL,
    user_id              text COLLATE "C" NOT NULL,
    connection_id        text COLLATE "C" NOT NULL,
    email                text COLLATE "C" NOT NULL DEFAULT '',
    username             text COLLATE "C" NOT NULL DEFAULT '',
    password_hash        text NOT NULL DEFAULT '',
    created_at           timestamptz,
    updated_at           timestamptz,
    doc                  text NOT NULL,
    -- Auth0's custom_password_hash of an imported user, kept out of doc.
    custom_password_hash text NOT NULL DEFAULT '',
    -- The last import job that wrote the user: tells a duplicate within one
    -- file from a user that existed before the import.
    import_job           text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, user_id)
);

CREATE UNIQUE INDEX users_email ON users (tenant, connection_id, email) WHERE email <> '';
CREATE UNIQUE INDEX users_username ON users (tenant, connection_id, username) WHERE username <> '';
CREATE INDEX users_connection ON users (tenant, connection_id, user_id);

CREATE TABLE connections (
    tenant     text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    name       text COLLATE "C" NOT NULL,
    strategy   text NOT NULL,
    created_at timestamptz,
    PRIMARY KEY (tenant, id)
);

CREATE UNIQUE INDEX connections_name ON connections (tenant, name);

CREATE TABLE clients (
    tenant      text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    name        text NOT NULL,
    secret_hash text NOT NULL,
    scopes      text NOT NULL,  -- JSON array of strings
    created_at  timestamptz,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE jobs (
    tenant            text COLLATE "C" NOT NULL,
    id                text COLLATE "C" NOT NULL,
    type              text COLLATE "C" NOT NULL,
    status            text COLLATE "C" NOT NULL,
    connection_id     text NOT NULL DEFAULT '',
    connection        text NOT NULL DEFAULT '',
    format            text NOT NULL DEFAULT '',
    export_limit      bigint NOT NULL DEFAULT 0,
    fields            text NOT NULL DEFAULT '[]',  -- JSON array of {name, export_as}
    upsert            boolean NOT NULL DEFAULT false,
    external_id       text NOT NULL DEFAULT '',
    send_email        boolean NOT NULL DEFAULT false,
    summary           text,                        -- JSON object, NULL for none
    upload_key        text NOT NULL DEFAULT '',
    created_at        timestamptz,
    started_at        timestamptz,
    completed_at      timestamptz,
    percentage_done   bigint NOT NULL DEFAULT 0,
    time_left_seconds bigint NOT NULL DEFAULT 0,
    status_details    text NOT NULL DEFAULT '',
    file_key          text NOT NULL DEFAULT '',
    file_name         text NOT NULL DEFAULT '',
    row_count         bigint NOT NULL DEFAULT 0,
    file_bytes        bigint NOT NULL DEFAULT 0,
    -- The worker that runs a processing job and when it last said so.
    runner            text NOT NULL DEFAULT '',
    heartbeat_at      timestamptz,
    PRIMARY KEY (tenant, id)
);

CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_tenant_created ON jobs (tenant, created_at);
-- The per-tenant limits count a tenant's jobs of one type by status.
CREATE INDEX jobs_tenant_type_status ON jobs (tenant, type, status);

-- The committed cursor and counters of each import job; purged with the job.
CREATE TABLE import_state (
    tenant     text COLLATE "C" NOT NULL,
    job_id     text COLLATE "C" NOT NULL,
    file_bytes bigint NOT NULL DEFAULT 0,
    records    bigint NOT NULL DEFAULT 0,  -- records of the file consumed
    bytes_read bigint NOT NULL DEFAULT 0,
    inserted   bigint NOT NULL DEFAULT 0,
    updated    bigint NOT NULL DEFAULT 0,
    failed     bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, job_id),
    FOREIGN KEY (tenant, job_id) REFERENCES jobs (tenant, id) ON DELETE CASCADE
);

-- The per-user errors of each import job, by position in the file.
CREATE TABLE import_errors (
    tenant text COLLATE "C" NOT NULL,
    job_id text COLLATE "C" NOT NULL,
    record bigint NOT NULL,
    doc    text NOT NULL,  -- {"user": ..., "errors": [...]}, secrets masked
    PRIMARY KEY (tenant, job_id, record),
    FOREIGN KEY (tenant, job_id) REFERENCES jobs (tenant, id) ON DELETE CASCADE
);
