-- Search index for keystroke speed at 270,000-1,000,000 rows (issue 13 "Speed and scale").
-- The FTS table gains bigram and trigram columns, so a fragment of two or more characters is one
-- short doclist (or a phrase of trigrams) instead of a phrase of single characters, whose doclists
-- for common characters run over most rows; category codes get a B-tree of every prefix in search
-- order. store.reindex() fills both for the editions already installed (the migration step runs it).
DROP TABLE IF EXISTS entry_fts;

-- rowid = entry.pk, so results in rowid order are one edition's rows, ranked shortest name first.
-- chars: single characters (ASCII runs whole), for one-character fragments;
-- g2 / g3: the folded name's (letters and digits, lower case) bigrams and trigrams, in order: a
-- fragment of two is one g2 token, a longer one the phrase of its trigrams;
-- pre: the folded name's first 1..8 letters; ini / py: pinyin initials and full pinyin, searched by
-- prefix through prefix indexes of 1 to 6 letters: without the 4-6 ones a prefix such as 'xiao' or
-- 'fufang' merges the doclists of every full pinyin starting so (21 ms at 1,000,000 rows; 0.12 ms with).
CREATE VIRTUAL TABLE entry_fts USING fts5(
    chars, g2, g3, pre, ini, py, tokenize='unicode61 remove_diacritics 0', prefix='1 2 3 4 5 6'
);

-- Category codes: key '=' || code for the code itself, and each prefix of two or more letters.
CREATE TABLE entry_category_key (
    edition_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    pk INTEGER NOT NULL,
    PRIMARY KEY (edition_id, key, pk)
) WITHOUT ROWID;
