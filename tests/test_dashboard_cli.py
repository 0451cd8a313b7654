"""`sikit dashboard` without a browser: bad input, binding and token rules, the Voila command and template."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import sikit._serve as serve_mod
from sikit._cli import main

VOILA_LAB = Path(sys.prefix) / "share/jupyter/voila/templates/lab/index.html.j2"
OURS = serve_mod.VOILA_DATA / "voila/templates/sikit"


def test_missing_folder_is_one_line_exit_2(tmp_path, capsys):
    code = main(["dashboard", "--data", str(tmp_path / "nope")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "nope" in err and "sikit run" in err


def test_folder_without_orders_is_exit_2(tmp_path, capsys):
    code = main(["dashboard", "--data", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "orders.parquet" in err and "sikit run" in err


def test_token_and_no_token_exclude_each_other(tmp_path):
    with pytest.raises(SystemExit):
        main(["dashboard", "--data", str(tmp_path), "--token", "x", "--no-token"])


@pytest.mark.parametrize("ip, loopback", [("127.0.0.1", True), ("::1", True), ("localhost", True),
                                          ("127.0.0.2", True), ("0.0.0.0", False), ("10.1.2.3", False),
                                          ("dashboard.example", False)])
def test_loopback(ip, loopback):
    assert serve_mod.is_loopback(ip) is loopback


class Launch:
    """Stands in for Voila: records the command, environment and what was printed."""

    def __init__(self, monkeypatch, tmp_path):
        (tmp_path / "orders.parquet").write_bytes(b"")
        self.folder = tmp_path
        self.calls = []
        monkeypatch.setattr(serve_mod, "notebook_path", lambda: tmp_path / "04_dashboard.ipynb")
        monkeypatch.setattr(serve_mod, "check_port_free", lambda ip, port: None)
        import sikit.dashboard

        monkeypatch.setattr(sikit.dashboard, "prepare", lambda folder: None)  # the app is tested elsewhere
        launch = self

        class Proc:
            def __init__(self, cmd, env):
                launch.calls.append((cmd, env))

            def wait(self):
                return 0

            def poll(self):
                return 0

        monkeypatch.setattr(serve_mod.subprocess, "Popen", Proc)


@pytest.fixture
def launch(monkeypatch, tmp_path):
    return Launch(monkeypatch, tmp_path)


def test_loopback_needs_no_token(launch, capsys):
    assert main(["dashboard", "--data", str(launch.folder), "--port", "9001"]) == 0
    cmd, env = launch.calls[0]
    assert not any(a.startswith("--Voila.token") for a in cmd)
    assert "http://127.0.0.1:9001/" in capsys.readouterr().out
    for option in ("--no-browser", "--port=9001", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
                   "--strip_sources=True", "--template=sikit", "--VoilaConfiguration.allow_theme_override=NO",
                   "--VoilaConfiguration.allow_template_override=NO", "--MappingKernelManager.cull_idle_timeout=300",
                   "--MappingKernelManager.cull_interval=60", "--MappingKernelManager.cull_connected=True"):
        assert option in cmd
    assert env["SIKIT_DATA"] == str(launch.folder.resolve()) and Path(env["SIKIT_DATA"]).is_absolute()
    assert env["SIKIT_SHOW_PII"] == "0" and env["SIKIT_LANG"] == "zh"
    assert env["JUPYTER_PATH"].split(":")[0] == str(serve_mod.VOILA_DATA)


def test_other_address_gets_a_generated_token(launch, capsys):
    main(["dashboard", "--data", str(launch.folder), "--ip", "0.0.0.0", "--show-pii", "--lang", "en"])
    cmd, env = launch.calls[0]
    token = next(a.split("=", 1)[1] for a in cmd if a.startswith("--Voila.token="))
    assert len(token) >= 20
    assert f"?token={token}" in capsys.readouterr().out
    assert env["SIKIT_SHOW_PII"] == "1" and env["SIKIT_LANG"] == "en"


def test_given_token_is_used(launch, capsys):
    main(["dashboard", "--data", str(launch.folder), "--ip", "10.0.0.5", "--token", "s3cret-token"])
    assert "--Voila.token=s3cret-token" in launch.calls[0][0]
    assert "http://10.0.0.5:8866/?token=s3cret-token" in capsys.readouterr().out


def test_no_token_warns_loudly_in_both_languages(launch, capsys):
    main(["dashboard", "--data", str(launch.folder), "--ip", "0.0.0.0", "--no-token"])
    assert not any(a.startswith("--Voila.token") for a in launch.calls[0][0])
    err = capsys.readouterr().err
    assert "警告" in err and "WARNING" in err and "VPN" in err and err.count("\n") >= 5


def test_port_in_use_is_exit_2(tmp_path, capsys):
    import socket

    (tmp_path / "orders.parquet").write_bytes(b"")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(Exception) as info:
            serve_mod.check_port_free("127.0.0.1", port)
    assert "--port" in str(info.value)


def test_template_is_voilas_lab_without_cdn_links_plus_a_csp():
    """The copy must track the installed voila: same lines but the two CDN links, our comments, the CSP
    and the emptied mermaid block."""
    assert (OURS / "conf.json").read_text().strip() == '{"base_template": "lab"}'
    ours = (OURS / "index.html.j2").read_text(encoding="utf-8")
    assert not re.search(r"<(link|script)[^>]+https?://", ours)
    assert "Content-Security-Policy" in ours and "default-src 'self'" in ours
    lab = VOILA_LAB.read_text(encoding="utf-8").splitlines()
    expected = [line for line in lab if not ("<link" in line and "cdn.jsdelivr.net" in line)]
    body = re.sub(r"\{#-.*?-#\}\n", "", ours, flags=re.S).splitlines()
    body = [line for line in body if "Content-Security-Policy" not in line and "html_head_js_mermaidjs" not in line]
    assert [line for line in body if line.strip()] == [line for line in expected if line.strip()], "voila's lab template changed: re-copy it into sikit/_voila (see its header)"


def test_voila_finds_the_template_through_jupyter_path(monkeypatch):
    from voila.paths import collect_template_paths

    monkeypatch.setenv("JUPYTER_PATH", str(serve_mod.VOILA_DATA))
    paths = collect_template_paths(["voila", "nbconvert"], "sikit", prune=True)
    assert paths[0] == str(OURS)
    assert any(p.endswith("voila/templates/lab") for p in paths)
