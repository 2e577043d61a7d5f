"""F5: print the current estimate as a receipt (Qt print dialog with preview) or save it as PDF."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from desktop.errors import UserFacingError
from desktop.ui import services


def print_receipt(parent: QWidget, counter: object) -> None:
    if services.receipts() is None:
        raise UserFacingError("收据模块尚未安装，暂时无法打印。", hint="费用预估仍可在屏幕上查看。")
