"""The one random source of the emulator: seedable, so that a run can be repeated exactly."""

from __future__ import annotations

import random
import threading


class RandomSource:
    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def reseed(self, seed: int | None = None) -> None:
        with self._lock:
            if seed is not None:
                self._seed = seed
            self._random = random.Random(self._seed)

    def chance(self, probability: float) -> bool:
        """True with the given probability (1.0 always, 0.0 never)."""
        if probability >= 1.0:
            return True
        if probability <= 0.0:
            return False
        with self._lock:
            return self._random.random() < probability

    def generator(self, seed: int) -> random.Random:
        """An independent generator for one purpose (e.g. one fault with its own seed)."""
        return random.Random(seed)

    def nth(self, seed: int, index: int) -> float:
        """The ``index``-th draw of a sequence seeded with ``seed``, whoever draws it (workers sharing one box draw a
        fault's sequence in turns)."""
        return random.Random(f"{seed}:{index}").random()
