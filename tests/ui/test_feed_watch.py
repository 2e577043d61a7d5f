"""The window's feed watcher: background check, "有目录更新" with the diff, apply, never during a print,
automatic apply outside opening hours, status bar (a folder feed published in the test)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from desktop import settings as st
from desktop.sync import apply, build, feed, keys
from desktop.ui.workers import SynchronousPool

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hq() -> keys.PrivateKey:
    return keys.generate("测试总部")


@pytest.fixture
def published(tmp_path: Path, hq: keys.PrivateKey) -> Path:
    """A feed folder re-issuing the national transition list with one drug fewer (sequence 9)."""
    d = build.read_overlay_def(ROOT / "resources" / "overlays" / "national-transition-2024.json")
    pkg = build.overlay_package(
        replace(d.info, complete=False, note="测试：少列一项"),
        d.items[:1],
        tmp_path / "t.zip",
        hq,
        package_id="hq-transition-9",
        sequence=9,
    )
    out = tmp_path / "feed"
    feed.publish([pkg], out, hq)
    return out


def watch(window, db, source: Path | str, hq: keys.PrivateKey, **changes):  # type: ignore[no-untyped-def]
    st.save(db, replace(st.get(db), feed_url=str(source), **changes))
    w = window.feed_watch
    w.pool = SynchronousPool()
    w.trust = {**keys.trust_store(), hq.key_id: hq.public}
    w.start(first_delay_ms=10**8)
    return w


def feed_history(db) -> list:  # type: ignore[no-untyped-def]
    return [h for h in apply.history(db) if h.feed_url]


def test_a_background_check_shows_the_update_with_its_diff_and_staff_apply_it(
    qtbot, window, db, published: Path, hq: keys.PrivateKey, monkeypatch
) -> None:
    w = watch(window, db, published, hq)
    refreshed: list[bool] = []
    monkeypatch.setattr(window, "catalogue_changed", lambda: refreshed.append(True))
    w.poll()
    assert w.feed_button.isVisible() and w.feed_button.text().startswith("有目录更新（1 个更新包")
    assert f"来自 {published}" in w.feed_label.text() and "上次检查" in w.feed_label.text()
    assert feed_history(db) == []  # checked and downloaded, nothing applied
    from desktop.ui.feed_watch import FeedUpdateDialog

    dialog = FeedUpdateDialog(w, window)
    qtbot.addWidget(dialog)
    assert "hq-transition-9" in dialog.text.toPlainText()
    assert "头孢托仑匹酯颗粒" in dialog.text.toPlainText()  # the drug the new list no longer names
    dialog.apply_button.click()
    assert "已应用更新包 hq-transition-9" in dialog.outcome.text()
    (entry,) = feed_history(db)
    assert entry.package_id == "hq-transition-9" and entry.feed_url == str(published)
    assert refreshed == [True] and not w.feed_button.isVisible()
    from desktop.ui.updates_dialog import HISTORY_HEADERS, UpdatesDialog

    updates = UpdatesDialog(db, window.db_path, window)  # F9's history says where it came from
    qtbot.addWidget(updates)
    column = HISTORY_HEADERS.index("来源")
    assert updates.history_table.item(0, column).text() == str(published)


def test_no_check_runs_while_a_receipt_prints_and_the_due_one_runs_after(
    window, db, published: Path, hq: keys.PrivateKey, monkeypatch
) -> None:
    w = watch(window, db, published, hq)
    seen: list[int] = []

    def fake_print(_window, _counter) -> None:  # type: ignore[no-untyped-def]
        w.poll()  # the timer fires during the print
        seen.append(len(w.pending))
        assert not w.apply_now()  # and nobody may apply now either

    monkeypatch.setattr("desktop.ui.print_flow.print_receipt", fake_print)
    window.print_receipt()
    assert seen == [0]  # nothing was checked during the print
    assert [e.package_id for e in w.pending] == ["hq-transition-9"]  # checked right after it
    assert feed_history(db) == []


@pytest.mark.parametrize(("hour", "applied"), [(23, True), (12, False)])
def test_automatic_apply_only_outside_opening_hours(
    window, db, published: Path, hq: keys.PrivateKey, hour: int, applied: bool
) -> None:
    w = watch(window, db, published, hq, feed_auto_apply=True, opening_hours="08:00-22:00")
    w.now = lambda: datetime(2026, 3, 2, hour, 30)
    w.poll()
    assert bool(feed_history(db)) is applied
    assert w.feed_button.isVisible() is not applied


def test_an_automatic_apply_due_during_a_print_waits_for_its_end(
    window, db, published: Path, hq: keys.PrivateKey
) -> None:
    w = watch(window, db, published, hq, feed_auto_apply=True, opening_hours="08:00-22:00")
    w.now = lambda: datetime(2026, 3, 2, 23, 30)
    report = feed.check(window.db_path, str(published), trust=w.trust)
    with w.paused():
        w._checked(report)  # a check that was already running finishes while the print dialog is open
        assert feed_history(db) == []
    assert [h.package_id for h in feed_history(db)] == ["hq-transition-9"]


def test_a_feed_that_cannot_be_read_is_said_in_the_status_bar(window, db, tmp_path: Path, hq: keys.PrivateKey) -> None:
    w = watch(window, db, tmp_path / "no-such-share", hq)
    errors: list[str] = []
    w.failed.connect(errors.append)
    w.poll()
    assert errors and "没有 feed.json" in errors[0]
    assert w.feed_label.text().startswith("目录源：") and "feed.json" in w.feed_label.text()
    assert not w.feed_button.isVisible()


def test_settings_refuse_a_bad_feed_url_interval_and_hours(db) -> None:  # type: ignore[no-untyped-def]
    from desktop.errors import RequestError

    bad = replace(st.get(db), feed_url="ftp://x", feed_poll_minutes=1, opening_hours="早上")
    with pytest.raises(RequestError) as err:
        st.save(db, bad)
    assert len([p for p in err.value.problems if "目录源" in p or "间隔" in p or "营业时间" in p]) == 3


def test_the_feed_settings_page_round_trips_and_bad_values_are_refused(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    from desktop.errors import RequestError
    from desktop.ui.feed_watch import FeedSettingsPage

    page = FeedSettingsPage(st.get(db))
    qtbot.addWidget(page)
    page.url.setText(" https://feeds.example.com/hq/ ")
    page.minutes.setValue(30)
    page.auto.setChecked(True)
    page.hours.setText("07:30-23:00")
    st.save(db, page.collect(st.get(db)))
    saved = st.get(db)
    assert (saved.feed_url, saved.feed_poll_minutes, saved.feed_auto_apply, saved.opening_hours) == (
        "https://feeds.example.com/hq/",
        30,
        True,
        "07:30-23:00",
    )
    page.hours.setText("全天")
    with pytest.raises(RequestError) as err:
        st.save(db, page.collect(st.get(db)))
    assert any("营业时间“全天”格式无效" in p for p in err.value.problems)
    assert st.get(db).opening_hours == "07:30-23:00"


def test_the_settings_dialog_saves_the_feed_tab(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(db)
    qtbot.addWidget(dialog)
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())][-1] == "目录更新源(&4)"
    dialog.feed_page.url.setText("/mnt/总部目录源")
    dialog.feed_page.minutes.setValue(15)
    dialog.save()
    saved = st.get(db)
    assert (saved.feed_url, saved.feed_poll_minutes) == ("/mnt/总部目录源", 15)
