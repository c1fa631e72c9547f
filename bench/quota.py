"""What the disk quota's tally costs: the one walk of a documents directory of N faxes (done lazily, the first time a
request needs it), and the per-request cost once it is known (a claim and its commit, a preview's touch).

    .venv/bin/python bench/quota.py [--faxes 50000] [--files 3]

The documents directory is synthetic (N fax folders of ``--files`` small files each, one of them a cached preview);
the walk runs on a cold and on a warm page cache (cold only if the script may drop caches: root, Linux).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from emulator.device.previews import cache_files, cache_key
from emulator.device.quota import DiskQuota


def build(root: Path, faxes: int, files: int) -> None:
    for fax_id in range(1, faxes + 1):
        folder = root / "faxes" / f"{fax_id:08X}"
        folder.mkdir(parents=True)
        (folder / "attachment-1.bin").write_bytes(b"x" * 1000)
        if files > 1:
            (folder / "attachment-1.pdf").write_bytes(b"x" * 1200)
        if files > 2:
            (folder / "preview.pdf").write_bytes(b"x" * 1300)


def drop_caches() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def walk_seconds(root: Path) -> tuple[float, DiskQuota]:
    quota = DiskQuota(root, 1 << 40, dict, cache_key, cache_files)
    started = time.perf_counter()
    quota.usage()
    return time.perf_counter() - started, quota


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faxes", type=int, default=50_000)
    parser.add_argument("--files", type=int, default=3, choices=(1, 2, 3))
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; {args.faxes} faxes, {args.files} files each")
    work = Path(tempfile.mkdtemp(prefix="quota-bench-"))
    try:
        root = work / "documents"
        started = time.perf_counter()
        build(root, args.faxes, args.files)
        print(f"built in {time.perf_counter() - started:.1f} s")
        if drop_caches():
            cold, _quota = walk_seconds(root)
            print(f"walk, cold cache: {cold * 1000:.0f} ms")
        warm = [walk_seconds(root)[0] for _ in range(3)]
        seconds, quota = walk_seconds(root)
        usage = quota.usage()
        print(f"walk, warm cache: {statistics.median(warm) * 1000:.0f} ms (median of 3)")
        print(f"  counted {usage.used:,} bytes, {len(quota.current.cached):,} cached previews")  # type: ignore[union-attr]
        rounds = 20_000
        started = time.perf_counter()
        for _ in range(rounds):
            claim = quota.claim(1000)
            assert claim is not None
            claim.commit(1000)
        per_claim = (time.perf_counter() - started) / rounds
        key = str(root / "faxes" / "00000001" / "preview.pdf")
        started = time.perf_counter()
        for _ in range(rounds):
            quota.touch(key)
        per_touch = (time.perf_counter() - started) / rounds
        print(f"once known: claim + commit {per_claim * 1e6:.1f} us, preview touch {per_touch * 1e6:.1f} us")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
