-- Receipt check values keyed outside the database, and a hash chain over the issued receipts (issue 12).
--
-- The HMAC key moves to the OS keyring or a 0600 file beside the database (desktop/receipts/keystore.py);
-- the database keeps only the key's id, so a copy of the database (or a back-up) cannot re-sign an
-- edited row. Each receipt carries a link: HMAC(key, previous link + its number, check value and stored
-- content); the head (count and last link, itself keyed) detects a row deleted at the end.

CREATE TABLE receipt_key_ref (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key_id TEXT NOT NULL,                 -- names the key in the keyring / key file; not secret
    created_at TEXT NOT NULL
);

ALTER TABLE receipt ADD COLUMN chain TEXT;  -- hex; NULL for receipts issued before this migration

CREATE TABLE receipt_chain_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    count INTEGER NOT NULL,               -- receipts in the chain
    last TEXT NOT NULL,                   -- the newest link (hex)
    mac TEXT NOT NULL                     -- HMAC(key, count + last): a rolled-back head does not verify
);
