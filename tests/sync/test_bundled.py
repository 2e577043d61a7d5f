"""The bundled signed packages: they verify, match the sources, and install on first start (#3)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from desktop.paths import resource_path
from desktop.storage import catalogue as store
from desktop.storage import overlays as ov
from desktop.sync import build, bundled
from desktop.sync import package as p

EDITIONS = {"nrdl-2024-revised.zip": "2024-revised", "nrdl-2025-official.zip": "2025"}


@pytest.fixture(scope="module")
def verified() -> dict[str, p.VerifiedPackage]:
    return {v.path.name: v for v in bundled.bundled_packages()}


def test_private_key_not_in_repository() -> None:
    root = resource_path("").parent
    for path in list((root / "resources").rglob("*.json")) + list((root / "desktop").rglob("*.json")):
        assert "private_key" not in path.read_text(encoding="utf-8"), path


def test_bundled_packages_are_pinned_by_the_manifest_not_signed(verified: dict[str, p.VerifiedPackage]) -> None:
    assert set(EDITIONS) <= set(verified)
    pins = bundled.read_manifest()
    assert set(pins) == set(verified) == {x.name for x in resource_path("packages").glob("*.zip")}
    for name, v in verified.items():
        assert v.sha256 == pins[name] and v.key_id == "bundled-sha256", name
        with zipfile.ZipFile(v.path) as zf:
            assert p.SIGNATURE not in zf.namelist()  # no key needed to rebuild them


def test_a_clean_clone_rebuilds_the_same_bundled_packages(tmp_path: Path) -> None:
    """``make packages`` is reproducible: same sources, same bytes, same pins (no publisher key involved)."""
    pins = bundled.rebuild(tmp_path)
    assert pins == bundled.read_manifest()
    assert json.loads((tmp_path / bundled.MANIFEST_NAME).read_text(encoding="utf-8")) == json.loads(
        (resource_path("packages") / bundled.MANIFEST_NAME).read_text(encoding="utf-8")
    )


def test_a_tampered_or_extra_bundled_package_stops_the_first_start(tmp_path: Path) -> None:
    folder = tmp_path / "packages"
    shutil.copytree(resource_path("packages"), folder)
    db_path = tmp_path / "first.sqlite3"
    victim = folder / "overlay-national-transition-2024.zip"
    victim.write_bytes(victim.read_bytes() + b"\0")
    with pytest.raises(p.IntegrityError) as caught:
        bundled.install_bundled(db_path, directory=folder)
    assert caught.value.code == "bundled_hash"
    shutil.copy(resource_path("packages") / victim.name, victim)
    shutil.copy(victim, folder / "overlay-extra.zip")
    with pytest.raises(p.IntegrityError) as caught:
        bundled.install_bundled(db_path, directory=folder)
    assert caught.value.code == "bundled_unlisted"
    db = store.open_db(db_path)
    assert store.editions(db) == []
    db.close()


@pytest.mark.parametrize("name", list(EDITIONS))
def test_edition_package_rows_equal_what_the_adapters_read_now(
    name: str, verified: dict[str, p.VerifiedPackage]
) -> None:
    """The committed package cannot drift from the sources and adapters in the repository."""
    data = build.read_source(EDITIONS[name])
    pkg = verified[name]
    assert pkg.rows == data.rows
    assert pkg.manifest.edition == data.info
    assert pkg.manifest.sections == data.sections


def test_overlay_packages_equal_their_definitions(verified: dict[str, p.VerifiedPackage]) -> None:
    defs = sorted(resource_path("overlays").glob("*.json"))
    assert len(defs) == 7
    for path in defs:
        d = build.read_overlay_def(path)
        pkg = verified[f"overlay-{path.stem}.zip"]
        assert pkg.manifest.overlay == d.info and pkg.items == d.items, path.name
        for item in d.items:
            assert item.source and item.source.startswith("seeds/0") and "「" in item.source


def test_every_seed_quote_is_in_its_seed_cross_check_shared(shared_data: Path) -> None:
    seeds = shared_data.parent / "seeds"
    for path in sorted(resource_path("overlays").glob("*.json")):
        d = build.read_overlay_def(path)
        doc = json.loads(path.read_text(encoding="utf-8"))
        sources = [i.source for i in d.items if i.source] + ([doc["source"]] if "source" in doc else [])
        assert sources, path.name
        for source in sources:
            seed, quote = source.split(": 「", 1)
            text = (seeds / seed.removeprefix("seeds/")).read_text(encoding="utf-8")
            # The Weihai notice is a PDF extraction wrapped mid-sentence: compare without whitespace.
            assert _squash(quote.rstrip("」")) in _squash(text), (path.name, quote)


def _squash(text: str) -> str:
    return "".join(text.split())


def test_install_bundled_first_start(tmp_path: Path) -> None:
    db_path = tmp_path / "first.sqlite3"
    seen: list[tuple[int, int]] = []
    reports = bundled.install_bundled(db_path, on_progress=lambda d, t: seen.append((d, t)))
    assert [r.package_id for r in reports][:2] == ["nrdl-2024-revised", "nrdl-2025-official"]
    assert seen[-1][0] == seen[-1][1] and [d for d, _ in seen] == sorted(d for d, _ in seen)
    db = store.open_db(db_path)
    assert [(e.name, e.variant) for e in store.editions(db)] == [("2024", "revised"), ("2025", "official")]
    assert sum(store.editions(db)[0].counts.values()) == 4750
    # Partial overlays say so; the Hunan frame reports the provincial file as absent.
    hunan = [o for o in ov.overlays(db, "hunan") if o.kind == ov.SINGLE_PAYMENT]
    assert len(hunan) == 1 and not hunan[0].complete and "省级文件缺失" in (hunan[0].note or "")
    facts = ov.facts_for(db, "jilin", "乌帕替尼", "口服常释剂型")
    assert [(f.item.action, f.overlay.complete) for f in facts] == [("remove", False)]
    (transition,) = ov.facts_for(db, "jilin", "环孢素滴眼液(Ⅲ)")
    assert str(transition.item.end) == "2025-06-30"
    assert bundled.install_bundled(db_path) == []  # the second start applies nothing
    assert not list(tmp_path.glob("*.bak"))  # a first start has nothing to back up


def test_a_first_start_an_older_version_left_half_done_is_completed(tmp_path: Path) -> None:
    """Older versions installed package by package: a kill left 2024 alone. The next start finishes the job."""
    from desktop.sync import apply
    from desktop.sync import bundled as catalogue_bundled

    db_path = tmp_path / "half.sqlite3"
    pins = bundled.read_manifest()
    apply.apply_package(
        db_path, resource_path("packages/nrdl-2024-revised.zip"), pinned_sha256=pins["nrdl-2024-revised.zip"]
    )
    db = store.open_db(db_path)
    assert catalogue_bundled.needs_install(db) and "nrdl-2025-official" in bundled.unfinished(db)
    db.close()
    bundled.install_bundled(db_path)
    db = store.open_db(db_path)
    assert [e.name for e in store.editions(db)] == ["2024", "2025"]
    assert not catalogue_bundled.needs_install(db) and bundled.unfinished(db) == []
    db.close()


def test_a_database_with_other_packages_is_not_taken_for_a_half_first_start(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "x.sqlite3")
    assert bundled.unfinished(db) == []
    db.close()
