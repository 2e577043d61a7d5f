-- Printed copay estimates: receipt numbers, the issued-estimate history, reprints, the check-value key.

-- One row per pharmacy (designated-institution code): the last number handed out. A number is
-- committed here before its PDF is drawn, so a crash can never hand the same number out twice.
CREATE TABLE receipt_counter (
    pharmacy_code TEXT PRIMARY KEY,
    last_day TEXT NOT NULL,               -- ISO date of the last number
    last_seq INTEGER NOT NULL CHECK (last_seq >= 1)
);

-- Every issued estimate, exactly as printed (request and result JSON are kept verbatim).
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
    status TEXT NOT NULL CHECK (status IN ('reserved', 'printed')),
    UNIQUE (pharmacy_code, day, seq)
);
CREATE INDEX receipt_day ON receipt(day);
CREATE INDEX receipt_issued_at ON receipt(issued_at);

-- Each time a receipt was drawn: the original and every 补打.
CREATE TABLE receipt_print (
    id INTEGER PRIMARY KEY,
    receipt_id INTEGER NOT NULL REFERENCES receipt(id) ON DELETE CASCADE,
    printed_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('original', 'reprint')),
    staff TEXT
);
CREATE INDEX receipt_print_receipt ON receipt_print(receipt_id);

-- The pharmacy's secret for receipt check values; created on first use, never printed.
CREATE TABLE receipt_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT NOT NULL,                 -- hex
    created_at TEXT NOT NULL
);
