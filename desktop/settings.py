"""Pharmacy settings kept in the database: who we are, our region's profile and the figures we set.

``get(db)`` returns a frozen ``Settings`` (defaults for whatever was never saved);
``save(db, settings)`` validates everything first and reports every problem at once
(``RequestError``), so a bad form never half-saves.

Every setting staff can change has a *key* (the names ``yaomu settings set KEY VALUE`` takes,
the first-start wizard and the settings dialog use): ``pharmacy_name``, ``institution_code``,
``counter``, ``staff``, ``profile``, ``paper``, ``printer`` and the local policy figures
``fund_ratio``, ``first_self_pay``, ``deductible``, ``cap``, each optionally narrowed by
insurance and channel (``fund_ratio:resident``, ``fund_ratio:employee:dual_channel``,
``fund_ratio:*:chronic``). ``KEYS`` says for each what it is, its unit (% or 元) and where the
figure comes from; ``set_value`` parses what staff type (``80`` or ``80%`` for a ratio, ``600`` or
``600元`` for an amount) into the stored form (ratios as fractions, amounts in yuan).

Two kinds of figure live here because no public notice states them:

* ``parameters``: the local policy figures the pharmacy's insurance office announced
  (fund ratio, class-B first self-pay, deductible, cap). Keys are the parameter name,
  optionally narrowed by insurance and channel; the most specific key wins. A figure a shipped
  profile states with its source takes precedence; these fill the gaps.
* ``confidential_standards``: the real payment standards of "*" drugs that the province
  sends to designated pharmacies, keyed by the catalogue key of the drug (``Entry.key``,
  stable across editions). They are used in estimates and never shown, printed or exported.

Besides the settings, the window keeps small pieces of its own state here (``ui_state``,
``set_ui_state``: window geometry, the folder receipts were last saved to); they are not
settings and are never exported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlite_utils import Database

from desktop.errors import RequestError
from desktop.paper import printable_width_problem
from desktop.rules import labels
from desktop.storage import settings as storage


class SettingsError(RequestError):
    """Settings that cannot be saved; ``problems`` lists every one (nothing was written)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems)
        self.message = "设置有误，未保存：\n" + "\n".join(f"- {p}" for p in problems)
        self.args = (self.message,)


PAPERS = {"58mm": "58 毫米热敏纸", "80mm": "80 毫米热敏纸", "a5": "A5 纸"}
_CODE = re.compile(r"^[A-Za-z0-9]{0,32}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
RATIO_PARAMS = ("fund_ratio", "first_self_pay")
AMOUNT_PARAMS = ("deductible", "cap")
PARAMETER_NAMES = RATIO_PARAMS + AMOUNT_PARAMS
#: Format tag of ``export_document``.
EXPORT_FORMAT = "yaomu-settings"
EXPORT_VERSION = 1
_UI_PREFIX = "ui:"


@dataclass(frozen=True)
class Key:
    """One setting staff can change: its label, unit and where its value comes from."""

    name: str
    label: str
    unit: str  # "" (text or a choice), "%" or "元"
    source: str
    max_length: int = 0  # text keys: longest value


#: The settings staff set, in the order the wizard, the dialog and ``settings show`` list them.
KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("pharmacy_name", "药店名称", "", "营业执照或医保定点协议上的名称，印在收据抬头", 100),
        Key(
            "institution_code",
            "定点医药机构编码",
            "",
            "医保定点协议上的国家医保定点医药机构编码（如 P22010100001）",
            32,
        ),
        Key("counter", "收款台", "", "本店自定，如“1号柜台”，印在收据上", 40),
        Key("staff", "经办人", "", "当班药师或收款员，印在收据上", 40),
        Key("profile", "地区政策", "", "本店所在地区；随附各地医保局的政策文件"),
        Key("paper", "收据纸张", "", "收据打印机所用纸张"),
        Key("printer", "打印机", "", "系统中的打印机名称；留空则打印时选择", 200),
        Key(
            "printable_width_mm",
            "可打印宽度",
            "毫米",
            "收据打印机说明书上的打印宽度；留空按纸张常见值（58 毫米纸 48，80 毫米纸 72）",
            10,
        ),
        Key("fund_ratio", "统筹基金支付比例", "%", "本市医保经办机构公布的门诊统筹（或慢特病、“双通道”）支付比例"),
        Key("first_self_pay", "乙类个人先行自付比例", "%", "本省（市）医保局文件规定的乙类药品先行自付比例"),
        Key("deductible", "起付线", "元", "本市医保局公布的年度起付标准"),
        Key("cap", "年度最高支付限额", "元", "本市医保局公布的年度统筹基金最高支付限额"),
    )
}
TEXT_KEYS = ("pharmacy_name", "institution_code", "counter", "staff", "printer")


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

    def with_changes(self, **changes: Any) -> Settings:  # field names and values checked by validate()
        return replace(self, **changes)

    @property
    def ready_to_issue(self) -> bool:
        """Whether a receipt can carry the pharmacy's name and designated-institution code."""
        return bool(self.pharmacy_name.strip() and self.institution_code.strip())


# --- keys and values -------------------------------------------------------------------------


def key_label(key: str) -> str:
    """What staff read for a key: ``fund_ratio:resident:chronic`` -> 统筹基金支付比例（城乡居民医保·门诊慢特病）."""
    parts = key.split(":")
    base = KEYS[parts[0]].label if parts[0] in KEYS else key
    narrow = []
    if len(parts) >= 2 and parts[1] != "*":
        narrow.append(labels.INSURANCES.get(parts[1], parts[1]))
    if len(parts) == 3:
        narrow.append(labels.CHANNELS.get(parts[2], parts[2]))
    return f"{base}（{'·'.join(narrow)}）" if narrow else base


def parameter_key(name: str, insurance: str | None = None, channel: str | None = None) -> str:
    """The key of a parameter narrowed by insurance and/or channel (``*`` for any insurance)."""
    if channel:
        return f"{name}:{insurance or '*'}:{channel}"
    return f"{name}:{insurance}" if insurance else name


def _key_problems(key: str) -> list[str]:
    parts = key.split(":")
    name = parts[0]
    if name not in PARAMETER_NAMES or len(parts) > 3:
        return [
            f"设置项“{key}”无法识别。可用：{'、'.join(KEYS)}；"
            f"{'、'.join(PARAMETER_NAMES)} 可加“:险种[:渠道]”，如 fund_ratio:resident:outpatient。"
        ]
    out = []
    if len(parts) >= 2 and parts[1] not in labels.INSURANCES and parts[1] != "*":
        out.append(
            f"设置项“{key}”中的险种“{parts[1]}”无法识别，可用：{'、'.join(labels.INSURANCES)}（或 * 表示任意险种）。"
        )
    if len(parts) == 3 and parts[2] not in labels.CHANNELS:
        out.append(f"设置项“{key}”中的渠道“{parts[2]}”无法识别，可用：{'、'.join(labels.CHANNELS)}。")
    return out


def parse_ratio(text: str, label: str = "比例") -> str:
    """A percentage staff typed (``80``, ``80%``, ``12.5 %``) as the stored fraction (``0.80``, ``0.125``).

    >>> parse_ratio("80")
    '0.8'
    >>> parse_ratio("12.5%")
    '0.125'
    >>> parse_ratio("0.8")
    Traceback (most recent call last):
    ...
    ValueError: 比例按百分数填写：80 表示 80%。“0.8”是指 0.8% 吗？如是，请写成 0.8%。
    """
    raw = str(text).strip()
    percent_sign = raw.endswith(("%", "％"))
    number = raw.rstrip("%％").strip()
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"{label}“{raw}”不是数字：请按百分数填写，如 80 或 80%。") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise ValueError(f"{label}“{raw}”应在 0 到 100（%）之间。")
    if 0 < value < 1 and not percent_sign:
        raise ValueError(f"{label}按百分数填写：80 表示 80%。“{raw}”是指 {raw}% 吗？如是，请写成 {raw}%。")
    fraction = value / 100
    if -fraction.as_tuple().exponent > 4:  # type: ignore[operator]
        raise ValueError(f"{label}“{raw}”最多精确到 0.01%。")
    return _plain(fraction)


def parse_amount(text: str, label: str = "金额") -> str:
    """An amount in yuan staff typed (``600``, ``600元``, ``1,500.5``) as the stored string (``600``).

    >>> parse_amount("1,500.50元")
    '1500.50'
    """
    raw = str(text).strip()
    number = raw.removesuffix("元").replace(",", "").replace("，", "").strip()
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"{label}“{raw}”不是金额：请填写元数，如 600 或 600.00。") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{label}“{raw}”应为不小于 0 的金额（元）。")
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(f"{label}“{raw}”最多两位小数（精确到分）。")
    return number


def _plain(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return text


def display(key: str, stored: object) -> str:
    """A stored value as staff read it: ``0.8`` -> ``80%``, ``600`` -> ``600 元``, a profile -> its label."""
    name = key.split(":")[0]
    if stored in (None, ""):
        return ""
    if name in RATIO_PARAMS:
        return f"{_plain(Decimal(str(stored)) * 100)}%"
    if name in AMOUNT_PARAMS:
        return f"{stored} 元"
    if name == "paper":
        return PAPERS.get(str(stored), str(stored))
    if name == "printable_width_mm":
        return f"{stored} 毫米"
    if name == "profile":
        return profile_label(str(stored))
    return str(stored)


def profile_label(profile: str) -> str:
    from desktop.rules import policy  # lazy: policy reads resource files

    try:
        return policy.load(profile).label
    except policy.PolicyError:
        return profile


def profiles() -> dict[str, str]:
    """The shipped region profiles (id -> label), national first."""
    from desktop.rules import policy

    ids = sorted(policy.available(), key=lambda n: (n != "national", n))
    return {p: profile_label(p) for p in ids}


def set_value(settings: Settings, key: str, text: str) -> Settings:
    """``settings`` with ``key`` set from what staff typed; an empty value clears a figure or a text.

    Raises:
        RequestError: the key or the value is not valid (the message says what to type).
    """
    key = key.strip()
    text = str(text).strip()
    if key in ("confidential_standards", "parameters"):
        raise SettingsError([f"“{key}”不能用 settings set 设置。保密支付标准请在窗口的“设置”中录入。"])
    if key in TEXT_KEYS:
        changes: dict[str, Any] = {key: text}  # a TEXT_KEYS field: every one is a str
        return replace(settings, **changes)
    if key == "printable_width_mm":
        from desktop.paper import mm

        value = mm(text) if text else None
        stored = text if value is None or not value.is_finite() else _plain(value)  # a non-number is refused below
        return replace(settings, printable_width_mm=stored)
    if key == "profile":
        options = profiles()
        by_label = {label: code for code, label in options.items()}
        code = by_label.get(text, text)
        if code not in options:
            raise SettingsError(
                [f"地区政策“{text}”不存在，可选：{'、'.join(f'{c}（{lbl}）' for c, lbl in options.items())}。"]
            )
        return replace(settings, profile=code)
    if key == "paper":
        code = text.lower().replace(" ", "").replace("毫米", "mm")
        if code not in PAPERS:
            raise SettingsError([f"收据纸张“{text}”不支持，可选：{'、'.join(PAPERS)}。"])
        return replace(settings, paper=code)
    found = _key_problems(key)
    if found:
        raise SettingsError(found)
    params = dict(settings.parameters)
    if not text:
        params.pop(key, None)
        return replace(settings, parameters=params)
    name = key.split(":")[0]
    try:
        params[key] = parse_ratio(text, key_label(key)) if name in RATIO_PARAMS else parse_amount(text, key_label(key))
    except ValueError as err:
        raise SettingsError([str(err)]) from None
    return replace(settings, parameters=params)


def set_values(settings: Settings, values: dict[str, str]) -> Settings:
    """Apply several ``set_value``s; every problem is reported together, nothing applied on any."""
    problems_found: list[str] = []
    for key, text in values.items():
        try:
            settings = set_value(settings, key, text)
        except RequestError as err:
            problems_found.extend(err.problems)
    if problems_found:
        raise SettingsError(problems_found)
    return settings


def rows(settings: Settings) -> list[dict[str, str]]:
    """What ``settings show`` lists: every key (figures set, plus the unset base figures) with label, value, unit,
    and where it comes from. Confidential standards only as a count."""
    out = []
    for name, k in KEYS.items():
        if name in PARAMETER_NAMES:
            narrowed = sorted(
                (p for p in settings.parameters if p.split(":")[0] == name and p != name),
                key=lambda p: (p.count(":"), p),
            )
            for key in [name, *narrowed]:
                stored = settings.parameters.get(key)
                out.append(
                    {
                        "key": key,
                        "label": key_label(key),
                        "value": "" if stored is None else str(stored),
                        "shown": display(key, stored) or "未设置",
                        "unit": k.unit,
                        "source": k.source,
                    }
                )
            continue
        stored = getattr(settings, name)
        out.append(
            {
                "key": name,
                "label": k.label,
                "value": str(stored),
                "shown": display(name, stored) or "未设置",
                "unit": k.unit,
                "source": k.source,
            }
        )
    return out


def profile_states(profile: str, name: str) -> list[str]:
    """Citations of the profile's notices that state ``name`` for some patients (they win over the setting)."""
    from desktop.rules import policy

    try:
        prof = policy.load(profile)
    except policy.PolicyError:
        return []
    return sorted({r.source.label for r in prof.parameters if r.name == name and not r.fixed})


# --- validation ------------------------------------------------------------------------------


def _ratio_ok(value: str) -> bool:
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError):
        return False
    return d.is_finite() and 0 <= d <= 1 and -d.as_tuple().exponent <= 4  # type: ignore[operator]


def _amount_ok(value: str) -> bool:
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError):
        return False
    return d.is_finite() and d >= 0 and (d.as_tuple().exponent >= -2)  # type: ignore[operator]


def problems(settings: Settings) -> list[str]:
    """Everything wrong with ``settings``, in Chinese (empty when valid)."""
    from desktop.rules import policy  # lazy: policy reads resource files

    out: list[str] = []
    for name in TEXT_KEYS:
        value = getattr(settings, name)
        k = KEYS[name]
        if not isinstance(value, str):
            out.append(f"{k.label}应为文字。")
            continue
        if len(value) > k.max_length:
            out.append(f"{k.label}过长（最多 {k.max_length} 个字）。")
        if _CONTROL.search(value):
            out.append(f"{k.label}含有控制字符（如换行、制表符），请删除后再保存。")
    if isinstance(settings.institution_code, str) and not _CODE.match(settings.institution_code or ""):
        out.append(f"定点医药机构编码“{settings.institution_code}”只能包含字母和数字（最多 32 位），请按医保协议填写。")
    if settings.paper not in PAPERS:
        out.append(f"纸张“{settings.paper}”不支持，可选：{'、'.join(PAPERS)}。")
    if problem := printable_width_problem(settings.paper, settings.printable_width_mm):
        out.append(problem)
    if settings.profile not in policy.available():
        out.append(f"地区政策“{settings.profile}”不存在，可选：{'、'.join(policy.available())}。")
    for key, value in settings.parameters.items():
        found = _key_problems(key)
        if found:
            out.extend(found)
            continue
        name = key.split(":")[0]
        if name in RATIO_PARAMS and not _ratio_ok(str(value)):
            out.append(f"{key_label(key)}的值“{value}”无效：应为 0 到 100 之间的百分数。")
        if name in AMOUNT_PARAMS and not _amount_ok(str(value)):
            out.append(f"{key_label(key)}的值“{value}”无效：应为不小于 0、最多两位小数的金额（元）。")
    from desktop.schedule import feed_problems

    out += feed_problems(settings)
    for key, value in settings.confidential_standards.items():
        if not key or "|" not in key:
            out.append(f"保密支付标准的药品键“{key}”无效，应为目录条目的 key（名称|剂型）。")
        if not _amount_ok(str(value)) or Decimal(str(value)) <= 0:
            out.append("某个保密支付标准的金额无效（应为大于 0、最多两位小数的金额）。")  # never echo the value
    return out


# --- storage ---------------------------------------------------------------------------------


def get(db: Database) -> Settings:
    """The saved settings (defaults for anything never saved)."""
    stored = storage.load(db)
    known = {f.name for f in fields(Settings)}
    saved: dict[str, Any] = {k: v for k, v in stored.items() if k in known}  # JSON as saved by put()
    return Settings(**saved)


def is_saved(db: Database) -> bool:
    """Whether the pharmacy's settings were ever saved (the first-start wizard is offered until then)."""
    return any(not key.startswith(_UI_PREFIX) for key in storage.load(db))


def save(db: Database, settings: Settings) -> None:
    """Validate and store all settings in one transaction.

    Raises:
        RequestError: every problem found; nothing is written.
    """
    found = problems(settings)
    if found:
        raise SettingsError(found)
    storage.save(db, {f.name: getattr(settings, f.name) for f in fields(Settings)})


def ui_state(db: Database, name: str) -> Any:
    """A piece of the window's own state saved by ``set_ui_state`` (None when never saved)."""
    return storage.load(db).get(_UI_PREFIX + name)


def set_ui_state(db: Database, name: str, value: Any) -> None:
    storage.save(db, {_UI_PREFIX + name: value})


# --- import and export -----------------------------------------------------------------------


def export_document(settings: Settings) -> dict[str, Any]:
    """The settings as a versioned document; confidential standards are never part of it."""
    values = {name: getattr(settings, name) for name in KEYS if name not in PARAMETER_NAMES}
    values.update(sorted(settings.parameters.items()))
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "settings": values}


def export_text(settings: Settings) -> str:
    """The settings as ``KEY VALUE`` lines (what ``settings set`` takes), with their labels as comments."""
    lines = ["# 药目设置（yaomu settings import 可导入；不含保密支付标准）"]
    for row in rows(settings):
        if row["shown"] == "未设置" and row["key"] in PARAMETER_NAMES:
            continue
        value = display(row["key"], row["value"]) if row["unit"] else row["value"]
        value = value.replace(" 元", "")
        lines.append(f"# {row['label']}{'（' + row['unit'] + '）' if row['unit'] else ''}：{row['source']}")
        lines.append(f"{row['key']} {value}".rstrip())
    return "\n".join(lines) + "\n"


def parse_import(text: str) -> dict[str, str]:
    """The ``KEY -> typed value`` pairs of an exported file (``export_text`` or ``export_document`` JSON).

    Raises:
        RequestError: what is wrong with the file, line by line.
    """
    stripped = text.lstrip("\ufeff").strip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except ValueError as err:
            lineno = getattr(err, "lineno", None)
            where = f"（第 {lineno} 行附近）" if lineno else ""
            raise SettingsError([f"设置文件的 JSON 格式有误{where}：请检查括号、引号和逗号，或重新导出。"]) from None
        if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT or not isinstance(doc.get("settings"), dict):
            raise SettingsError(["这不是药目导出的设置文件（缺少 format 为 yaomu-settings 的 settings 部分）。"])
        if doc.get("version") != EXPORT_VERSION:
            raise SettingsError([f"设置文件的版本 {doc.get('version')} 不受支持（本程序读取版本 {EXPORT_VERSION}）。"])
        out: dict[str, str] = {}
        for key, value in doc["settings"].items():
            name = str(key).split(":")[0]
            if name in RATIO_PARAMS and value not in (None, ""):
                value = display(key, value) if _ratio_ok(str(value)) else str(value)
            out[str(key)] = "" if value is None else str(value)
        return out
    out = {}
    bad = []
    for n, line in enumerate(stripped.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        if not key:
            bad.append(f"第 {n} 行无法识别：应为“设置项 值”，如 fund_ratio 80。")
            continue
        out[key] = value.strip()
    if bad:
        raise SettingsError(bad)
    return out
