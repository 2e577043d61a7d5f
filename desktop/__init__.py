"""Yaomu (药目): the reimbursement drug list at the pharmacy counter."""

__version__ = "0.1.0"
APP_NAME = "yaomu"
APP_TITLE = "药目 Yaomu"
APP_ORG = "Yaomu"
