"""Large bodies are hashed with the GIL released."""

from __future__ import annotations

import hashlib
import sys
import threading
import time

import sigv4


def _runs_while_hashing(body) -> int:
    """How many times the main thread ran Python code while another thread hashed `body`.

    The switch interval is made huge, so the interpreter never takes the GIL away from the
    hashing thread by force: the main thread can only run while that thread has released the
    GIL itself. If hashing held the GIL, the count would be 0."""
    state = {"hashing": False, "digest": None}
    started = threading.Event()

    def work():
        state["hashing"] = True
        started.set()
        state["digest"] = sigv4.payload_hash(body)
        state["hashing"] = False

    old = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        t = threading.Thread(target=work)
        t.start()
        started.wait(timeout=60)
        count = 0
        while state["hashing"]:
            count += 1
            time.sleep(0.0005)  # lets the hashing thread take the GIL back when done
        t.join(timeout=60)
    finally:
        sys.setswitchinterval(old)
    assert state["digest"] == hashlib.sha256(bytes(body) if not isinstance(body, str) else body.encode()).hexdigest()
    return count


def test_gil_released_while_hashing_bytes():
    assert _runs_while_hashing(b"\x5a" * (128 << 20)) > 0


def test_gil_released_while_hashing_str():
    assert _runs_while_hashing("é" * (32 << 20)) > 0
