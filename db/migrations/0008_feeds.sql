-- Catalogue feeds (issue 14): where each applied package came from, and what each feed said last.
-- Written only by desktop/sync/feed.py (and the history row of desktop/sync/apply.py).

ALTER TABLE sync_history ADD COLUMN feed_url TEXT;     -- the feed (URL or folder) whose signed index listed the package
ALTER TABLE sync_history ADD COLUMN package_url TEXT;  -- where the package's bytes were fetched from

CREATE TABLE feed_state (
    source TEXT PRIMARY KEY,              -- the feed as configured: an http(s) URL or a folder
    feed_id TEXT NOT NULL,                -- from the signed index
    key_id TEXT NOT NULL,                 -- the key that signed the index
    sequence INTEGER NOT NULL,            -- the newest index sequence accepted (an older one is refused)
    index_sha256 TEXT NOT NULL,           -- of feed.json as accepted
    index_json BLOB NOT NULL,             -- feed.json as accepted (re-verified before use after a 304)
    index_sig BLOB NOT NULL,              -- feed.sig as accepted
    etag TEXT,                            -- validators for the next conditional GET
    last_modified TEXT,
    checked_at TEXT NOT NULL              -- ISO time of the last successful poll
);
CREATE INDEX feed_state_feed ON feed_state(feed_id, key_id);
