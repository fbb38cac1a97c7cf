"""Runs in a child process: waits at a cross-process barrier, then posts one signed callback many times at once."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from cryptopay_client.callbacks import SIGNATURE_HEADER


def post_copies(urls: list[str], body: bytes, signature: str, copies: int, barrier, results) -> None:
    """Importable at module level so a spawned process can run it; sends status codes back on `results`."""
    local = threading.Barrier(copies)

    def one(n: int) -> int:
        with requests.Session() as session:
            local.wait(timeout=30)
            return session.post(urls[n % len(urls)], data=body, timeout=15,
                                headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature}).status_code

    barrier.wait(timeout=60)  # every process is ready before any of them posts
    with ThreadPoolExecutor(max_workers=copies) as pool:
        results.put(list(pool.map(one, range(copies))))
