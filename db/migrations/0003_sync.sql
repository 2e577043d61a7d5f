-- History of catalogue packages applied (and rolled back), with what rollback needs.

CREATE TABLE sync_history (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,                     -- ISO time of the apply / rollback
    who TEXT NOT NULL,                    -- operating-system user @ host
    action TEXT NOT NULL CHECK (action IN ('apply', 'rollback')),
    package_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,                 -- of the whole package file
    kind TEXT NOT NULL CHECK (kind IN ('edition', 'revision', 'overlay')),
    target TEXT NOT NULL,                 -- edition name ('2024') or overlay id
    sequence INTEGER NOT NULL,            -- orders packages of one target: older ones are refused
    publisher TEXT,
    key_id TEXT,                          -- the publisher key that signed it
    summary TEXT NOT NULL DEFAULT '{}',   -- JSON: counts, warnings, label
    snapshot BLOB,                        -- zlib-compressed JSON of the rows this apply replaced
    rolled_back_by INTEGER REFERENCES sync_history(id)
);
CREATE INDEX sync_history_target ON sync_history(target, id);
CREATE INDEX sync_history_package ON sync_history(package_id);
