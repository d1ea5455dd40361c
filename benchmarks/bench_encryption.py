"""What payload encryption adds: the codec's CPU per regeneration, and for 1,000 in flight.

Every payload of recorded regeneration histories (tests/histories/*.json: inputs, plans,
results, activity payloads) is encrypted and decrypted with AES-256-GCM as a client and a
worker would (each payload once each way), many times over; the figure is CPU per
regeneration. A Veo generation takes minutes, so this is the number to hold against it.

    .venv/bin/python benchmarks/bench_encryption.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import time
from pathlib import Path

from temporalio.api.common.v1 import Payload

from retake.encryption import EncryptionCodec, parse_keys

HISTORIES = Path(__file__).resolve().parents[1] / "tests" / "histories"


def payloads_of(path: Path) -> list[Payload]:
    found: list[Payload] = []

    def walk(node):
        if isinstance(node, dict):
            if "data" in node and "metadata" in node and isinstance(node["data"], str):
                meta = {k: base64.b64decode(v) for k, v in node["metadata"].items()}
                found.append(Payload(metadata=meta, data=base64.b64decode(node["data"])))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(path.read_text()))
    return found


async def per_regeneration(payloads: list[Payload], rounds: int) -> list[float]:
    codec = EncryptionCodec(parse_keys("k1:" + base64.b64encode(os.urandom(32)).decode()))
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await codec.decode(await codec.encode(payloads))
        times.append(time.perf_counter() - start)
    return times


def run(rounds: int) -> str:
    names = ["template", "llm", "confirm_revised", "references_trimmed"]
    lines = ["| history | payloads | bytes | encrypt + decrypt, median | 1,000 in flight |",
             "|---|---|---|---|---|"]
    for name in names:
        payloads = payloads_of(HISTORIES / f"{name}.json")
        size = sum(len(p.data) for p in payloads)
        median = statistics.median(asyncio.run(per_regeneration(payloads, rounds)))
        lines.append(f"| {name} | {len(payloads)} | {size:,} | {median * 1e6:.0f} µs | "
                     f"{median * 1000:.2f} s of CPU |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    print(run(parser.parse_args().rounds))
