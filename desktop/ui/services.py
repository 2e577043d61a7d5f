"""The window's view of the core: the rules and settings modules, imported on first use (the
rules and their policy files cost ~100 ms, kept off start-up), and the labels the screens show.
Nothing here holds state or touches Qt.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType

from desktop.rules import labels


def rules() -> ModuleType:
    return importlib.import_module("desktop.rules.service")


def policy() -> ModuleType:
    return importlib.import_module("desktop.rules.policy")


def settings() -> ModuleType:
    return importlib.import_module("desktop.settings")


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
