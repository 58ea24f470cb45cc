"""Shared fixtures: test data location and the s3s-fs server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

# No test may reach instance metadata, whatever the machine: the default chain's last
# provider is disabled for the whole session.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

if os.environ.get("SIGV4_TEST_INSTALLED"):
    # CI tests the installed wheel: fail at once if the source tree shadows it.
    import sigv4 as _installed

    if "site-packages" not in (_installed.__file__ or ""):
        raise RuntimeError(f"testing {_installed.__file__}, not the installed wheel")

REPO = Path(__file__).resolve().parents[2]
TESTDATA = REPO.parent / "shared" / "testdata"


def locate_testdata(*parts: str) -> Path:
    d = TESTDATA.joinpath(*parts)
    if not d.is_dir():
        pytest.fail(
            f"test data missing at {d}: ../shared/testdata must sit beside the repository",
            pytrace=False,
        )
    return d


S3_ACCESS_KEY = "AKIDS3SFSTEST"
S3_SECRET_KEY = "s3s-fs-test-secret-key/abcdefghijklmnop"
S3_REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """Starts s3s-fs on 127.0.0.1 with a fixed key pair; yields its base URL.

    Fails (never skips) when the binary is missing: CI must install it
    (`cargo install s3s-fs --version 0.14.1 --features binary --locked`).
    """
    exe = os.environ.get("S3S_FS") or shutil.which("s3s-fs")
    if exe is None:
        cargo_bin = Path.home() / ".cargo" / "bin" / "s3s-fs"
        exe = str(cargo_bin) if cargo_bin.exists() else None
    if exe is None:
        pytest.fail(
            "s3s-fs not found (set S3S_FS or put it on PATH): install it with "
            "`cargo install s3s-fs --version 0.14.1 --features binary --locked`; "
            "the end-to-end S3 tests cannot run without it",
            pytrace=False,
        )
    root = tmp_path_factory.mktemp("s3s-root")
    port = _free_port()
    log = open(root.parent / "s3s-fs.log", "wb")
    proc = subprocess.Popen(
        [exe, "--host", "127.0.0.1", "--port", str(port),
         "--access-key", S3_ACCESS_KEY, "--secret-key", S3_SECRET_KEY, str(root)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"s3s-fs exited with {proc.returncode}; see {log.name}", pytrace=False)
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("s3s-fs did not start listening within 30 s", pytrace=False)
                time.sleep(0.05)
        yield {"url": f"http://127.0.0.1:{port}", "root": root}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture
def chain_env(monkeypatch, tmp_path):
    """An environment where the credential chain finds nothing unless the test adds it:
    no AWS variables, empty profile files in ``tmp_path``, instance metadata disabled (no
    test may reach 169.254.169.254). Returns ``tmp_path``."""
    from _kit import CHAIN_ENV

    for k in CHAIN_ENV:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path
