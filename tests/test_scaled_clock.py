"""The background runner under the scaled clock (real time × scale): faxes move on their own, without advance."""

import re
import threading

from emulator.testing.server import EmulatorServer

FAX = (
    "<schedule_fax><cover_page><enabled>false</enabled></cover_page>"
    "<recipient><fax_number>555-1234</fax_number></recipient>"
    "<attachment><location>inline</location><name>a.txt</name><content_type>text/plain</content_type>"
    "<content>aGVsbG8=</content></attachment></schedule_fax>"
)


def test_a_fax_reaches_sent_on_the_scaled_clock(tmp_path):
    # 47 emulated seconds (2 s conversion, 15 s dialling, 30 s for the page) take a fraction of a second at x500.
    server = EmulatorServer(tmp_path, manual_clock=False, time_scale=500)
    server.start()
    handle = server.handle()
    try:
        response = handle._http.post("/ffws/v1/ofax", content=FAX, auth=handle.auth)
        assert response.status_code == 201
        entry_url = re.search(r"<fax_entry_url>([^<]+)</fax_entry_url>", response.text).group(1)
        pause = threading.Event()
        states = []
        for _ in range(600):  # a bounded wait for real time to pass, not a sleep standing in for the queue
            states.append(handle.state_of(entry_url))
            if states[-1] == "sent":
                break
            pause.wait(0.05)
        assert states[-1] == "sent", states
        assert handle.clock()["manual"] is False
        entry = handle._http.get(re.sub(r"^https://[^/]+", "", entry_url), auth=handle.auth).text
        assert "<schedule_message>Successfully sent fax</schedule_message>" in entry
    finally:
        handle.close()
        server.stop()


def test_switching_to_manual_freezes_time(tmp_path):
    server = EmulatorServer(tmp_path, manual_clock=False, time_scale=1000)
    server.start()
    handle = server.handle()
    try:
        frozen = handle._control("PUT", "/clock", json={"manual": True})
        threading.Event().wait(0.2)
        assert handle.clock()["now"] == frozen["now"]
        resumed = handle._control("PUT", "/clock", json={"manual": False, "time_scale": 1000})
        assert resumed["manual"] is False and resumed["time_scale"] == 1000
    finally:
        handle.close()
        server.stop()
