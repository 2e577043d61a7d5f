-- Products of the national 医保药品分类与代码 database, the store's own items and their 对码,
-- learned 追溯码 prefixes and the 追溯码 sold on receipts.

-- One row per import (or rollback) of the product database.
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

-- A product: one 医保药品代码. Columns follow the 26 columns of sheet 总表.
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
);
CREATE INDEX product_standard_code ON product(standard_code);
CREATE INDEX product_approval ON product(approval_no, spec);
CREATE INDEX product_entry_key ON product(entry_key);

-- Search terms of products (brand, registered name, manufacturer, 批准文号 without 国药准字), for prefix
-- lookups by B-tree range: constant work per keystroke whatever the table size. Codes and 本位码 are
-- looked up in product's own indexes.
CREATE TABLE product_term (
    term TEXT NOT NULL,
    product_id INTEGER NOT NULL,
    field TEXT NOT NULL,
    PRIMARY KEY (term, product_id, field)
) WITHOUT ROWID;

-- The drug-by-drug diff of each import: enough to undo it.
CREATE TABLE product_change (
    import_id INTEGER NOT NULL REFERENCES product_import(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('added', 'changed', 'removed', 'replaced')),
    replaced_by TEXT,                     -- for 'replaced': the new code naming it in 曾用码
    fields TEXT,                          -- JSON: names of the changed fields
    old TEXT,                             -- JSON of the row before (changed/removed/replaced)
    PRIMARY KEY (import_id, code)
);

-- The pharmacy's own items, from its POS/ERP export.
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
CREATE INDEX store_item_barcode ON store_item(barcode);
CREATE INDEX store_item_standard ON store_item(standard_code);

-- 对码: an item's product, how it was found and whether a person confirmed it.
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
);
CREATE INDEX item_match_product ON item_match(product_code);

-- 药品标识码 (first 7 digits of a 追溯码) learned at goods-in or at the first sale.
CREATE TABLE trace_prefix (
    prefix TEXT PRIMARY KEY CHECK (length(prefix) = 7),
    item_id TEXT NOT NULL REFERENCES store_item(id) ON DELETE CASCADE,
    learned_at TEXT NOT NULL
);

-- 追溯码 sold: one per unit (or per pack for 拆零), with the receipt that carries it.
CREATE TABLE receipt_trace (
    code TEXT NOT NULL,
    receipt_number TEXT NOT NULL,
    line INTEGER NOT NULL,                -- 1-based line of the request
    sold_at TEXT NOT NULL,
    released_at TEXT,                     -- refund: the code may be sold again
    PRIMARY KEY (receipt_number, code)
);
CREATE UNIQUE INDEX receipt_trace_live ON receipt_trace(code) WHERE released_at IS NULL;
