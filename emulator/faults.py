"""Faults on demand: HTTP faults on /ffws/v1 requests, and fax faults that force an outcome by fax number.

A fault applies ``times`` times at most (unlimited when absent), each match with ``probability``; with a ``seed`` the
fault draws from its own generator, so a run can be repeated exactly; without one it uses the box's random source.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.device.outcomes import OUTCOMES, digits_of
from emulator.randomness import RandomSource

if TYPE_CHECKING:
    import random

FAX_OUTCOMES = tuple(o for o in OUTCOMES if o != "sent")


@dataclass
class Fault:
    id: int
    kind: str  # "http" or "fax"
    method: str = "*"
    path: str = "*"
    status: int | None = None
    message: str = ""
    delay_ms: int = 0
    drop_connection: bool = False
    fax_number: str = "*"
    outcome: str = ""
    times: int | None = None
    probability: float = 1.0
    seed: int | None = None
    matched: int = 0
    _random: random.Random | None = field(default=None, repr=False)

    def as_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        data["remaining"] = None if self.times is None else max(self.times - self.matched, 0)
        return data

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.matched >= self.times


class Faults:
    def __init__(self, source: RandomSource) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1

    def add(self, **spec: Any) -> Fault:
        with self._lock:
            fault = Fault(id=self._next_id, **spec)
            if fault.seed is not None:
                fault._random = self._source.generator(fault.seed)
            self._next_id += 1
            self._faults.append(fault)
            return fault

    def all(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._next_id = 1

    def _fires(self, fault: Fault) -> bool:
        if fault.exhausted:
            return False
        hit = fault._random.random() < fault.probability if fault._random else self._source.chance(fault.probability)
        if hit:
            fault.matched += 1
        return hit

    def for_request(self, forms: set[tuple[str, str]]) -> Fault | None:
        """The HTTP fault that applies to this request, if any (the first that matches and fires); ``forms``: the
        request's (method, path) as sent and as served (a HEAD is served as a GET, ``/x/`` as ``/x``)."""
        with self._lock:
            for fault in self._faults:
                matched = fault.kind == "http" and any(self._matches(fault, m, p) for m, p in forms)
                if matched and self._fires(fault):
                    return fault
            return None

    @staticmethod
    def _matches(fault: Fault, method: str, path: str) -> bool:
        return fault.method in ("*", method.upper()) and fnmatch.fnmatchcase(path, fault.path)

    def outcome_for(self, fax_number: str) -> str | None:
        """The outcome a fax fault forces on a newly scheduled entry to this number, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.kind != "fax":
                    continue
                if not (
                    fnmatch.fnmatchcase(fax_number, fault.fax_number)
                    or fnmatch.fnmatchcase(digits_of(fax_number), fault.fax_number)
                ):
                    continue
                if self._fires(fault):
                    return fault.outcome
            return None
