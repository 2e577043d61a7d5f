"""``yaomu overlays check`` on the bundled catalogue: every shipped overlay item resolved, or its reason."""

from __future__ import annotations

import json

from desktop.commands import overlays as cmd


def test_every_shipped_item_resolves_or_says_why(real_db):
    result = cmd.check_overlays(real_db, cmd.shipped_overlays())
    assert {o["overlay_id"] for o in result} == {p["overlay"]["overlay_id"] for p in cmd.shipped_overlays()}
    for o in result:
        if not o["items"]:
            assert o["reason"], o["overlay_id"]  # an empty list names its missing attachment
        for item in o["items"]:
            for per in item["editions"]:
                assert per["entries"] or per["reason"], (o["overlay_id"], item["name"])
    by_name = {(o["overlay_id"], i["name"]): i for o in result for i in o["items"]}
    # Seed 000 三(三): 瑞格列汀（口服常释） is the catalogue's 磷酸瑞格列汀片 in both editions.
    rui = by_name[("jilin-two-diseases-2023", "瑞格列汀")]
    assert [e["name"] for per in rui["editions"] for e in per["entries"]] == ["磷酸瑞格列汀片"] * 2
    # Seed 001 二(一): 乌帕替尼 removed as 口服常释; the catalogue has only 缓释片 -> applied, said so.
    upa = by_name[("jilin-dual-channel-2024", "乌帕替尼")]
    assert all(e["match"] == "family" and e["note"] for per in upa["editions"] for e in per["entries"])
    # The transition drugs are out of both editions (seed 001 二(三)): listed with the reason.
    cyclo = by_name[("national-transition-2024", "环孢素滴眼液(Ⅲ)")]
    assert not cyclo["resolved"] and "过渡期" in cyclo["editions"][0]["reason"]
    # Every named item except the two transition drugs resolves.
    unresolved = [k for k, i in by_name.items() if not i["resolved"]]
    assert sorted(unresolved) == [
        ("national-transition-2024", "头孢托仑匹酯颗粒"),
        ("national-transition-2024", "环孢素滴眼液(Ⅲ)"),
    ]


def test_cli_json(real_db_path, capsys):
    from desktop.cli import main

    assert main(["--db", str(real_db_path), "overlays", "check", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert any(o["overlay_id"] == "weihai-high-value-2023" and "附件1" in o["reason"] for o in data)
