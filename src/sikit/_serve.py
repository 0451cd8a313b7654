"""`sikit dashboard`: serve notebooks/04_dashboard.ipynb with Voila, safely by default.

Voila runs as a child process; the data folder reaches the notebook's kernel
through environment variables (SIKIT_DATA, SIKIT_SHOW_PII, SIKIT_LANG), which
kernels inherit from the server. What "safely" means here:

- loopback only by default; any other address gets a token unless ``--no-token``
  (then a loud warning);
- Voila's template ``sikit`` (``_voila/voila/templates/sikit``): the lab template
  without its CDN links and with a Content-Security-Policy, so the page loads
  nothing from outside the server and works with no internet;
- sources stripped, template and theme not overridable from the URL, idle
  kernels culled (every open page holds a kernel with the data in memory).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path

from ._errors import SikitInputError

#: Voila's own template folders (``voila/templates/<name>``) shipped with sikit.
VOILA_DATA = Path(__file__).resolve().parent / "_voila"
TEMPLATE = "sikit"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}

NO_TOKEN_WARNING = """\
################################################################################
# 警告:仪表盘在 {ip}:{port} 上没有访问令牌(--no-token)。                      
# 任何能连到这个端口的人都能看到全部客户数据。请只在公司的统一登录/VPN 之后这样用。
# WARNING: the dashboard on {ip}:{port} has no token (--no-token).
# Anyone who can reach this port sees all the customer data. Only do this
# behind the company's single sign-on / VPN.
################################################################################"""


def notebook_path() -> Path:
    """The dashboard notebook of a source checkout; a wheel does not ship notebooks/."""
    import sikit

    path = Path(sikit.__file__).resolve().parents[2] / "notebooks" / "04_dashboard.ipynb"
    if not path.is_file():
        raise SikitInputError(
            f"dashboard notebook not found at {path}: `sikit dashboard` runs from a source checkout "
            "(git clone, then `pip install -e .`), not from an installed wheel")
    return path


def is_loopback(ip: str) -> bool:
    if ip in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:  # a host name other than localhost
        return False


def check_data(data: str | os.PathLike) -> Path:
    folder = Path(data)
    if not folder.is_dir():
        raise SikitInputError(f"no folder {folder}: run `sikit run --contacts ... --orders ... --out {folder}` first")
    if not (folder / "orders.parquet").is_file():
        raise SikitInputError(f"{folder} has no orders.parquet: it is not a folder written by `sikit run`; "
                              f"run `sikit run --contacts ... --orders ... --out {folder}` first")
    return folder.resolve()


def check_port_free(ip: str, port: int) -> None:
    """Fail early with one line rather than Voila's log when the port is taken."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ip, port))
        except OSError as exc:
            raise SikitInputError(f"cannot listen on {ip}:{port} ({exc.strerror}): choose another --port") from None


def voila_command(notebook: Path, *, port: int, ip: str, token: str | None) -> list[str]:
    """The Voila command line; every option name checked against voila 0.5.13 (`voila --help-all`)."""
    cmd = [
        sys.executable, "-m", "voila", str(notebook),
        "--no-browser", f"--port={port}", f"--Voila.ip={ip}", "--Voila.port_retries=0",
        "--strip_sources=True", f"--template={TEMPLATE}",
        "--VoilaConfiguration.allow_theme_override=NO", "--VoilaConfiguration.allow_template_override=NO",
        # Each page view is a kernel holding the data: end those idle for 5 minutes,
        # even with the tab still open (the page then says the kernel is gone; reload).
        "--MappingKernelManager.cull_idle_timeout=300", "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=True",
    ]
    if token:
        cmd.append(f"--Voila.token={token}")
    return cmd


def child_env(data: Path, *, show_pii: bool, lang: str) -> dict[str, str]:
    env = dict(os.environ)
    env["SIKIT_DATA"] = str(data)
    env["SIKIT_SHOW_PII"] = "1" if show_pii else "0"  # set either way: never inherit a stray "1"
    env["SIKIT_LANG"] = lang
    # Voila finds templates in jupyter_path("voila", "templates"); ours comes first.
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(VOILA_DATA), env.get("JUPYTER_PATH")]))
    return env


def url(ip: str, port: int, token: str | None) -> str:
    host = socket.gethostname() if ip in ("0.0.0.0", "::", "") else ip
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/" + (f"?token={token}" if token else "")


def serve(data, *, port: int = 8866, ip: str = "127.0.0.1", show_pii: bool = False, lang: str = "zh",
          token: str | None = None, no_token: bool = False) -> int:
    """Prepare the data folder, run Voila until it stops, and return its exit code."""
    folder = check_data(data)
    notebook = notebook_path()
    if token and no_token:
        raise SikitInputError("--token and --no-token contradict each other: give one")
    if not is_loopback(ip) and not no_token:
        token = token or secrets.token_urlsafe(16)
    check_port_free(ip, port)

    from .dashboard import prepare

    written = prepare(folder)  # once, here, rather than in every page's kernel
    if written:
        print("已补算 / prepared: " + ", ".join(Path(str(p)).name for p in written.values()), flush=True)

    if no_token and not is_loopback(ip):
        print(NO_TOKEN_WARNING.format(ip=ip, port=port), file=sys.stderr, flush=True)
    print(("仪表盘 / dashboard: " + url(ip, port, token) + "  (Ctrl-C 停止 / to stop)"), flush=True)

    proc = subprocess.Popen(voila_command(notebook, port=port, ip=ip, token=token),
                            env=child_env(folder, show_pii=show_pii, lang=lang))

    # Ctrl-C in a terminal reaches Voila itself too (same process group); a second
    # SIGINT would interrupt its kernel shutdown, so forward SIGTERM, which Voila
    # also handles by stopping its loop and shutting the kernels down.
    def forward(signum, frame):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code if code >= 0 else 128 - code


# --- a server in the background, for the browser test and the benchmark -----------------------------

def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_background(data, log: Path, *, timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """`sikit dashboard --data DATA` on a free port in its own process group: (process, URL)
    once the port answers. Raises RuntimeError with the server's log when it does not."""
    import time

    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "sikit._cli", "dashboard", "--data", str(data),
                                 "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"sikit dashboard exited with {proc.returncode}:\n"
                               + Path(log).read_text("utf-8", "replace"))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}/"
        except OSError:
            if time.monotonic() > deadline:
                stop_background(proc)
                raise RuntimeError(f"sikit dashboard did not answer on port {port} within {timeout:.0f} s:\n"
                                   + Path(log).read_text("utf-8", "replace")) from None
            time.sleep(0.25)


def stop_background(proc: subprocess.Popen) -> None:
    """SIGTERM to the whole group first (Voila then shuts its kernels down), SIGKILL if it hangs."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue
