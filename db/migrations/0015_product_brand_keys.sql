-- Brands typed by pinyin at the counter (issue 13: 芬必得 as fbd or fenbide): product_term gains the
-- fields brand_initials and brand_pinyin (desktop/storage/products.py BRAND_KEYS). No table changes:
-- the terms are computed in Python, so applying this migration re-indexes the installed products
-- (desktop/storage/catalogue.py REINDEX_AFTER).
SELECT 1;
