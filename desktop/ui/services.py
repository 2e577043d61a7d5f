"""The window's view of the core capabilities that land one by one (rules, settings, receipts, sync).

Each accessor returns the core module, or ``None`` while it is not installed, so a screen can
say plainly what is missing instead of failing. Nothing here holds state or touches Qt.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType

from desktop.rules import labels


def optional(name: str, *attrs: str) -> ModuleType | None:
    """Import ``name`` if it exists (and has ``attrs``); ``None`` when that capability has not landed yet."""
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name and (name == err.name or name.startswith(err.name + ".")):
            return None
        raise
    if any(not hasattr(module, a) for a in attrs):
        return None
    return module


def rules() -> ModuleType | None:
    return optional("desktop.rules.service", "check", "estimate")


def settings() -> ModuleType | None:
    return optional("desktop.settings", "get", "save")


def receipts() -> ModuleType | None:
    """The receipts package (layout, pdf, history), when it has landed."""
    return optional("desktop.receipts")


def sync() -> ModuleType | None:
    return optional("desktop.sync")


#: Insurance types, patient groups and benefit channels of desktop.rules (codes -> staff labels).
INSURANCE = labels.INSURANCES
GROUPS = labels.GROUPS
CHANNELS = labels.CHANNELS
#: Conditions staff confirm (codes of desktop.rules eligibility).
CONDITIONS = {
    "restriction": "符合限定支付范围",
    "second_line": "有二线用药依据",
    "filing": "双通道备案已审核",
    "e_prescription": "电子处方已流转",
    "responsible_physician": "责任医师已确认",
    "three_fixed": "符合“三定”管理",
}
VERDICT_COLOURS = {
    "covered": "#1b7f3b",
    "conditional": "#b36b00",
    "not_covered": "#b3261e",
    "unknown": "#5f6368",
}


@dataclass(frozen=True)
class Patient:
    """Who the estimate is for, as staff set it (F3)."""

    insurance: str = "employee"
    group: str = "general"
    channel: str = "outpatient"
    deductible_remaining: Decimal | None = None  # None: unknown, stated as an assumption by the rules
    cap_remaining: Decimal | None = None
