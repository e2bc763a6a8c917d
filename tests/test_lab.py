"""`make lab` for real: JupyterLab serves the chapters and runs them with the book's kernel.

Starts the exact server `make lab` runs (``tools/lab.py``) on a free loopback port with a
token, then, through the server's REST API and a kernel's websocket channel, as JupyterLab
itself does:

* the server refuses a request without the token (it is never an open server);
* its default kernel is ``python3``, "Python 3 (From Zero)", the one in ``.venv``;
* a chapter notebook is served by the contents API, a session with its kernel starts, and the
  chapter's first printing code cell (with the cells before it) runs in that kernel and prints
  exactly the output committed in the notebook;
* the kernel's channels are encrypted (no "without encryption" warning in the server's log),

then shuts the server down. Sockets are allowed for 127.0.0.1 only (the unit tests otherwise
run with ``--disable-socket``).
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import lab  # noqa: E402

CHAPTER = "chapters/00_first_network.ipynb"
HOST = "127.0.0.1"

pytestmark = pytest.mark.allow_hosts([HOST])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class _Server:
    def __init__(self, port: int, token: str) -> None:
        self.base = f"http://{HOST}:{port}"
        self.token = token

    def request(self, method: str, path: str, body: object = None, token: bool = True):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"token {self.token}")
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read().decode()
        return json.loads(text) if text else None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab")
    port, token = _free_port(), secrets.token_urlsafe(16)
    env = lab.lab_env()
    # A private config, data and runtime dir: the user's own Jupyter settings play no part.
    for var, sub in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
    ]:
        env[var] = str(tmp / sub)
    log = tmp / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            lab.lab_command(port, token, open_browser=False),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    srv = _Server(port, token)
    srv.log = log
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the lab server exited ({proc.returncode}):\n{log.read_text()}")
            try:
                srv.request("GET", "/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail(f"the lab server did not answer in 90 s:\n{log.read_text()}")
                time.sleep(0.3)
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_lab_command_is_loopback_with_token():
    cmd = lab.lab_command(8888, "abc")
    assert f"--ServerApp.ip={HOST}" in cmd
    assert "--IdentityProvider.token=abc" in cmd
    with pytest.raises(ValueError, match="token"):
        lab.lab_command(8888, "")
    with pytest.raises(ValueError, match="port"):
        lab.lab_command(0, "abc")


def test_server_requires_the_token(server):
    with pytest.raises(urllib.error.HTTPError) as err:
        server.request("GET", "/api/contents/chapters", token=False)
    assert err.value.code == 403


def test_default_kernel_is_the_books(server):
    specs = server.request("GET", "/api/kernelspecs")
    assert specs["default"] == "python3"
    spec = specs["kernelspecs"]["python3"]["spec"]
    assert spec["display_name"] == "Python 3 (From Zero)"
    # the venv's own python (not resolved: the venv's python is a link to the base interpreter)
    assert Path(spec["argv"][0]).parent.parent == Path(sys.prefix)


def _first_printing_cell(nb: dict) -> tuple[list[str], str]:
    """The sources of the code cells up to the first one that prints, and what it printed."""
    sources = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        sources.append(cell["source"])
        text = "".join(
            o["text"]
            for o in cell["outputs"]
            if o["output_type"] == "stream" and o["name"] == "stdout"
        )
        if text:
            return sources, text
    raise AssertionError(f"{CHAPTER} has no code cell that prints")


def _execute(ws, session_id: str, code: str) -> tuple[str, str, list[str]]:
    msg_id = uuid.uuid4().hex
    ws.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "msg_type": "execute_request",
                    "username": "test",
                    "session": session_id,
                    "version": "5.3",
                    "date": "",
                },
                "parent_header": {},
                "metadata": {},
                "content": {"code": code, "silent": False, "store_history": True},
                "buffers": [],
                "channel": "shell",
            }
        )
    )
    stdout, status, errors = "", None, []
    idle = False
    while status is None or not idle:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["header"]["msg_type"]
        if kind == "stream" and msg["content"]["name"] == "stdout":
            stdout += msg["content"]["text"]
        elif kind == "error":
            errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
        elif kind == "execute_reply":
            status = msg["content"]["status"]
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            idle = True
    return stdout, status, errors


def test_chapter_cell_runs_in_the_books_kernel(server):
    import websocket  # websocket-client, pulled in by jupyter-server (requirements.txt)

    nb = server.request("GET", f"/api/contents/{CHAPTER}?content=1")["content"]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    sources, expected = _first_printing_cell(nb)

    session = server.request(
        "POST",
        "/api/sessions",
        {"path": CHAPTER, "type": "notebook", "name": "", "kernel": {"name": "python3"}},
    )
    kernel_id = session["kernel"]["id"]
    ws = websocket.create_connection(
        f"ws://{HOST}:{server.base.rsplit(':', 1)[1]}/api/kernels/{kernel_id}/channels",
        header=[f"Authorization: token {server.token}"],
        timeout=120,
    )
    try:
        out, status, errors = _execute(ws, session["id"], "import sys; print(sys.prefix)")
        assert status == "ok", errors
        assert Path(out.strip()) == Path(sys.prefix), f"kernel's sys.prefix: {out!r}"
        printed = ""
        for src in sources:
            printed, status, errors = _execute(ws, session["id"], src)
            assert status == "ok", f"{CHAPTER}: {errors}"
        assert printed == expected, f"{CHAPTER}: printed {printed!r}, committed {expected!r}"
    finally:
        ws.close()
        server.request("DELETE", f"/api/sessions/{session['id']}")
    log = server.log.read_text()
    assert "without encryption" not in log, f"kernel channels not encrypted:\n{log}"
