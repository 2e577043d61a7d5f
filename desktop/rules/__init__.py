"""Eligibility and copay estimates: policy as data, answered as of a date."""
