"""Products (医保药品分类与代码), the store's own items and their 对码, scan recognition and 追溯码.

Qt-free core: ``codes`` recognises what a scanner typed, ``adapters`` read the official forms,
``database`` imports them (atomic, with history, diff and rollback), ``link`` ties products to
catalogue entries, ``items`` holds the store list and its matching, ``scan`` answers a scan,
``trace`` guards 追溯码 on receipts and ``search`` lets the one search box find products.
"""
