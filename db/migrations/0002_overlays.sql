-- Provincial (and national) lists laid over an edition: dual-channel, two-disease,
-- transition periods, single-payment lists, high-value drug classes, self-pay ratios.

CREATE TABLE overlay (
    id INTEGER PRIMARY KEY,
    overlay_id TEXT NOT NULL UNIQUE,      -- 'jilin-dual-channel-2024'
    kind TEXT NOT NULL,                   -- dual_channel, two_diseases, transition, single_payment, high_value, ...
    region TEXT NOT NULL,                 -- 'national', 'jilin', 'hunan', 'weihai'
    title TEXT NOT NULL,
    document TEXT,                        -- the notice it states
    published TEXT,
    effective_start TEXT,
    effective_end TEXT,
    complete INTEGER NOT NULL CHECK (complete IN (0, 1)),
    note TEXT,                            -- why it is partial, what is missing
    package_id TEXT,
    loaded_at TEXT NOT NULL
);

CREATE TABLE overlay_item (
    id INTEGER PRIMARY KEY,
    overlay_id INTEGER NOT NULL REFERENCES overlay(id) ON DELETE CASCADE,
    name TEXT NOT NULL,                   -- as the notice names it
    dosage_form TEXT,
    match_key TEXT NOT NULL,              -- normalise.match_key(name)
    action TEXT NOT NULL CHECK (action IN ('add', 'remove', 'set')),
    attrs TEXT NOT NULL DEFAULT '{}',     -- JSON: e.g. {"ratio": "0.10"}, {"class": "high_value"}
    start TEXT,
    end TEXT,
    source TEXT
);
CREATE INDEX overlay_item_key ON overlay_item(match_key);
CREATE INDEX overlay_region ON overlay(region, kind);
