"""Reading what the repository serves: its Packages index and its withdrawn packages."""

from __future__ import annotations

from lab.repo.publish import Served, parse_index, version_key

INDEX = """\
Package: webapp
Version: 2.0
Architecture: all
Depends: libwebapp (>= 1.0)
Filename: ./pool/webapp_2.0_all.deb
Description: the lab's web app
 Its page names its version.

Package: tree
Version: 2.1.0-1
Filename: ./starter/tree_2.1.0-1_amd64.deb
"""


def test_each_stanza_is_a_published_package() -> None:
    assert parse_index(INDEX) == [
        Served("webapp", "2.0", "published", "pool/webapp_2.0_all.deb"),
        Served("tree", "2.1.0-1", "published", "starter/tree_2.1.0-1_amd64.deb"),
    ]
    assert parse_index("") == []


def test_versions_sort_as_numbers() -> None:
    versions = ["2.1", "2.0.1", "10.0", "2.0", "1.6-2.1+deb12u2"]
    assert sorted(versions, key=version_key) == ["1.6-2.1+deb12u2", "2.0", "2.0.1", "2.1",
                                                 "10.0"]
