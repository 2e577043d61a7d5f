-- Generated from db/migrations/ by tests/test_migrations.py; do not edit.

CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);

CREATE TABLE confidential_standard (
    id INTEGER PRIMARY KEY,
    entry_key TEXT NOT NULL,
    spec TEXT NOT NULL DEFAULT '',        -- as entered; '' when the drug has a single specification
    spec_key TEXT NOT NULL DEFAULT '',    -- normalised specification for matching ('0.5g' = '500mg')
    agreement_start TEXT NOT NULL,        -- YYYY-MM-DD, the agreement period of the catalogue entry
    agreement_end TEXT NOT NULL,
    amount TEXT NOT NULL,                 -- decimal yuan, two places
    source TEXT NOT NULL,                 -- 'form' (typed in the window / CLI) or the imported file name
    entered_at TEXT NOT NULL,
    UNIQUE (entry_key, spec_key, agreement_start, agreement_end)
);

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

CREATE TABLE entry_category_key (
    edition_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    pk INTEGER NOT NULL,
    PRIMARY KEY (edition_id, key, pk)
) WITHOUT ROWID;

CREATE VIRTUAL TABLE entry_fts USING fts5(
    chars, g2, g3, pre, ini, py, tokenize='unicode61 remove_diacritics 0', prefix='1 2 3 4 5 6'
);

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

CREATE TABLE item_match (
    item_id TEXT PRIMARY KEY REFERENCES store_item(id) ON DELETE CASCADE,
    product_code TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('insurance_code', 'standard_code', 'approval_spec', 'fuzzy', 'manual')),
    confidence INTEGER NOT NULL,          -- 0..100
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('applied', 'suggested', 'confirmed')),
    -- What the mapping answered when it was made; a re-check compares and marks it stale.
    product_digest TEXT,
    entry_key TEXT,
    entry_digest TEXT,
    stale TEXT,                           -- why the mapping no longer answers (NULL: current)
    matched_at TEXT NOT NULL
, counter_digest TEXT);

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

CREATE TABLE product (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,            -- 药品代码 (X… 23 / Z… 20)
    source TEXT,                          -- 数据来源
    registered_name TEXT,                 -- 注册名称
    brand TEXT,                           -- 商品名称
    registered_form TEXT,                 -- 注册剂型
    form TEXT,                            -- 剂型
    registered_spec TEXT,                 -- 注册规格
    spec TEXT,                            -- 规格
    material TEXT,                        -- 包装材质
    pack_quantity TEXT,                   -- 最小包装数量
    unit TEXT,                            -- 最小制剂单位
    pack_unit TEXT,                       -- 最小包装单位
    company TEXT,                         -- 药品企业
    sub_packager TEXT,                    -- 分包装企业名称
    manufacturer TEXT,                    -- 生产企业
    approval_no TEXT,                     -- 批准文号
    former_approval_no TEXT,              -- 原批准文号
    standard_code TEXT,                   -- 药品本位码
    holder TEXT,                          -- 上市药品持有人
    market_status TEXT,                   -- 市场状态
    insurance_name TEXT,                  -- 医保药品名称
    class TEXT,                           -- 甲乙类 of the edition named by ``edition``
    insurance_form TEXT,                  -- 医保剂型
    number INTEGER,                       -- 编号 in that edition
    star INTEGER NOT NULL DEFAULT 0,      -- 编号 given as ★(n): a repeat row
    remark TEXT,                          -- 备注
    former_codes TEXT,                    -- 曾用码, separated by ';'
    edition TEXT,                         -- '2025' for a 2025版甲乙类 column
    digest TEXT NOT NULL,                 -- hash of the fields above: a re-import compares it
    import_id INTEGER REFERENCES product_import(id),
    -- The catalogue entry the product links to (desktop/products/link.py), and why not when not.
    entry_key TEXT,                       -- entry.key: stable across editions
    link_method TEXT,                     -- 'number', 'name', 'segment'
    link_problem TEXT
, source_digest TEXT);

CREATE TABLE product_change (
    import_id INTEGER NOT NULL REFERENCES product_import(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('added', 'changed', 'removed', 'replaced')),
    replaced_by TEXT,                     -- for 'replaced': the new code naming it in 曾用码
    fields TEXT,                          -- JSON: names of the changed fields
    old TEXT,                             -- JSON of the row before (changed/removed/replaced)
    PRIMARY KEY (import_id, code)
);

CREATE TABLE product_import (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,                 -- file name or package id
    format TEXT NOT NULL,                 -- 'xlsx', 'csv', 'nhsa', 'package'
    checksum TEXT NOT NULL,               -- SHA-256 of the file
    imported_at TEXT NOT NULL,
    rows_read INTEGER NOT NULL,
    rows_bad INTEGER NOT NULL,
    added INTEGER NOT NULL,
    changed INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    replaced INTEGER NOT NULL,            -- removed codes named in a new row's 曾用码
    problems TEXT NOT NULL DEFAULT '[]',  -- JSON: the bad rows, [{line, code, reason}]
    rolled_back_at TEXT
);

CREATE TABLE product_term (
    term TEXT NOT NULL,
    product_id INTEGER NOT NULL,
    field TEXT NOT NULL,
    PRIMARY KEY (term, product_id, field)
) WITHOUT ROWID;

CREATE TABLE receipt (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,          -- P22010100001-20250301-0001
    pharmacy_code TEXT NOT NULL,
    day TEXT NOT NULL,                    -- the date in the number (ISO)
    seq INTEGER NOT NULL,
    issued_at TEXT NOT NULL,              -- local time, ISO, seconds
    staff TEXT,
    counter TEXT,
    format TEXT NOT NULL CHECK (format IN ('58mm', '80mm', 'a5')),
    edition TEXT,                         -- edition label the estimate used
    catalogue_version TEXT,               -- edition name/variant/checksum (or package id)
    profile TEXT,
    total TEXT,                           -- copied from the result for listing and export
    fund TEXT,
    patient_total TEXT,
    patient_name TEXT,
    patient_id_masked TEXT,               -- the full ID number is never stored
    request TEXT NOT NULL,                -- JSON
    result TEXT NOT NULL,                 -- JSON
    meta TEXT NOT NULL,                   -- JSON: issuer and patient as printed
    check_value TEXT NOT NULL,            -- HMAC over the printed lines (see desktop/receipts/check.py)
    status TEXT NOT NULL CHECK (status IN ('reserved', 'printed')), chain TEXT,
    UNIQUE (pharmacy_code, day, seq)
);

CREATE TABLE receipt_chain_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    count INTEGER NOT NULL,               -- receipts in the chain
    last TEXT NOT NULL,                   -- the newest link (hex)
    mac TEXT NOT NULL                     -- HMAC(key, count + last): a rolled-back head does not verify
);

CREATE TABLE receipt_counter (
    pharmacy_code TEXT PRIMARY KEY,
    last_day TEXT NOT NULL,               -- ISO date of the last number
    last_seq INTEGER NOT NULL CHECK (last_seq >= 1)
);

CREATE TABLE receipt_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT NOT NULL,                 -- hex
    created_at TEXT NOT NULL
);

CREATE TABLE receipt_key_ref (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key_id TEXT NOT NULL,                 -- names the key in the keyring / key file; not secret
    created_at TEXT NOT NULL
);

CREATE TABLE receipt_print (
    id INTEGER PRIMARY KEY,
    receipt_id INTEGER NOT NULL REFERENCES receipt(id) ON DELETE CASCADE,
    printed_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('original', 'reprint')),
    staff TEXT
);

CREATE TABLE receipt_trace (
    code TEXT NOT NULL,
    receipt_number TEXT NOT NULL,
    line INTEGER NOT NULL,                -- 1-based line of the request
    sold_at TEXT NOT NULL,
    released_at TEXT,                     -- refund: the code may be sold again
    PRIMARY KEY (receipt_number, code)
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,                  -- JSON
    updated_at TEXT NOT NULL
);

CREATE TABLE store_item (
    id TEXT PRIMARY KEY,                  -- 商品编码
    name TEXT NOT NULL,                   -- 商品名称
    generic_name TEXT,                    -- 通用名
    spec TEXT,
    manufacturer TEXT,
    approval_no TEXT,
    barcode TEXT,                         -- 条形码 (EAN-13)
    price TEXT,                           -- 零售价, Decimal as text
    unit TEXT,
    insurance_code TEXT,                  -- 医保药品代码 as the store has it
    standard_code TEXT,                   -- 本位码 as the store has it
    line INTEGER,                         -- line of the imported file
    imported_at TEXT NOT NULL
);

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
, feed_url TEXT, package_url TEXT);

CREATE TABLE trace_prefix (
    prefix TEXT PRIMARY KEY CHECK (length(prefix) = 7),
    item_id TEXT NOT NULL REFERENCES store_item(id) ON DELETE CASCADE,
    learned_at TEXT NOT NULL
);

CREATE INDEX confidential_standard_key ON confidential_standard(entry_key, agreement_start);

CREATE INDEX entry_category ON entry(edition_id, category_code, seq);

CREATE INDEX entry_edition_seq ON entry(edition_id, seq);

CREATE INDEX entry_initials ON entry(edition_id, initials);

CREATE INDEX entry_key ON entry(key);

CREATE INDEX entry_name ON entry(edition_id, name);

CREATE INDEX entry_number ON entry(edition_id, number);

CREATE INDEX entry_pinyin ON entry(edition_id, pinyin);

CREATE INDEX entry_star ON entry(edition_id, star_of);

CREATE INDEX feed_state_feed ON feed_state(feed_id, key_id);

CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");

CREATE INDEX item_match_product ON item_match(product_code);

CREATE INDEX overlay_item_key ON overlay_item(match_key);

CREATE INDEX overlay_region ON overlay(region, kind);

CREATE INDEX product_approval ON product(approval_no, spec);

CREATE INDEX product_change_code ON product_change(code);

CREATE INDEX product_entry_key ON product(entry_key);

CREATE INDEX product_standard_code ON product(standard_code);

CREATE INDEX receipt_day ON receipt(day);

CREATE INDEX receipt_issued_at ON receipt(issued_at);

CREATE INDEX receipt_print_receipt ON receipt_print(receipt_id);

CREATE UNIQUE INDEX receipt_trace_live ON receipt_trace(code) WHERE released_at IS NULL;

CREATE INDEX store_item_barcode ON store_item(barcode);

CREATE INDEX store_item_standard ON store_item(standard_code);

CREATE INDEX sync_history_package ON sync_history(package_id);

CREATE INDEX sync_history_target ON sync_history(target, id);

