-- Confidential payment standards ("*" in the catalogue) as the province sends them to the pharmacy.
-- Keyed by the drug (entry key: normalised name | dosage form, stable across editions), the
-- specification and the agreement period the standard belongs to: a new agreement period needs
-- a new value, an old one is never reused. Read and written only by desktop/storage/confidential.py;
-- no output of Yaomu shows the amount (only "已录入（有效至 …）").

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
CREATE INDEX confidential_standard_key ON confidential_standard(entry_key, agreement_start);
