-- An export's filter and change cursor (userport extensions "q" and
-- "changes_since", with the Low of the cursor's watermark) and its manifest:
-- tombstones written, the file's sha256, the users with a value of each
-- field (a JSON array), and the watermark the export read at (its cursor).
-- Marks are xid8 values kept as bigint (below 2^63).
ALTER TABLE jobs
    ADD COLUMN q text NOT NULL DEFAULT '',
    ADD COLUMN changes_since text NOT NULL DEFAULT '',
    ADD COLUMN since bigint NOT NULL DEFAULT 0,
    ADD COLUMN tombstones bigint NOT NULL DEFAULT 0,
    ADD COLUMN sha256 text NOT NULL DEFAULT '',
    ADD COLUMN field_counts text NOT NULL DEFAULT '[]',
    ADD COLUMN mark_low bigint NOT NULL DEFAULT 0,
    ADD COLUMN mark_high bigint NOT NULL DEFAULT 0,
    ADD COLUMN mark_at timestamptz,
    ADD COLUMN has_mark boolean NOT NULL DEFAULT false;
-- A split export's part keeps its field counts too: the manifest sums them.
ALTER TABLE export_parts ADD COLUMN field_counts text NOT NULL DEFAULT '[]';
