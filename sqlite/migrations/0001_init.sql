-- Users, clustered by (tenant, user_id) so that exports read them in key order.
CREATE TABLE users (
    tenant        TEXT    NOT NULL,
    user_id       TEXT    NOT NULL,
    connection_id TEXT    NOT NULL,
    email         TEXT    NOT NULL DEFAULT '',
    username      TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER,            -- Unix milliseconds, NULL for none
    updated_at    INTEGER,
    doc           TEXT    NOT NULL,   -- the Auth0 profile, raw JSON
    PRIMARY KEY (tenant, user_id)
) WITHOUT ROWID;

CREATE UNIQUE INDEX users_email ON users (tenant, connection_id, email) WHERE email <> '';
CREATE UNIQUE INDEX users_username ON users (tenant, connection_id, username) WHERE username <> '';
CREATE INDEX users_connection ON users (tenant, connection_id, user_id);

CREATE TABLE connections (
    tenant     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    strategy   TEXT    NOT NULL,
    created_at INTEGER,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

CREATE UNIQUE INDEX connections_name ON connections (tenant, name);

CREATE TABLE clients (
    tenant      TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    secret_hash TEXT    NOT NULL,
    scopes      TEXT    NOT NULL,     -- JSON array of strings
    created_at  INTEGER,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

CREATE TABLE jobs (
    tenant            TEXT    NOT NULL,
    id                TEXT    NOT NULL,
    type              TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    connection_id     TEXT    NOT NULL DEFAULT '',
    connection        TEXT    NOT NULL DEFAULT '',
    format            TEXT    NOT NULL DEFAULT '',
    export_limit      INTEGER NOT NULL DEFAULT 0,
    fields            TEXT    NOT NULL DEFAULT '[]',  -- JSON array of {name, export_as}
    upsert            INTEGER NOT NULL DEFAULT 0,
    external_id       TEXT    NOT NULL DEFAULT '',
    send_email        INTEGER NOT NULL DEFAULT 0,
    summary           TEXT,                           -- JSON object, NULL for none
    upload_key        TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER,
    started_at        INTEGER,
    completed_at      INTEGER,
    percentage_done   INTEGER NOT NULL DEFAULT 0,
    time_left_seconds INTEGER NOT NULL DEFAULT 0,
    status_details    TEXT    NOT NULL DEFAULT '',
    file_key          TEXT    NOT NULL DEFAULT '',
    file_name         TEXT    NOT NULL DEFAULT '',
    row_count         INTEGER NOT NULL DEFAULT 0,
    file_bytes        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_tenant_created ON jobs (tenant, created_at);
