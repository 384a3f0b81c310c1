-- An export's filter and change cursor (userport extensions "q" and
-- "changes_since", with the Low of the cursor's watermark) and its manifest:
-- tombstones written, the file's sha256, the users with a value of each
-- field (a JSON array), and the watermark the export read at (its cursor).
ALTER TABLE jobs ADD COLUMN q TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN changes_since TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN since INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN tombstones INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN field_counts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE jobs ADD COLUMN mark_low INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN mark_high INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN mark_at INTEGER;
ALTER TABLE jobs ADD COLUMN has_mark INTEGER NOT NULL DEFAULT 0;
-- A split export's part keeps its field counts too: the manifest sums them.
ALTER TABLE export_parts ADD COLUMN field_counts TEXT NOT NULL DEFAULT '[]';
