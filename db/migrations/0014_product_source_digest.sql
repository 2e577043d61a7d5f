-- Re-import fast path (issue 13): the digest of each product's row as it was read from the file
-- (raw cells, keyed by the header and the reader's version: desktop/products/adapters.py). A re-import
-- recognises the rows identical to the installed ones by it and neither parses nor compares them.
-- NULL (products imported before, restored by a rollback, or from an NHSA export): the row is parsed.
ALTER TABLE product ADD COLUMN source_digest TEXT;
