"""The fuzz suite: hypothesis over search queries and the package format; nothing may end in exit 1.

Bounded by default (about a minute for the whole folder on the 2-core CI machine); ``make soak``
(``YAOMU_SOAK=1``) runs many more examples.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence

from hypothesis import HealthCheck, settings

from tests.soak import SOAK

settings.register_profile(
    "yaomu-fuzz",
    deadline=None,
    database=None,  # no .hypothesis/ folder in the worktree; failures print their reproducing example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile("yaomu-fuzz")


def examples(default: int, soak: int) -> settings:
    return settings(max_examples=soak if SOAK else default)


def run_cli(argv: Sequence[str]) -> tuple[int, str, str]:
    """``yaomu ARGV`` in this process: (exit code, stdout, stderr)."""
    from desktop.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exit_:  # argparse refusals
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()
