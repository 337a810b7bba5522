"""``import wireguard FILE --adopt IFACE`` writing services.yaml
(reconciler/cli/import_wg_adopt.py): the entry is added with the file's comments kept, an
existing network is refused, and a failed import puts the file back (or removes a new one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli.import_wg_adopt import add_network, config_file, write_then
from reconciler.errors import UserError

ENTRY = {"type": "wireguard", "interface": "wg0", "nodes": [{"host": "h", "name": "h",
                                                             "ssh_user": "root"}]}


def test_the_entry_is_added_and_comments_stay(tmp_path: Path) -> None:
    text = "# mine\nname: shop  # the name\nservices: {}\n"
    out = add_network(text, "site", ENTRY, tmp_path / "services.yaml")
    assert out.startswith("# mine\nname: shop  # the name\n")
    assert "networks:\n  site:\n    type: wireguard\n    interface: wg0\n" in out
    assert add_network("", "site", ENTRY, tmp_path / "x").startswith("networks:\n")


def test_an_existing_network_or_a_broken_file_is_refused(tmp_path: Path) -> None:
    where = tmp_path / "services.yaml"
    with pytest.raises(UserError, match=r"networks\.site exists already"):
        add_network("networks:\n  site: {type: lan}\n", "site", ENTRY, where)
    with pytest.raises(UserError, match="not a mapping"):
        add_network("- a\n- b\n", "site", ENTRY, where)


def test_a_failed_import_puts_the_file_back(tmp_path: Path) -> None:
    def refuse() -> None:
        raise UserError("refused")

    path = config_file(tmp_path)
    assert path == tmp_path / "services.yaml"
    with pytest.raises(UserError):
        write_then(path, "networks: {}\n", refuse)
    assert not path.exists()  # made by this command: removed again
    path.write_text("name: a\n")
    with pytest.raises(UserError):
        write_then(path, "networks: {}\n", refuse)
    assert path.read_text() == "name: a\n"
    write_then(path, "networks: {}\n", lambda: None)
    assert path.read_text() == "networks: {}\n"
