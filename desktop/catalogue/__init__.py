"""The catalogue: editions of the reimbursement drug list, stored, searched and answered as of a date."""
