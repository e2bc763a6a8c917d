"""`make lab`: JupyterLab on the book's chapters, with the book's kernel, for this machine only.

The server listens on 127.0.0.1 (never on an outside interface) and requires a token, a fresh
random one per start unless ``--token`` gives one; the URL with the token is printed before the
server starts, so a reader can open it even where no browser is started automatically. Notebooks
open with the kernel ``python3``, "Python 3 (From Zero)": the one `make venv` installs into
``.venv``, whatever other kernels the user has. The kernel channels are encrypted (CurveZMQ),
so the kernel does not warn about plain-text TCP.

    .venv/bin/python tools/lab.py [--port 8888] [--no-browser]

tests/test_lab.py starts exactly this command (``lab_command``) on a free port and runs a
chapter's cell through the kernel.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
KERNEL = "python3"


def lab_command(port: int, token: str, *, open_browser: bool = True) -> list[str]:
    """The argv of the JupyterLab server `make lab` runs (root: the repository, page: chapters/)."""
    if not token:
        raise ValueError("token must be a non-empty string: the server is never left open")
    if not 0 < port < 65536:
        raise ValueError(f"port must be in 1..65535, got {port}")
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--ServerApp.allow_remote_access=False",
        f"--ServerApp.root_dir={ROOT}",
        f"--ServerApp.open_browser={open_browser}",
        "--LabApp.default_url=/lab/tree/chapters",
        f"--MappingKernelManager.default_kernel_name={KERNEL}",
        "--KernelManager.transport_encryption=auto",
        "--ServerApp.terminals_enabled=False",
        # Offline: no update check, no news feed, no extension search on PyPI.
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI and containers run as root; still loopback + token
    return cmd


def lab_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment in which the book's kernelspec (in the venv) wins over a user's ``python3``."""
    env = dict(os.environ if base is None else base)
    venv_share = str(Path(sys.prefix) / "share" / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (venv_share, env.get("JUPYTER_PATH")) if p)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8888)
    ap.add_argument("--token", default="", help="default: a fresh random token")
    ap.add_argument("--no-browser", action="store_true", help="do not open a browser")
    args = ap.parse_args(argv)
    token = args.token or secrets.token_urlsafe(24)
    cmd = lab_command(args.port, token, open_browser=not args.no_browser)
    url = f"http://{HOST}:{args.port}/lab/tree/chapters?token={token}"
    print(f"JupyterLab, for this machine only. Open:\n\n    {url}\n", flush=True)
    print("Stop it with Ctrl+C (twice).", flush=True)
    os.execvpe(cmd[0], cmd, lab_env())
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
