"""What authentication costs: one argon2id password check, and the per-request check of each
credential the guard accepts (appliance token, session JWT, API key), through the Flask test client.

    PYTHONPATH=. python bench/auth_checks.py

Prints figures; asserts nothing. Uses a throwaway data directory.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from securitycam.app import create_app
from securitycam.auth.passwords import HASHER, hash_password, verify_password

PASSWORD = "bench password"


def timed(label: str, fn: Callable[[], object], runs: int) -> None:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    median = statistics.median(samples) * 1000
    print(f"{label:48s} median {median:8.3f} ms  min {min(samples) * 1000:8.3f} ms  ({runs} runs)")


def main() -> None:
    print(f"argon2id: memory {HASHER.memory_cost} KiB, time_cost {HASHER.time_cost}, parallelism {HASHER.parallelism}")
    stored = hash_password(PASSWORD)
    timed("hash a password", lambda: hash_password(PASSWORD), 20)
    timed("check a password (right)", lambda: verify_password(stored, PASSWORD), 20)
    timed("check a password (wrong)", lambda: verify_password(stored, "nope"), 20)
    timed("check a password (unknown user, decoy)", lambda: verify_password(None, "nope"), 20)

    os.environ["SECURITYCAM_PASSWORD"] = PASSWORD
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(Path(data_dir), start=False)
        try:
            anon = app.test_client()
            token = anon.post("/auth/validate", json={"password": PASSWORD}).json["token"]
            jwt = anon.post("/auth/login", data={"username": "admin", "password": PASSWORD}).json["access_token"]
            key = anon.post("/auth/api-keys", json={"name": "bench"}, headers={"Authorization": f"Bearer {jwt}"})
            api_key = key.json["key"]
            client = app.test_client()
            runs = 2000
            timed("GET /auth/status, no credential", lambda: client.get("/auth/status"), runs)
            timed("GET /auth/me, appliance token", lambda: client.get(f"/auth/me?token={token}"), runs)
            timed(
                "GET /auth/me, session JWT (Bearer)",
                lambda: client.get("/auth/me", headers={"Authorization": f"Bearer {jwt}"}),
                runs,
            )
            timed("GET /auth/me, API key", lambda: client.get("/auth/me", headers={"X-API-Key": api_key}), runs)
        finally:
            app.extensions["securitycam"].stop()


if __name__ == "__main__":
    main()
