"""Issuing, reprinting and verifying receipts: the steps the command line and the GUI share.

Order of an issue (issue #5): validate everything that can be wrong with the input; take the number
and record the history row in one transaction, committed with ``synchronous=FULL`` so it survives a
power cut; only then draw the PDF and write it (to a temporary file, renamed into place); finally log
the print. A crash after the commit leaves a ``reserved`` row whose number is never reused; it can be
drawn later with ``reprint``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from desktop import outfile, platform
from desktop.errors import DatabaseError, UserFacingError, db_reason, os_reason
from desktop.receipts import check, layout, numbering, stored
from desktop.receipts.layout import Issuer, Receipt, ReceiptMeta
from desktop.rules.confidential import scrub_request
from desktop.rules.contract import Estimate, EstimateRequest
from desktop.storage import catalogue as store
from desktop.storage import receipts as history

#: Longest patient name printed.
MAX_NAME = 40


@dataclass(frozen=True)
class Issued:
    """A receipt that was drawn: its number, where the PDF went and what it says."""

    number: str
    path: Path
    check_value: str
    receipt: Receipt
    pdf: bytes


def catalogue_version(db: Database, edition_id: int | None) -> str:
    """The installed edition that answered, in words a patient reads: name, variant and the first
    characters of its data checksum (which tell two installs of one edition apart); no internal ids."""
    from desktop.catalogue.records import VARIANT_LABELS

    if edition_id is None:
        return ""
    for edition in store.editions(db, details=False):
        if edition.id == edition_id:
            variant = VARIANT_LABELS.get(edition.variant, "")
            return f"{edition.name}年版{f'（{variant}）' if variant else ''}，数据校验 {edition.checksum[:8]}"
    return ""


def _check_patient_name(name: str | None) -> str:
    text = (name or "").strip()
    if len(text) > MAX_NAME or re.search(r"[\x00-\x1f\x7f]", text):
        raise UserFacingError(
            f"患者姓名无效：最多 {MAX_NAME} 个字，且不能包含控制字符。", hint="请核对后重新输入，或不填姓名。"
        )
    return text


def _check_out(db: Database, out: Path, force: bool) -> Path:
    """Never the database, its WAL or a back-up; an existing file only with ``force``."""
    return outfile.check(out, db_path=store.db_file(db), force=force, what="收据 PDF")


def _write(out: Path, data: bytes) -> None:
    """Write atomically: a half-written PDF never replaces a good one."""
    platform.atomic_write(out, data)


def _pdf_measure() -> Callable[[str], float]:
    from desktop.receipts import pdf

    return pdf.measure


def _render(receipt: Receipt) -> bytes:
    from desktop.receipts import pdf

    return pdf.render(receipt)


def _meta_dict(issuer: Issuer, meta: ReceiptMeta) -> dict[str, Any]:
    return {**asdict(issuer), **asdict(meta)}


def _from_meta(data: Mapping[str, Any]) -> tuple[Issuer, ReceiptMeta]:
    issuer = Issuer(**{k: data.get(k, "") for k in ("pharmacy_name", "institution_code", "counter", "staff")})
    meta = ReceiptMeta(
        **{
            k: data.get(k, "")
            for k in ("number", "issued_at", "catalogue_version", "patient_name", "patient_id_masked")
        }
    )
    return issuer, meta


#: What a preview shows where the number and check value will be (nothing is numbered or recorded).
DRAFT_NUMBER = "（打印时编号）"


def draft(
    db: Database,
    result: Estimate,
    issuer: Issuer,
    fmt: str,
    *,
    patient_name: str | None = None,
    patient_id: str | None = None,
    now: datetime | None = None,
    printable_width_mm: float | str | None = None,
) -> Receipt:
    """The receipt ``issue`` would draw, for a preview: no number is taken, nothing is recorded.

    Raises:
        UserFacingError: bad format or patient data (the same checks as ``issue``).
    """
    page = layout.get_format(fmt, printable_width_mm)
    name = _check_patient_name(patient_name)
    masked = layout.mask_id(patient_id) if patient_id and patient_id.strip() else ""
    now = (now or datetime.now()).replace(microsecond=0)
    version = catalogue_version(db, result.edition_id)
    body = layout.logical_lines(
        result, issuer, ReceiptMeta(DRAFT_NUMBER, now.isoformat(sep=" "), version, name, masked)
    )
    return layout.assemble(
        body, page, number=DRAFT_NUMBER, check_value="（打印时生成）", qr_payload="", measure=_pdf_measure()
    )


def issue(
    db: Database,
    request: EstimateRequest,
    result: Estimate,
    issuer: Issuer,
    fmt: str,
    out: Path,
    *,
    patient_name: str | None = None,
    patient_id: str | None = None,
    now: datetime | None = None,
    on_reserved: Callable[[str], None] | None = None,
    printable_width_mm: float | str | None = None,
    force: bool = False,
) -> Issued:
    """Number, record, draw and save a receipt for an estimate ``result`` of ``request``.

    Args:
        printable_width_mm: how wide the thermal printer prints (settings ``printable_width_mm``;
            None: the paper's usual width, 48 mm on 58 mm rolls). Recorded, so a 补打 is laid out alike.
        on_reserved: called with the number once it is committed, before drawing (tests use it to
            simulate a crash at the worst moment).
        force: overwrite an existing file at ``out`` (never the database or its back-ups).

    Raises:
        UserFacingError: bad format, patient data or output path (nothing is recorded), or the PDF
            could not be written (the number stays recorded; reprint it).
    """
    if result.fund_unset:
        raise UserFacingError(
            "未设置统筹支付比例，统筹支付和个人负担无法估算，不能开具预估单。",
            hint="请在设置中填写本地统筹基金支付比例后重新估算。",
        )
    page = layout.get_format(fmt, printable_width_mm)
    name = _check_patient_name(patient_name)
    masked = layout.mask_id(patient_id) if patient_id and patient_id.strip() else ""
    out = _check_out(db, out, force)
    now = (now or datetime.now()).replace(microsecond=0)
    version = catalogue_version(db, result.edition_id)
    meta, body, check_value, receipt_id = _record(db, request, result, issuer, page, now, version, name, masked)
    if on_reserved is not None:
        on_reserved(meta.number)

    receipt = layout.assemble(
        body,
        page,
        number=meta.number,
        check_value=check_value,
        qr_payload=check.qr_payload(meta.number, check_value),
        measure=_pdf_measure(),
    )
    data = _render(receipt)
    _save(out, data, meta.number)
    _mark_printed(db, receipt_id, meta.number, kind="original", staff=issuer.staff, when=now)
    return Issued(meta.number, out, check_value, receipt, data)


def _mark_printed(db: Database, receipt_id: int, number: str, *, kind: str, staff: str | None, when: datetime) -> None:
    try:
        history.mark_printed(db, receipt_id, kind=kind, staff=staff, when=when)
    except sqlite3.OperationalError as err:  # the PDF is saved; only the print log could not be written
        raise DatabaseError(
            f"收据 {number} 的 PDF 已保存，但打印记录无法写入数据库（{err}）。",
            hint="收据已登记且单号不会重复；请检查磁盘空间后在收据记录中核对该单的状态。",
        ) from err


def _record(
    db: Database,
    request: EstimateRequest,
    result: Estimate,
    issuer: Issuer,
    page: layout.PageFormat,
    now: datetime,
    version: str,
    name: str,
    masked: str,
) -> tuple[ReceiptMeta, list[layout.Line], str, int]:
    """Take the number and record the history row in one durable transaction (the step a crash cannot split)."""
    try:
        key = check.secret(db)  # kept outside the database; creating it may also write its id
        with store.durable(db), db.atomic():
            number = numbering.next_number(db, issuer.institution_code, now.date())
            meta = ReceiptMeta(str(number), now.isoformat(sep=" "), version, name, masked)
            body = layout.logical_lines(result, issuer, meta)
            check_value = check.compute(key, meta.number, layout.signed_text(body))
            receipt_id = history.insert(
                db,
                number=meta.number,
                pharmacy_code=issuer.institution_code,
                day=number.day,
                seq=number.seq,
                issued_at=now,
                fmt=page.name,
                # Kept as printed: never the standard a request gave for a "*" line.
                request=scrub_request(stored.dump_request(request), stored.dump_estimate(result)),
                result=stored.dump_estimate(result),
                meta={**_meta_dict(issuer, meta), "printable_width_mm": page.printable_mm},
                check_value=check_value,
            )
            from desktop.products import trace  # 追溯码 sold with this receipt; a code sold before is refused

            trace.record(db, meta.number, request)
            check.extend_chain(db, key, receipt_id)
    except sqlite3.OperationalError as err:  # locked past busy_timeout, disk full, read-only file
        raise DatabaseError(
            f"无法登记收据：数据库暂时无法写入（{db_reason(err)}）。没有开具任何收据，也没有占用单号。",
            hint="请稍候重试；如反复出现，请检查磁盘空间，并确认没有其他程序长时间占用数据库。",
        ) from err
    return meta, body, check_value, receipt_id


def _save(out: Path, data: bytes, number: str) -> None:
    try:
        _write(out, data)
    except OSError as err:
        raise UserFacingError(
            f"收据 {number} 已登记，但 PDF 无法保存到 {out}：{os_reason(err)}",
            hint=f"请检查磁盘空间和权限后用 yaomu receipts reprint {number} --out 文件.pdf 补打。",
        ) from err


class AlteredRecord(DatabaseError):
    """A history row no longer matches the check value it was printed with: it was edited."""


def _rebuild(db: Database, record: history.Record) -> tuple[list[layout.Line], Issuer, ReceiptMeta]:
    """The original lines from the history, after checking they still match the printed check value."""
    issuer, meta = _from_meta(record.meta)
    body = layout.logical_lines(stored.load_estimate(record.result, record.number), issuer, meta)
    if check.compute(check.secret(db), record.number, layout.signed_text(body)) != record.check_value:
        raise AlteredRecord(
            f"收据 {record.number} 的历史记录与开具时不一致（校验值不符），不能补打或核验。",
            hint="数据库中的记录可能被改动。请从备份恢复数据库，并联系技术支持。",
        )
    return body, issuer, meta


def reprint(
    db: Database,
    number: str,
    out: Path,
    *,
    staff: str | None = None,
    now: datetime | None = None,
    force: bool = False,
) -> Issued:
    """Draw a receipt again, identical to the original except for the 补打 mark.

    Raises:
        NotFound: no such number. DatabaseError: the stored record no longer matches its check value.
    """
    out = _check_out(db, out, force)
    record = history.get(db, number)
    body, _issuer, meta = _rebuild(db, record)
    page = layout.get_format(record.format, record.meta.get("printable_width_mm"))
    receipt = layout.assemble(
        body,
        page,
        number=record.number,
        check_value=record.check_value,
        qr_payload=check.qr_payload(record.number, record.check_value),
        reprint=True,
        measure=_pdf_measure(),
    )
    data = _render(receipt)
    _save(out, data, record.number)
    when = (now or datetime.now()).replace(microsecond=0)
    _mark_printed(db, record.id, record.number, kind="reprint", staff=staff, when=when)
    return Issued(record.number, out, record.check_value, receipt, data)


@dataclass(frozen=True)
class Verification:
    """The answer to "is this paper receipt one we issued, unaltered?"."""

    valid: bool
    message: str  # Chinese, for staff
    record: history.Record | None
    lines: tuple[str, ...]  # what the original said, to compare with the paper


def verify(db: Database, number: str, check_value: str) -> Verification:
    """Check a receipt's number and check value (typed or scanned) against the history.

    Raises:
        NotFound: the number is not in this pharmacy's history.
        UserFacingError: the check value is not well formed.
    """
    given = check.normalise(check_value)
    record = history.get(db, number)
    try:
        body, _issuer, _meta = _rebuild(db, record)
    except AlteredRecord as err:  # the row no longer matches what was printed: an edit
        return Verification(False, f"核验不通过：{err.message}", record, ())
    lines = tuple(line.plain for line in body if line.plain)
    broken = check.chain_problem(db, check.secret(db))
    if broken:
        return Verification(
            False,
            f"核验不通过：本店的收据历史记录不完整或被改动（{broken}），无法确认收据 {record.number}。"
            "请从备份恢复数据库，并联系技术支持。",
            record,
            lines,
        )
    if not check.matches(record.check_value, given):
        return Verification(
            False,
            f"核验不通过：收据 {record.number} 的校验码与本店记录不符，该单据可能被改动或伪造。",
            record,
            lines,
        )
    return Verification(
        True,
        f"核验通过：收据 {record.number} 由本店于 {record.issued_at} 开具。请对照下列原始内容检查纸质单据的金额与药品；"
        "如有任何不同，说明纸质单据被改动。",
        record,
        lines,
    )


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserFacingError(f"日期“{text}”无效。", hint="请按 YYYY-MM-DD 填写，例如 2025-03-01。") from None
