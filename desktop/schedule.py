"""When a counter polls its feed and when it may apply an update by itself (no Qt, no network).

Settings (``desktop.settings.Settings``): ``feed_url`` (empty: no feed), ``feed_poll_minutes``,
``feed_auto_apply`` (apply by itself outside opening hours) and ``opening_hours`` ("08:00-22:00";
a range past midnight such as "20:00-02:00" is allowed).
"""

from __future__ import annotations

import re
from datetime import datetime, time

MIN_POLL_MINUTES = 5
MAX_POLL_MINUTES = 24 * 60
MAX_URL_LENGTH = 500
#: The settings keys of the feed (``yaomu settings set KEY VALUE``).
FEED_KEYS = ("feed_url", "feed_poll_minutes", "opening_hours", "feed_auto_apply")
_YES = ("是", "y", "yes", "true", "1", "on", "开")
_NO = ("否", "n", "no", "false", "0", "off", "关", "")
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s*$")


def parse_hours(text: str) -> tuple[time, time] | None:
    """("08:00-22:00") -> (08:00, 22:00); None when malformed."""
    m = _HOURS.match(text or "")
    if not m:
        return None
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        return None
    return time(h1, m1), (time(23, 59, 59) if h2 == 24 else time(h2, m2))


def within_hours(now: datetime, hours: str) -> bool:
    """Whether ``now`` falls within the opening hours (malformed hours count as always open: never auto-apply)."""
    parsed = parse_hours(hours)
    if parsed is None:
        return True
    start, end = parsed
    t = now.time()
    if start <= end:
        return start <= t < end
    return t >= start or t < end  # open past midnight


def parse_feed_value(key: str, text: str) -> object:
    """What staff typed for a feed setting as its stored value (``ValueError`` with a Chinese message).

    >>> parse_feed_value("feed_auto_apply", "是"), parse_feed_value("feed_poll_minutes", "30 分钟")
    (True, 30)
    """
    text = str(text).strip()
    if key == "feed_auto_apply":
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
        raise ValueError(f"“营业时间外自动应用目录更新”应填 是 或 否（不是“{text}”）。")
    if key == "feed_poll_minutes":
        text = text.removesuffix("分钟").strip()  # as ``settings show`` / ``export`` write it: "60 分钟"
        if not text.isdigit():
            raise ValueError(
                f"检查目录更新的间隔应为分钟数（{MIN_POLL_MINUTES} 到 {MAX_POLL_MINUTES}），不是“{text}”。"
            )
        return int(text)
    return text


def feed_problems(settings: object) -> list[str]:
    """What is wrong with the feed fields of a ``Settings``, in Chinese (empty when valid)."""
    url = getattr(settings, "feed_url", "")
    poll_minutes = getattr(settings, "feed_poll_minutes", 60)
    auto_apply = getattr(settings, "feed_auto_apply", False)
    hours = getattr(settings, "opening_hours", "")
    out: list[str] = []
    u = (url or "").strip()
    if len(u) > MAX_URL_LENGTH or any(ord(c) < 32 or ord(c) == 127 for c in u):
        out.append(f"目录源地址过长或含有控制字符（最多 {MAX_URL_LENGTH} 个字符）。")
    if u and not (
        u.lower().startswith(("http://", "https://", "file://"))
        or u.startswith(("/", "\\\\"))
        or (len(u) > 2 and u[1] == ":" and u[2] in "\\/")
    ):
        out.append(f"目录源地址“{u}”无效：应为 http:// 或 https:// 开头的网址，或文件夹的完整路径。")
    if (
        not isinstance(poll_minutes, int)
        or isinstance(poll_minutes, bool)
        or not (MIN_POLL_MINUTES <= poll_minutes <= MAX_POLL_MINUTES)
    ):
        out.append(f"检查目录更新的间隔应为 {MIN_POLL_MINUTES} 到 {MAX_POLL_MINUTES} 分钟之间的整数。")
    if not isinstance(auto_apply, bool):
        out.append("“营业时间外自动应用目录更新”应为是或否。")
    if parse_hours(hours) is None:
        out.append(f"营业时间“{hours}”格式无效，应如 08:00-22:00。")
    return out
