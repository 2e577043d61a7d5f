"""Pharmacy settings kept in the database: who we are, our region's profile and the figures we set.

``get(db)`` returns a frozen ``Settings`` (defaults for whatever was never saved);
``save(db, settings)`` validates everything first and reports every problem at once
(``RequestError``), so a bad form never half-saves.

Two kinds of figure live here because no public notice states them:

* ``parameters``: the local policy figures the pharmacy's insurance office announced
  (fund ratio, class-B first self-pay, deductible, cap). Keys are the parameter name,
  optionally narrowed by insurance and channel: ``fund_ratio``, ``fund_ratio:resident``,
  ``fund_ratio:employee:dual_channel``; the most specific key wins. A figure a shipped
  profile states with its source takes precedence; these fill the gaps.
* ``confidential_standards``: the real payment standards of "*" drugs that the province
  sends to designated pharmacies, keyed by the catalogue key of the drug (``Entry.key``,
  stable across editions). They are used in estimates and never shown or printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation

from sqlite_utils import Database

from desktop.errors import RequestError
from desktop.paper import printable_width_problem
from desktop.storage import settings as storage

PAPERS = {"58mm": "58 毫米热敏纸", "80mm": "80 毫米热敏纸", "a5": "A5 纸"}
_CODE = re.compile(r"^[A-Za-z0-9]{0,32}$")
_RATIO_PARAMS = ("first_self_pay", "fund_ratio")
_AMOUNT_PARAMS = ("deductible", "cap")


@dataclass(frozen=True)
class Settings:
    pharmacy_name: str = ""
    institution_code: str = ""  # 定点医药机构编码
    counter: str = ""
    staff: str = ""
    profile: str = "national"
    parameters: dict[str, str] = field(default_factory=dict)
    confidential_standards: dict[str, str] = field(default_factory=dict)
    printer: str = ""
    paper: str = "80mm"
    #: How wide the receipt printer prints, in mm ("": the paper's usual width, 48 on 58 mm rolls, 72 on 80 mm).
    printable_width_mm: str = ""
    # Catalogue feed (issue 14; desktop/schedule.py checks them)
    feed_url: str = ""
    feed_poll_minutes: int = 60
    feed_auto_apply: bool = False  # apply by itself outside opening hours
    opening_hours: str = "08:00-22:00"

    def parameter(self, name: str, insurance: str, channel: str) -> tuple[str, str] | None:
        """The most specific value set for ``name`` (and the key it was found under)."""
        for key in (f"{name}:{insurance}:{channel}", f"{name}:{insurance}", f"{name}:*:{channel}", name):
            if key in self.parameters:
                return self.parameters[key], key
        return None

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)


def _ratio_ok(value: str) -> bool:
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError):
        return False
    return d.is_finite() and 0 <= d <= 1 and -d.as_tuple().exponent <= 4


def _amount_ok(value: str) -> bool:
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError):
        return False
    return d.is_finite() and d >= 0 and (d.as_tuple().exponent >= -2)


def problems(settings: Settings) -> list[str]:
    """Everything wrong with ``settings``, in Chinese (empty when valid)."""
    from desktop.rules import policy  # lazy: policy reads resource files

    out: list[str] = []
    if len(settings.pharmacy_name) > 100:
        out.append("药店名称过长（最多 100 个字）。")
    if not _CODE.match(settings.institution_code or ""):
        out.append(f"定点医药机构编码“{settings.institution_code}”只能包含字母和数字（最多 32 位），请按医保协议填写。")
    if settings.paper not in PAPERS:
        out.append(f"纸张“{settings.paper}”不支持，可选：{'、'.join(PAPERS)}。")
    if problem := printable_width_problem(settings.paper, settings.printable_width_mm):
        out.append(problem)
    if settings.profile not in policy.available():
        out.append(f"地区政策“{settings.profile}”不存在，可选：{'、'.join(policy.available())}。")
    for key, value in settings.parameters.items():
        parts = key.split(":")
        name = parts[0]
        if name not in policy.PARAMETERS or len(parts) > 3:
            out.append(f"参数名“{key}”无法识别；可用：{'、'.join(policy.PARAMETERS)}（可加“:险种[:渠道]”）。")
            continue
        if len(parts) >= 2 and parts[1] not in policy.INSURANCES and parts[1] != "*":
            out.append(f"参数“{key}”中的险种“{parts[1]}”无法识别。")
        if len(parts) == 3 and parts[2] not in policy.CHANNELS:
            out.append(f"参数“{key}”中的渠道“{parts[2]}”无法识别。")
        if name in _RATIO_PARAMS and not _ratio_ok(str(value)):
            out.append(f"参数“{key}”的值“{value}”应为 0 到 1 之间的小数（如 0.80）。")
        if name in _AMOUNT_PARAMS and not _amount_ok(str(value)):
            out.append(f"参数“{key}”的值“{value}”应为不小于 0、最多两位小数的金额。")
    from desktop.schedule import feed_problems

    out += feed_problems(settings)
    for key, value in settings.confidential_standards.items():
        if not key or "|" not in key:
            out.append(f"保密支付标准的药品键“{key}”无效，应为目录条目的 key（名称|剂型）。")
        if not _amount_ok(str(value)) or Decimal(str(value)) <= 0:
            out.append("某个保密支付标准的金额无效（应为大于 0、最多两位小数的金额）。")  # never echo the value
    return out


def get(db: Database) -> Settings:
    """The saved settings (defaults for anything never saved)."""
    stored = storage.load(db)
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in stored.items() if k in known})


def save(db: Database, settings: Settings) -> None:
    """Validate and store all settings in one transaction.

    Raises:
        RequestError: every problem found; nothing is written.
    """
    found = problems(settings)
    if found:
        raise RequestError(found)
    storage.save(db, {f.name: getattr(settings, f.name) for f in fields(Settings)})
