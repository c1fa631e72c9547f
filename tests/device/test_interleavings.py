"""Property: schedules, aborts, reschedules, advances and resets sent from several threads at once never answer 5xx
and never lose a fax. Once the dust settles and time has passed, every entry of a valid fax that the last reset
left is ``sent`` or ``aborted``: none is ``dead``, none is stuck."""

from __future__ import annotations

import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.conftest import FFClient
from tests.ffws.clients import fax_to

THREADS = 3
KEYS = st.integers(1, 6).map(lambda n: f"{n:08X}")
OPERATIONS = st.one_of(
    st.tuples(st.just("schedule"), st.integers(1000, 1999)),
    st.tuples(st.just("abort"), KEYS),
    st.tuples(st.just("reschedule"), KEYS),
    st.tuples(st.just("advance"), st.integers(0, 90)),
    st.tuples(st.just("reset"), st.just(0)),
)
SCRIPTS = st.lists(st.lists(OPERATIONS, min_size=1, max_size=6), min_size=THREADS, max_size=THREADS)


def _perform(client: FFClient, operation: tuple[str, object]) -> int:
    kind, value = operation
    if kind == "schedule":
        return client.post("/ffws/v1/ofax", fax_to(f"555-{value}")).status_code
    if kind == "abort":
        return client.delete(f"/ffws/v1/ofax/{value}").status_code
    if kind == "reschedule":
        return client.put(f"/ffws/v1/ofax/{value}?at=now").status_code
    if kind == "advance":
        return client.post("/_emulator/clock/advance", json={"seconds": value}).status_code
    return client.post("/_emulator/reset").status_code


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scripts=SCRIPTS)
def test_interleaved_requests_never_fail_and_never_lose_a_fax(client, scripts):
    client.box.reset()
    statuses: list[tuple[tuple[str, object], int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def run(script: list[tuple[str, object]]) -> None:
        other = FFClient(client.box)
        try:
            start.wait()
            for operation in script:
                statuses.append((operation, _perform(other, operation)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            other.close_client()

    threads = [threading.Thread(target=run, args=(script,)) for script in scripts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert len(statuses) == sum(len(script) for script in scripts)
    expected = {"schedule": {201}, "abort": {202, 400}, "reschedule": {202, 400}, "advance": {200}, "reset": {200}}
    assert [s for s in statuses if s[1] not in expected[s[0][0]]] == []

    # One more fax after the dust settles, so there is always something whose fate is checked.
    assert client.post("/ffws/v1/ofax", fax_to("555-1999")).status_code == 201
    client.box.advance(3600)
    listing = client.get("/ffws/v1/ofax?all_users=true&complete_limit=1000")
    assert listing.status_code == 200
    states = [entry.findtext("state") for entry in etree.fromstring(listing.content).iter("fax_entry")]
    assert states and set(states) <= {"sent", "aborted"}, states
