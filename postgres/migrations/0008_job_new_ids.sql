-- An import job's new_ids (a userport extension): the file's user ids are
-- dropped and every user gets a new one.
ALTER TABLE jobs ADD COLUMN new_ids boolean NOT NULL DEFAULT false;
