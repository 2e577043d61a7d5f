"""Which regional list answers on a day: the newest list in force for the region and kind decides.

A region publishes a list (dual-channel scope, two-disease drugs, single-payment drugs ...) and
adjusts it later. On a given day, the lists of a kind in force are taken newest first (by the date
they take effect, then publication): the first that names the drug decides (its last item for
the drug: 调入 or 调出); a *complete* list that does not name it answers "not listed" and
supersedes every older one. A partial list (only the drugs a notice happens to name) that does
not name the drug passes the question to the older lists. Nothing in force that decides ->
"unknown" (or "expired" when the drug's period on an ended list is over).

The answer says which list answered and how old it is; when the region revises the list yearly
(吉医保联〔2021〕26号 二（一）: 原则上每年调整一次) and the answering list took effect more than
the revision interval before the day, the answer carries a caveat: a newer list may exist.

Pure functions over overlay records; no SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from desktop.storage import overlays as ov


@dataclass(frozen=True)
class Revision:
    """A region revises lists of a kind every ``months`` months (a notice says so)."""

    months: int
    text: str
    source: str  # citation label


@dataclass(frozen=True)
class Answer:
    status: str  # listed / removed / not_listed / expired / unknown / none (no list at all)
    overlay: ov.OverlayInfo | None
    fact: ov.OverlayFact | None = None
    caveat: str | None = None
    ended: ov.OverlayInfo | None = None  # a list of the kind that ended before the day


def in_force(info: ov.OverlayInfo, day: date) -> bool:
    return (info.effective_start is None or info.effective_start <= day) and (
        info.effective_end is None or day <= info.effective_end
    )


def _order(info: ov.OverlayInfo) -> tuple[date, date, str]:
    return (info.effective_start or date.min, info.published or date.min, info.overlay_id)


def age_text(info: ov.OverlayInfo, day: date) -> str:
    """ "吉林省…（2025-01-01起执行，已执行 1 年 1 个月）": which list answered and how old it is."""
    since = info.effective_start or info.published
    if since is None:
        return info.title
    months = (day.year - since.year) * 12 + day.month - since.month - (1 if day.day < since.day else 0)
    years, rest = divmod(max(months, 0), 12)
    age = " ".join(([f"{years} 年"] if years else []) + ([f"{rest} 个月"] if rest or not years else []))
    published = f"{info.published.isoformat()}发布，" if info.published else ""
    return f"{info.title}（{published}{since.isoformat()}起执行，至所查日期已 {age}）"


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    day = min(d.day, 28)
    return date(d.year + y, m + 1, day)


def caveat(info: ov.OverlayInfo, day: date, revision: Revision | None) -> str | None:
    """A newer list may exist: the answering one took effect more than a revision interval ago."""
    since = info.effective_start or info.published
    if revision is None or since is None or day < _add_months(since, revision.months):
        return None
    return (
        f"答复依据的是{age_text(info, day)}；{revision.text}，所查日期应已有新的调整，本机未导入，"
        "结果可能已过时，请以最新公布的清单为准。"
    )


def answer(
    kinds: tuple[str, ...],
    day: date,
    facts: list[ov.OverlayFact],
    installed: list[ov.OverlayInfo],
    revision: Revision | None = None,
) -> Answer:
    """The status of the drug named by ``facts`` on the region's lists of ``kinds`` on ``day``."""
    mine = [f for f in facts if f.overlay.kind in kinds]
    lists = sorted(
        {i.overlay_id: i for i in [*installed, *(f.overlay for f in mine)] if i.kind in kinds}.values(), key=_order
    )
    for info in reversed([i for i in lists if in_force(i, day)]):
        named = [f for f in mine if f.overlay.overlay_id == info.overlay_id and f.item.active_on(day)]
        if named:
            f = named[-1]
            status = "removed" if f.item.action == "remove" else "listed"
            return Answer(status, info, f, caveat(info, day, revision))
        ended_items = [f for f in mine if f.overlay.overlay_id == info.overlay_id and f.item.end and f.item.end < day]
        if ended_items and ended_items[-1].item.action != "remove":
            return Answer("expired", info, ended_items[-1])
        if info.complete:
            return Answer("not_listed", info, None, caveat(info, day, revision))
    # No list in force decides: a drug named by a list that has ended has lost it.
    past = [
        f for f in mine if not in_force(f.overlay, day) and f.overlay.effective_end and f.overlay.effective_end < day
    ]
    ended = max((i for i in lists if i.effective_end and i.effective_end < day), key=_order, default=None)
    if past and past[-1].item.action != "remove":
        return Answer("expired", past[-1].overlay, past[-1])
    partial = [i for i in lists if in_force(i, day)]
    if partial:
        return Answer("unknown", partial[-1], None, None, ended)
    return Answer("none", None, None, None, ended)
