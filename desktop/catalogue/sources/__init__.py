"""One adapter per official source format; each returns an ``EditionData``."""
