-- Product re-imports and stale 对码 (issue 13).

-- The digest of each product's row as it was read from the file (raw cells, keyed by the header and
-- the reader's version: desktop/products/adapters.py). A re-import recognises the rows identical to
-- the installed ones by it and neither parses nor compares them. NULL (imported before, restored by a
-- rollback, or from an NHSA export): the row is parsed.
ALTER TABLE product ADD COLUMN source_digest TEXT;

-- What a mapping was made against: the digest of the product fields that matter at the counter and at
-- settlement (desktop/products/items.py COUNTER_FIELDS), so a change to another field (市场状态, 备注 …)
-- leaves the 对码 current. NULL (a mapping made before): product_digest, the whole row's, decides once.
ALTER TABLE item_match ADD COLUMN counter_digest TEXT;

-- A code's change history (the fields a stale 对码's reason names), without walking every import's diff.
CREATE INDEX product_change_code ON product_change(code);
