"""`lab status`'s app column: the version of webapp dpkg has on record, whatever its state."""

from __future__ import annotations

import pytest

from lab.status import app_version


@pytest.mark.parametrize(("listed", "shown"), [
    ("ii |webapp|2.0.1\n", "2.0.1"),
    # Half-configured: dpkg unpacked 2.0, its postinst failed; the column still says 2.0.
    ("iF |webapp|2.0\n", "2.0"),
    ("hi |webapp|1.0\n", "1.0"),
    # Removed, its configuration files kept: dpkg remembers a version, nothing is installed.
    ("rc |webapp|1.0\n", ""),
    ("", ""),  # never installed: dpkg-query printed nothing on stdout
    ("ii |libwebapp|1.0\n", ""),
])
def test_the_app_column_is_the_version_dpkg_has_installed(listed: str, shown: str) -> None:
    assert app_version(listed) == shown
