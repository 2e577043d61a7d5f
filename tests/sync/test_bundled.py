"""The bundled signed packages: they verify, match the sources, and install on first start (#3)."""

from __future__ import annotations

import json
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


def test_bundled_packages_are_signed_by_the_trusted_publisher(verified: dict[str, p.VerifiedPackage]) -> None:
    assert set(EDITIONS) <= set(verified)
    trust = json.loads(resource_path("trust/yaomu-publisher.json").read_text(encoding="utf-8"))
    assert {v.key_id for v in verified.values()} == {trust["key_id"]}


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
