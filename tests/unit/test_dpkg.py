"""What dpkg says, read one way: package lines, states in words, file owners and --verify."""

from __future__ import annotations

from lab import dpkg


def test_package_lines_are_read_by_name_whatever_their_state() -> None:
    listed = dpkg.parse("ii |tree|2.1.0-1\nrc |jq|1.6\nhi |libwebapp|1.0\nnoise\n")
    assert sorted(listed) == ["jq", "libwebapp", "tree"]
    assert listed["tree"] == dpkg.Package("tree", "2.1.0-1", "ii")
    assert not listed["jq"].installed
    held = listed["libwebapp"]
    assert held.installed and held.healthy and held.held


def test_names_are_shell_quoted_in_the_query() -> None:
    assert dpkg.query(["libc6:amd64", "a b; rm -rf /"]).endswith(" libc6:amd64 'a b; rm -rf /'")


def test_states_are_said_in_words() -> None:
    assert dpkg.describe_state("iF") == "half-configured (its postinst failed)"
    assert dpkg.describe_state("iHR") == "half-installed (unpacking failed), reinstall required"
    assert dpkg.describe_state("hi") == "installed, on hold"


def test_dpkg_verify_lines_name_changed_conffiles_and_files() -> None:
    output = (
        "??5?????? c /etc/nginx/nginx.conf\n"
        "??5??????   /usr/bin/tree\n"
        "missing   c /etc/issue.net\n"
        "missing     /usr/share/doc/procps/FAQ.gz\n"
        "dpkg: package 'nope' is not installed\n"
    )
    assert dpkg.parse_verify(output) == {"/etc/nginx/nginx.conf": True, "/usr/bin/tree": False}


def test_dpkg_search_lines_give_every_owner_without_architecture() -> None:
    output = (
        "tree: /usr/bin/tree\n"
        "libc6:amd64, tree: /usr/share/doc\n"
        "diversion by dash from: /bin/sh\n"
        "local diversion to: /etc/x.real\n"
    )
    assert dpkg.parse_owners(output) == {
        "/usr/bin/tree": frozenset({"tree"}), "/usr/share/doc": frozenset({"libc6", "tree"})}
