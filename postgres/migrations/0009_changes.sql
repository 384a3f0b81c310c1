-- Change tracking, for incremental exports (docs/design.md, "Change
-- tracking"). Every write of a user stamps its row with the id of the
-- writing transaction (inserts by the default, updates explicitly), and
-- every delete leaves a tombstone stamped the same way. A watermark is the
-- xmin of a snapshot: every transaction below it has ended. Users stored
-- before this migration get its transaction's id (the default is stable:
-- evaluated once, no rewrite of the table).
ALTER TABLE users ADD COLUMN change_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
-- An incremental export's keyset pages: the tenant's users changed within a
-- range of transaction ids, in (mark, user_id) order.
CREATE INDEX users_changes ON users (tenant, change_xid, user_id);

-- A deleted user (DELETE /users/{id}, a connection's purge), kept until
-- the tombstone retention has passed; a user deleted again keeps one.
CREATE TABLE tombstones (
    tenant        text COLLATE "C" NOT NULL,
    user_id       text COLLATE "C" NOT NULL,
    connection_id text COLLATE "C" NOT NULL,
    deleted_at    timestamptz NOT NULL DEFAULT statement_timestamp(),
    change_xid    xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (tenant, user_id)
);
CREATE INDEX tombstones_changes ON tombstones (tenant, change_xid, user_id);
-- The cleanup's purge of old tombstones, of every tenant.
CREATE INDEX tombstones_deleted ON tombstones (deleted_at);

-- The highest mark of each tenant's purged tombstones: a cursor not above
-- it may have missed deletions.
CREATE TABLE change_horizons (
    tenant text COLLATE "C" NOT NULL PRIMARY KEY,
    mark   xid8 NOT NULL
);
