"""Inputs that crashed the loaders through the CLI (issue 27, found by fuzzing): each is now
a refusal at file:line:col naming the value, or (PersistentKeepalive = off) accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfg_testlib import write

from reconciler.cli.app import run
from reconciler.cli.validate_cmd import run_validate
from reconciler.config.wgquick import parse_wgquick
from reconciler.errors import ConfigError
from reconciler.model.build_wgquick import network_entry


def _validate(tmp_path: Path, files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> (
        tuple[int, str]):
    write(tmp_path, files)
    code = run_validate(tmp_path)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_locald_type_as_a_list_is_an_error_at_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _validate(tmp_path, {"locald.toml": '[services.web]\ntype = ["exec"]\n'
                                                    'command = "x"\n'}, capsys)
    assert code == 1
    assert f"{tmp_path}/locald.toml:2:1: error: services.web.type: expected string" in out


def test_services_network_as_a_list_is_an_error_at_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _validate(tmp_path, {"services.yaml": "services:\n  web:\n    command: x\n"
                                                      "    network: []\n"}, capsys)
    assert code == 1
    assert f"{tmp_path}/services.yaml:4:5: error: services.web.network: expected string" in out


def test_vendetta_network_mapping_is_a_warning_not_a_crash(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _validate(tmp_path, {".vendetta/config.yaml": "services:\n  api:\n"
                                     "    command: x\n    network: {a: 1}\n"}, capsys)
    assert code == 0, out
    assert f"{tmp_path}/.vendetta/config.yaml:4:5: warning: unknown key 'network'" in out


def test_compose_network_list_is_not_a_crash(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _validate(tmp_path, {"compose.yaml": "services:\n  web:\n    image: nginx\n"
                                                   "    network: []\n"}, capsys)
    assert code in (0, 1)


def _entry(tmp_path: Path, text: str, name: str = "wg0") -> tuple[dict[str, object], Path]:
    path = tmp_path / f"{name}.conf"
    path.write_text(text)
    doc, problems = parse_wgquick(path, text)
    assert doc is not None, problems
    return network_entry([doc], "wg", ssh_user="root")[0], path


def _refusal(tmp_path: Path, text: str, name: str = "wg0") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _entry(tmp_path, text, name)
    return [d.render().splitlines()[0] for d in caught.value.diagnostics]


@pytest.mark.parametrize(("value", "why"), [
    ("${CLIENT_IP}", "placeholder"), ("${INTERFACE}.1", "placeholder"),
    ("[IP Address]/32", "placeholder"), ("2a0e:b107:xxxx::/48", "redacted"),
    ("banana", "expected an IP address")])
def test_unusable_addresses_are_refused_at_their_line(tmp_path: Path, value: str,
                                                      why: str) -> None:
    [line] = _refusal(tmp_path, f"[Interface]\nPrivateKey = k\nAddress = {value}\n")
    assert line.startswith(f"{tmp_path}/wg0.conf:3:1: error: Address '{value}' is not an IP")
    assert why in line


@pytest.mark.parametrize("value", ["auto", "", "0", "70000"])
def test_bad_listen_port_is_refused_at_its_line(tmp_path: Path, value: str) -> None:
    [line] = _refusal(tmp_path, f"[Interface]\nAddress = 198.19.0.1/24\nListenPort = {value}\n")
    assert line.startswith(f"{tmp_path}/wg0.conf:3:1: error: listenport = '{value}'")


def test_persistent_keepalive_off_means_disabled(tmp_path: Path) -> None:
    entry, _ = _entry(tmp_path, "[Interface]\nAddress = 198.19.0.1/24\n[Peer]\nPublicKey = p\n"
                                "PersistentKeepalive = off\n")
    assert "persistent_keepalive" not in entry and entry["subnet"] == "198.19.0.0/24"


def test_keepalive_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    [line] = _refusal(tmp_path, "[Interface]\nAddress = 198.19.0.1/24\n[Peer]\n"
                                "PersistentKeepalive = soon\n"
                                "PublicKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n")
    assert line.startswith(f"{tmp_path}/wg0.conf:4:1: error: persistentkeepalive = 'soon'")


def test_interface_name_over_15_characters_is_refused(tmp_path: Path) -> None:
    [line] = _refusal(tmp_path, "[Interface]\nAddress = 198.19.0.1/24\n",
                      name="a-very-long-interface")
    assert line.startswith(f"{tmp_path}/a-very-long-interface.conf:1:1: error: interface name "
                           "'a-very-long-interface'")


def test_cli_import_refuses_with_exit_1_and_the_position(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "client.conf"
    path.write_text("[Interface]\nAddress = ${CLIENT_IP}/32\n")
    with pytest.raises(SystemExit) as exited:
        run(["import", "wireguard", str(path)])
    err = capsys.readouterr().err
    assert exited.value.code == 1, err
    assert f"{path}:2:1: error: Address '${{CLIENT_IP}}/32'" in err and "Traceback" not in err


def test_cli_import_refuses_a_long_name_for_several_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for node in ("a", "b"):
        (tmp_path / f"{node}.conf").write_text("[Interface]\nAddress = 198.19.0.1/24\n")
    with pytest.raises(SystemExit) as exited:
        run(["import", "wireguard", str(tmp_path / "a.conf"), str(tmp_path / "b.conf"),
             "--name", "x" * 16])
    assert exited.value.code == 1
    assert "longer than 15 characters" in capsys.readouterr().err
