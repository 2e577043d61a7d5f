"""GUI fixtures: a real catalogue database built once per session, copied per test, and the main window.

The catalogue is the bundled one (``desktop.catalogue.bundled.install``) when its sources and
adapters are in place. Until they are, it is a small edition of real rows copied from the
official files in ../shared/data (the 2024 revised query dump and the 2025 Western JSON), with
their real numbers, classes, restrictions, payment standards and agreement periods.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from desktop.catalogue import records as r
from desktop.catalogue import store

#: Drugs picked for the small edition: 甲 and 乙 Western drugs with ★ rows, negotiated drugs with a
#: confidential ("*") and a published payment standard, bidding drugs, a 限工伤 drug, a Chinese patent medicine.
NAMES_2024 = (
    "阿莫西林",
    "阿莫西林克拉维酸",
    "布洛芬",
    "二甲双胍",
    "司美格鲁肽注射液",
    "阿伐替尼片",
    "依沃西单抗注射液",
    "二甲双胍恩格列净片(Ⅲ)",
    "氢醌",
    "双黄连注射液",
    "连花清瘟胶囊",
)
NAMES_2025 = NAMES_2024

SECTION_2024 = {
    "西药部分": r.WEST,
    "中成药部分": r.TCM,
    "西药": r.NEGOTIATED,
    "中成药": r.NEGOTIATED,
    "竞价药品部分": r.BIDDING,
}


def small_2024(shared: Path) -> r.EditionData:
    """Rows of the 2024 revised edition (NHSA query dump); 编号 = rank of numbered rows in the section."""
    rows_json = json.loads((shared / "nrdl-2024-revised" / "nhsa-api-4750.json").read_text("utf-8"))["data"]["list"]
    rank: dict[str, int] = {}
    number_of: dict[tuple[str, str], int] = {}  # (section, name) -> 编号 of its numbered row
    rows = []
    for seq, x in enumerate(rows_json, start=1):
        section = SECTION_2024.get(x["drugTypeName"])
        if section is None:
            continue
        name = x["name"].split("\n")[0]
        if x["flag"] == 0:
            rank[x["drugTypeName"]] = rank.get(x["drugTypeName"], 0) + 1
            number_of[(x["drugTypeName"], name)] = rank[x["drugTypeName"]]
        if name not in NAMES_2024:
            continue
        star = x["flag"] == 1
        ps = x["paymentStandards"] or None
        if ps == "企业申请价格保密":  # the dump's words for the published "*" (data/README.md)
            ps = "*"
        kind = {"医保甲类": "甲", "医保乙类": "乙"}.get(x["kindName"] or "")
        rows.append(
            r.SourceRow(
                section=section,
                name_published=x["name"],
                seq=seq,
                subsection={"西药": "西药", "中成药": "中成药"}.get(x["drugTypeName"]),
                number=None if star else rank[x["drugTypeName"]],
                star_of=number_of.get((x["drugTypeName"], name)) if star else None,
                dosage_form=x["dosageForm"] or None,
                drug_class=kind,
                category_code=(x["category"] or {}).get("code"),
                category_path=x["categoryName"],
                remark=x["remark"] or None,
                payment_standard=ps,
                agreement_text=x["agreementPeriod"] or None,
            )
        )
    info = r.EditionInfo(
        name="2024",
        variant="revised",
        title="国家基本医疗保险、工伤保险和生育保险药品目录（2024年）（测试子集）",
        document="医保发〔2024〕33号",
        published=date(2024, 11, 28),
        effective_start=date(2025, 1, 1),
        effective_end=date(2025, 12, 31),
        source="nhsa-api-4750.json (subset)",
        checksum="test-subset",
    )
    return r.EditionData(info, rows, _partial(rows))


def _partial(rows: list[r.SourceRow]) -> dict[str, r.SectionInfo]:
    """Every section present, declared partial (a handful of real rows, not the whole list)."""
    return {s: r.SectionInfo(s, False, None, "测试用的少量真实行") for s in dict.fromkeys(row.section for row in rows)}


def small_2025(shared: Path) -> r.EditionData:
    """Rows of the 2025 edition (Western JSON: 西药部分, negotiated 西药, 竞价)."""
    data = json.loads((shared / "nrdl-2025" / "china_nrdl_2025_west.json").read_text("utf-8"))
    sections = {
        "西药部分": (r.WEST, None),
        "协议期内谈判药品部分（一）西药": (r.NEGOTIATED, "西药"),
        "竞价药品部分": (r.BIDDING, None),
    }
    rows = []
    for seq, x in enumerate(data["drugs"], start=1):
        if x["name_zh"] not in NAMES_2025:
            continue
        section, sub = sections[x["section"]]
        star = str(x["no"]).startswith("★")
        rows.append(
            r.SourceRow(
                section=section,
                subsection=sub,
                name_published=x["name_zh"],
                seq=seq,
                number=None if star else int(x["no"]),
                star_of=x["primary_no"] if star else None,
                dosage_form=x["dosage_form"],
                drug_class=x["class"],
                category_code=x["category_code"],
                remark=x["restriction"],
                payment_standard=x.get("payment_standard"),
                agreement_text=x["agreement_period"],
            )
        )
    info = r.EditionInfo(
        name="2025",
        variant="official",
        title="国家基本医疗保险、生育保险和工伤保险药品目录（2025年）（测试子集）",
        document="医保发〔2025〕33号",
        published=None,
        effective_start=date(2026, 1, 1),
        effective_end=None,
        source="china_nrdl_2025_west.json (subset)",
        checksum="test-subset",
    )
    return r.EditionData(info, rows, _partial(rows))


def _bundled_available() -> bool:
    from desktop.catalogue import bundled

    try:
        for reader in bundled.BUNDLED_READERS:
            module = {"read_2024_revised": "nhsa_api", "read_2025": "nrdl2025"}[reader.__name__]
            __import__(f"desktop.catalogue.sources.{module}")
    except (ImportError, KeyError):
        return False
    needed = ("nhsa-api-4750.json", "china_nrdl_2025_west.json", "medins-2025.txt")
    return all(bundled.source(name).exists() for name in needed)


@pytest.fixture(scope="session")
def ui_db_path(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """The GUI tests' catalogue, built once: the bundled catalogue when available, else real rows."""
    path = tmp_path_factory.mktemp("ui") / "catalogue.sqlite3"
    if _bundled_available():
        from desktop.catalogue import bundled

        bundled.install(path)
    else:
        db = store.open_db(path)
        store.load_edition(db, small_2024(shared_data), None)
        store.load_edition(db, small_2025(shared_data), None)
        db.close()
    return path


@pytest.fixture()
def db_path(ui_db_path: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the session catalogue."""
    target = tmp_path / "catalogue.sqlite3"
    src, dst = sqlite3.connect(ui_db_path), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


@pytest.fixture()
def db(db_path: Path):  # type: ignore[no-untyped-def]
    conn = store.open_db(db_path)
    yield conn
    conn.close()


#: The counter's date in the workflow tests: the 2024 edition (revised) is in force.
DAY_2024 = date(2025, 3, 1)


@pytest.fixture()
def window(qtbot, db, db_path):  # type: ignore[no-untyped-def]
    from desktop.ui.main_window import MainWindow

    win = MainWindow(db, db_path, today=lambda: DAY_2024)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture()
def dialogs(monkeypatch):  # type: ignore[no-untyped-def]
    """Message boxes record (title, text) instead of blocking; the test reads what staff would see."""
    from PySide6.QtWidgets import QMessageBox

    seen: list[tuple[str, str]] = []

    def fake_exec(box: QMessageBox) -> int:
        seen.append((box.windowTitle(), box.text()))
        return int(QMessageBox.StandardButton.Ok)

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(
            QMessageBox,
            name,
            staticmethod(
                lambda _parent, title, text, *a, **k: seen.append((title, text)) or QMessageBox.StandardButton.Ok
            ),
        )
    monkeypatch.setattr(
        QMessageBox,
        "question",
        staticmethod(
            lambda _parent, title, text, *a, **k: seen.append((title, text)) or QMessageBox.StandardButton.Yes
        ),
    )
    return seen


@pytest.fixture()
def pharmacy(db):  # type: ignore[no-untyped-def]
    """Settings a pharmacy would enter (F12): its name and code, Jilin profile, the local fund ratio."""
    from desktop import settings

    s = settings.Settings(
        pharmacy_name="测试大药房",
        institution_code="P22010100001",
        counter="1号柜台",
        staff="张药师",
        profile="national",
        parameters={"fund_ratio": "0.80", "first_self_pay": "0.10"},
        paper="80mm",
    )
    settings.save(db, s)
    return s
