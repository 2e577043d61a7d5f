"""Products packages (kind ``products``, docs/package-format.md §8): verified like every package, then
imported into the product database with its history and diff (``desktop.products.database``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from desktop.errors import UserFacingError
from desktop.products import adapters
from desktop.products.database import ImportReport, ProgressFn, _ignore, apply_rows, known_sources
from desktop.sync import package


def import_package(
    db: Database,
    path: Path | str,
    *,
    trust: dict | None = None,  # type: ignore[type-arg]
    on_progress: ProgressFn = _ignore,
    cancelled: Callable[[], bool] = lambda: False,
    link: bool = True,
) -> ImportReport:
    """Import a signed products package (kind ``products``): verified like any package, then imported.

    A signed package must be clean: any bad row refuses the whole package (its publisher vouches for it).
    """
    on_progress("read", 0, 1)
    pkg = package.verify_package(Path(path), trust)
    if pkg.kind != "products":
        raise UserFacingError(
            f"更新包 {pkg.package_id} 是{pkg.kind}类型的目录更新包，不是药品库更新包。",
            hint="目录更新包请用 yaomu sync apply 应用；数据库保持不变。",
        )
    table: list[list[str]] = []
    for n, text in enumerate(pkg.product_parts):
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if table and rows[:1] != table[:1]:
            raise package.PackageDataError("part_header", f"药品库更新包第 {n + 1} 个数据文件的表头与第 1 个不同。")
        table += rows if not table else rows[1:]
    known = known_sources(db)
    read = adapters.read_table(table, "package", pkg.package_id, known=known)
    on_progress("read", 1, 1)
    if read.problems:
        first = read.problems[0]
        raise package.PackageDataError(
            "product_row",
            f"药品库更新包 {pkg.package_id} 有 {len(read.problems)} 行有误（如第 {first.line} 行：{first.reason}）。",
        )
    return apply_rows(
        db,
        read,
        source=pkg.package_id,
        checksum=pkg.sha256,
        known=known,
        on_progress=on_progress,
        cancelled=cancelled,
        link=link,
    )
