"""The estimate and request as the receipt history keeps them: JSON with a ``schema_version``.

``desktop.storage.receipts`` stores and returns the JSON; this module is the one place that knows
its versions, so an old row always loads:

* version 1 (rows written before the field existed): the result is the bare estimate JSON of
  ``yaomu estimate --json``, the request the JSON as it was given;
* version 2 (``SCHEMA_VERSION``): ``{"schema_version": 2, **Estimate.to_json(), "edition_id": …}``
  and ``{"schema_version": 2, **EstimateRequest.to_json()}``.

A version newer than this code, or a row that is not an estimate, is a ``DatabaseError`` (never a
traceback): the receipt cannot be reprinted or verified until Yaomu is updated or the database restored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from desktop.errors import DatabaseError
from desktop.rules.contract import Estimate, EstimateRequest

#: The version of the JSON this code writes into ``receipt.request`` / ``receipt.result``.
SCHEMA_VERSION = 2


def dump_estimate(estimate: Estimate) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, **estimate.to_json(), "edition_id": estimate.edition_id}


def dump_request(request: EstimateRequest) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, **request.to_json()}


def version_of(data: Mapping[str, Any], number: str) -> int:
    """The schema version of a stored JSON object (1 when it has none).

    Raises:
        DatabaseError: written by a newer Yaomu (or not a version at all).
    """
    version = data.get("schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= SCHEMA_VERSION:
        raise DatabaseError(
            f"收据 {number} 的历史记录格式（版本 {version}）由更新版本的药目写入，本版本无法读取。",
            hint="请安装最新版本的药目后再补打或核验。",
        )
    return version


def load_estimate(data: Mapping[str, Any], number: str) -> Estimate:
    """The estimate of a history row, whatever version wrote it.

    Raises:
        DatabaseError: a newer version, or a row that is not an estimate (damaged).
    """
    version_of(data, number)
    try:
        return Estimate.from_json({k: v for k, v in data.items() if k != "schema_version"})
    except (KeyError, ValueError, TypeError, ArithmeticError) as err:
        raise DatabaseError(
            f"收据 {number} 的历史记录已损坏，无法读取（{type(err).__name__}）。",
            hint="请从备份恢复数据库，并联系技术支持。",
        ) from err


def load_request(data: Mapping[str, Any], number: str) -> dict[str, Any]:
    """The request of a history row as JSON (version 1: as given; 2: ``EstimateRequest.to_json()``)."""
    version_of(data, number)
    return {k: v for k, v in data.items() if k != "schema_version"}
