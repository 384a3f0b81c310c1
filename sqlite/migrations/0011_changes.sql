-- Change tracking, for incremental exports (docs/design.md, "Change
-- tracking"). SQLite runs one writing transaction at a time: each one that
-- writes users advances the one-row counter once and stamps the users it
-- writes, and the tombstones of those it deletes, with the new value. A
-- watermark is the counter as a reader sees it. Users stored before this
-- migration keep the mark 0: a full export reads them all.
CREATE TABLE change_counter (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO change_counter (id, seq) VALUES (1, 0);

ALTER TABLE users ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
-- An incremental export's keyset pages: the tenant's users changed within a
-- range of marks, in (mark, user_id) order.
CREATE INDEX users_changes ON users (tenant, change_seq, user_id);

-- A deleted user (DELETE /users/{id}, a connection's purge), kept until
-- the tombstone retention has passed; a user deleted again keeps one.
CREATE TABLE tombstones (
    tenant        TEXT    NOT NULL,
    user_id       TEXT    NOT NULL,
    connection_id TEXT    NOT NULL,
    deleted_at    INTEGER NOT NULL,  -- Unix milliseconds
    change_seq    INTEGER NOT NULL,
    PRIMARY KEY (tenant, user_id)
) WITHOUT ROWID;
CREATE INDEX tombstones_changes ON tombstones (tenant, change_seq, user_id);
-- The cleanup's purge of old tombstones, of every tenant.
CREATE INDEX tombstones_deleted ON tombstones (deleted_at);

-- The highest mark of each tenant's purged tombstones: a cursor not above
-- it may have missed deletions.
CREATE TABLE change_horizons (
    tenant TEXT    NOT NULL PRIMARY KEY,
    mark   INTEGER NOT NULL
) WITHOUT ROWID;
