"""Thread safety: one shared signer used from 32 threads, and refreshing credentials that
are fetched exactly once per expiry however many threads need them."""

from __future__ import annotations

import threading
import time

import pytest

import sigv4

N_THREADS = 32
T0 = 1_700_000_000


def _requests(n=40):
    out = []
    for i in range(n):
        out.append((
            ["GET", "PUT", "POST"][i % 3],
            f"https://example.amazonaws.com/p/{i}/x%20y?b={i}&a=%2F{i}",
            {"Content-Type": "application/json", "X-Amz-Meta-I": str(i)},
            (b"body-%d" % i) * (i + 1),
            T0 + 86400 * (i % 3),  # several days: the key cache is replaced concurrently
        ))
    return out


def _run_threads(target):
    barrier = threading.Barrier(N_THREADS)
    results = [None] * N_THREADS
    errors = []

    def run(k):
        try:
            barrier.wait(timeout=30)
            results[k] = target(k)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a signing thread hung"
    assert not errors, errors[0]
    return results


@pytest.mark.parametrize("service", ["s3", "execute-api"])
def test_shared_signer_matches_single_threaded(service):
    creds = sigv4.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok/en+=")
    signer = sigv4.Signer("eu-west-1", service, creds)
    reqs = _requests()
    expected = [signer.sign(*r) for r in reqs]
    expected_presigned = [signer.presign(r[0], r[1], 600, timestamp=r[4]) for r in reqs]
    # A fresh signer (empty cache) signing single-threaded agrees too.
    fresh = sigv4.Signer("eu-west-1", service, creds)
    assert [fresh.sign(*r) for r in reqs] == expected

    def work(k):
        order = reqs[k % len(reqs):] + reqs[: k % len(reqs)]
        got = {r[1] + str(r[4]): signer.sign(*r) for r in order}
        pre = {r[1] + str(r[4]): signer.presign(r[0], r[1], 600, timestamp=r[4]) for r in order}
        return got, pre

    for got, pre in _run_threads(work):
        assert [got[r[1] + str(r[4])] for r in reqs] == expected
        assert [pre[r[1] + str(r[4])] for r in reqs] == expected_presigned


class FakeWorld:
    """A clock under the test's control and a fetcher that counts calls. Generation g's
    credentials expire one hour after the clock time at which they were fetched."""

    def __init__(self):
        self.now = float(T0)
        self.calls = 0
        self.lock = threading.Lock()
        self.fail = False

    def clock(self):
        return self.now

    def fetch(self):
        with self.lock:
            self.calls += 1
            g = self.calls
        time.sleep(0.02)  # widen the window in which other threads pile up
        if self.fail:
            raise RuntimeError("credential service unavailable")
        return sigv4.Credentials(f"AKIDGEN{g}", f"secret-for-generation-{g}", f"token{g}", self.now + 3600)


def test_exactly_one_refresh_per_expiry_mandatory():
    w = FakeWorld()
    rc = sigv4.RefreshableCredentials(w.fetch, clock=w.clock)
    assert not rc.is_ready and rc.needs_refresh and rc.expires_at is None
    signer = sigv4.Signer("us-east-1", "service", rc)
    url = "https://example.amazonaws.com/"
    for phase in range(1, 5):
        ts = w.now
        results = _run_threads(lambda k: signer.sign("GET", url, None, b"", ts))
        assert w.calls == phase, f"phase {phase}: {w.calls} fetches"
        assert rc.refresh_count == phase
        # Every thread signed with the same, new credentials; same as single-threaded.
        expected = sigv4.Signer("us-east-1", "service", sigv4.Credentials(
            f"AKIDGEN{phase}", f"secret-for-generation-{phase}", f"token{phase}")).sign("GET", url, None, b"", ts)
        assert all(r == expected for r in results)
        assert rc.is_ready and not rc.needs_refresh
        assert rc.expires_at.timestamp() == ts + 3600
        # Jump into the mandatory window (5 minutes before expiry).
        w.now += 3600 - 300
        assert not rc.is_ready and rc.needs_refresh


def test_exactly_one_refresh_in_advisory_window():
    w = FakeWorld()
    rc = sigv4.RefreshableCredentials(w.fetch, clock=w.clock)
    signer = sigv4.Signer("us-east-1", "service", rc)
    signer.sign("GET", "https://example.amazonaws.com/", None, b"", w.now)
    assert w.calls == 1
    w.now += 3600 - 700  # inside the 15-minute advisory window, outside the 10-minute one
    assert rc.is_ready and rc.needs_refresh
    results = _run_threads(lambda k: signer.sign("GET", "https://example.amazonaws.com/", None, b"", w.now))
    assert w.calls == 2
    # Threads either used the old (still valid) or the new credentials, never anything else.
    creds_used = {r["Authorization"].split("Credential=")[1].split("/")[0] for r in results}
    assert creds_used <= {"AKIDGEN1", "AKIDGEN2"}
    assert not rc.needs_refresh


def test_failed_refresh_advisory_keeps_credentials_mandatory_raises(caplog):
    w = FakeWorld()
    rc = sigv4.RefreshableCredentials(w.fetch, clock=w.clock)
    first = rc.get_frozen_credentials()
    w.fail = True
    w.now += 3600 - 700
    assert rc.get_frozen_credentials() == first  # advisory: failure logged, old ones kept
    assert any("refreshing credentials failed" in r.getMessage() and r.name == "sigv4" for r in caplog.records)
    w.now += 200
    with pytest.raises(RuntimeError, match="credential service unavailable"):
        rc.get_frozen_credentials()
    w.fail = False
    assert rc.get_frozen_credentials().access_key.startswith("AKIDGEN")


def test_concurrent_explicit_refresh_is_single_flight():
    w = FakeWorld()
    entered = []
    all_in = threading.Event()
    inner_fetch = w.fetch

    def fetch():
        # Hold the first fetch until every thread has called refresh(), so they all overlap it.
        assert all_in.wait(timeout=30)
        time.sleep(0.2)
        return inner_fetch()

    rc = sigv4.RefreshableCredentials(fetch, clock=w.clock)

    def work(k):
        entered.append(k)
        if len(entered) == N_THREADS:
            all_in.set()
        return rc.refresh()

    results = _run_threads(work)
    assert w.calls == 1
    assert {r.access_key for r in results} == {"AKIDGEN1"}
    # As PyPI sigv4's refresh(): fresh credentials are not fetched again (two calls within
    # the hour: one fetch) ...
    assert rc.refresh().access_key == "AKIDGEN1" and w.calls == 1
    w.now += 3600 - 14 * 60  # ... until they are inside the 15-minute refresh window.
    assert rc.refresh().access_key == "AKIDGEN2" and w.calls == 2


def test_fetcher_reentering_raises_instead_of_deadlocking():
    holder = {}

    def fetch():
        # A fetcher that (wrongly) signs with the credentials it is fetching.
        holder["signer"].sign("GET", "https://example.amazonaws.com/", None, b"", T0)
        return sigv4.Credentials("AKIDX", "secret")

    rc = sigv4.RefreshableCredentials(fetch)
    holder["signer"] = sigv4.Signer("us-east-1", "service", rc)
    with pytest.raises(sigv4.CredentialsError, match="fetcher needed the credentials"):
        rc.get_frozen_credentials()
    assert not rc.is_ready
