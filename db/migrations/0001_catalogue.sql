-- Editions of the national drug list and their rows, exactly as published.

CREATE TABLE edition (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,            -- '2024': one variant of an edition is installed at a time
    variant TEXT NOT NULL,                -- 'first', 'revised', 'official'
    title TEXT NOT NULL,
    document TEXT,                        -- 医保发〔2024〕33号
    published TEXT,                       -- ISO date
    effective_start TEXT NOT NULL,
    effective_end TEXT,                   -- NULL: in force until repealed
    source TEXT NOT NULL,
    checksum TEXT NOT NULL,
    package_id TEXT,
    loaded_at TEXT NOT NULL,
    CHECK (effective_end IS NULL OR effective_end >= effective_start)
);

CREATE TABLE edition_section (
    edition_id INTEGER NOT NULL REFERENCES edition(id) ON DELETE CASCADE,
    section TEXT NOT NULL,
    complete INTEGER NOT NULL CHECK (complete IN (0, 1)),
    expected INTEGER,
    note TEXT,
    PRIMARY KEY (edition_id, section)
);

CREATE TABLE entry (
    -- The search order: edition_id * 10^10 + name length * 10^6 + n. Rows of an edition are
    -- contiguous and shortest name first, also after a row-by-row update (store.update_edition).
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,              -- '2025-1a2b3c4d5e6f', stable for a drug within an edition variant
    edition_id INTEGER NOT NULL REFERENCES edition(id) ON DELETE CASCADE,
    key TEXT NOT NULL,                    -- normalised name | dosage form: stable across editions
    seq INTEGER NOT NULL,
    section TEXT NOT NULL,
    subsection TEXT,
    number INTEGER,
    star_of INTEGER,
    name TEXT NOT NULL,
    name_published TEXT NOT NULL,
    dosage_form TEXT,
    class TEXT CHECK (class IS NULL OR class IN ('甲', '乙')),
    category_code TEXT,
    category_path TEXT,
    remark TEXT,
    flags TEXT NOT NULL DEFAULT '[]',     -- JSON array of markers
    payment_standard TEXT,                -- as published; '*' when confidential
    standards TEXT NOT NULL DEFAULT '[]', -- JSON array of {amount, spec, confidential}
    agreement_text TEXT,
    agreement_start TEXT,
    agreement_end TEXT,
    ethnic INTEGER NOT NULL DEFAULT 0,
    pinyin TEXT NOT NULL DEFAULT '',      -- full pinyin, letters and digits only
    initials TEXT NOT NULL DEFAULT '',    -- pinyin initials, letters and digits only
    UNIQUE (edition_id, section, key)
);
CREATE INDEX entry_edition_seq ON entry(edition_id, seq);
CREATE INDEX entry_key ON entry(key);
CREATE INDEX entry_name ON entry(edition_id, name);
CREATE INDEX entry_initials ON entry(edition_id, initials);
CREATE INDEX entry_pinyin ON entry(edition_id, pinyin);
CREATE INDEX entry_number ON entry(edition_id, number);
CREATE INDEX entry_star ON entry(edition_id, star_of);
CREATE INDEX entry_category ON entry(edition_id, category_code, seq);

-- The search index; rowid = entry.pk, so FTS results in rowid order are one edition's rows,
-- already ranked by name length, and LIMIT stops early.
-- chars: the name's characters separated by spaces (unicode61 would treat a run of Chinese
-- as one token), for fragments anywhere in the name;
-- pre: the name's first 1..8 letters as whole tokens ("阿 阿莫 阿莫西 …"), so a prefix is one
-- doclist of exactly the names that start with it (FTS5's "^" would walk every name that
-- merely contains the first character);
-- ini / py: pinyin initials and full pinyin as one token each, searched by prefix through
-- the prefix indexes (a B-tree range cannot return them shortest first without sorting
-- thousands of rows per keystroke at 270,000 rows).
CREATE VIRTUAL TABLE entry_fts USING fts5(
    chars, pre, ini, py, tokenize='unicode61 remove_diacritics 0', prefix='1 2 3'
);
