-- Pharmacy settings (name, designated-institution code, counter, staff, region profile and its
-- parameters, confidential payment standards received from the province, printer and paper).
-- One row per setting; value is JSON. Read and written only by desktop/settings.py.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,                  -- JSON
    updated_at TEXT NOT NULL
);
