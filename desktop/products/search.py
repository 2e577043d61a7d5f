"""Products in the one search box: the lookups live in ``desktop.storage.products`` (the catalogue search,
a lower layer, merges ``entry_pks`` from there); this module is the products package's view of them."""

from __future__ import annotations

from desktop.storage.product_terms import (  # noqa: F401 (re-exported)
    TERM_FIELDS,
    add_terms,
    drop_terms,
    index_all,
    term,
)
from desktop.storage.products import (  # noqa: F401 (re-exported)
    SCAN_LIMIT,
    entry_pks,
    matching_ids,
    products,
    rows_of,
    worth_searching,
)

__all__ = [
    "SCAN_LIMIT",
    "TERM_FIELDS",
    "add_terms",
    "drop_terms",
    "entry_pks",
    "index_all",
    "matching_ids",
    "products",
    "rows_of",
    "term",
    "worth_searching",
]
