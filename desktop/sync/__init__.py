"""Catalogue updates from signed file packages: read, verify, validate, apply, diff, roll back."""
