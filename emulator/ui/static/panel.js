// The Emulator panel: the control plane (/_emulator) from the browser, with X-Emulator-Token from session storage.
"use strict";
(function () {
  const KEY = "ffemu-control-token";
  const $ = (selector) => document.querySelector(selector);
  const tokenCard = $("#token");
  const status = $("[data-panel-status]");
  const say = (text) => { status.textContent = text; };
  const token = () => sessionStorage.getItem(KEY) || "";

  class Refused extends Error {}

  async function call(method, path, body, raw) {
    const headers = {};
    if (token()) headers["X-Emulator-Token"] = token();
    if (body !== undefined && !raw) headers["content-type"] = "application/json";
    const answer = await fetch("/_emulator" + path, {
      method, headers, body: body === undefined ? undefined : (raw ? body : JSON.stringify(body)),
    });
    if (answer.status === 401) { askForToken(true); throw new Refused("token"); }
    const type = answer.headers.get("content-type") || "";
    const data = type.includes("json") ? await answer.json() : await answer.blob();
    if (!answer.ok) throw new Error((data && data.error) || `${answer.status}`);
    return data;
  }

  function askForToken(refused) {
    tokenCard.hidden = false;
    $("[data-token-error]").hidden = !refused || !token();
    tokenCard.querySelector("input").focus();
  }

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of children) node.append(child);
    return node;
  };

  // -- clock ------------------------------------------------------------------------------------------------
  function showClock(clock) {
    $("[data-clock-now]").textContent = clock.now;
    const top = document.querySelector("[data-clock]");
    if (top) top.textContent = clock.now;
    $("[data-clock-mode]").textContent = clock.manual ? "Manual: time moves only when advanced" : `Scaled real time × ${clock.time_scale}`;
    const form = $("form[data-action=clock]");
    form.manual.checked = clock.manual;
    form.time_scale.value = clock.time_scale;
  }
  const loadClock = async () => showClock(await call("GET", "/clock"));

  // -- faults -----------------------------------------------------------------------------------------------
  async function loadFaults() {
    const list = $("[data-faults]");
    const { faults } = await call("GET", "/faults");
    list.replaceChildren(...(faults.length ? faults.map((f) => {
      const what = f.kind === "fax" ? `fax ${f.fax_number} → ${f.outcome}` : `${f.method} ${f.path} → ${f.status || ""}${f.delay_ms ? ` +${f.delay_ms} ms` : ""}${f.drop_connection ? " drop" : ""}`;
      const remove = el("button", { type: "button", class: "danger" }, "Remove");
      remove.addEventListener("click", () => run(async () => { await call("DELETE", `/faults/${f.id}`); await loadFaults(); }, "Fault removed."));
      return el("li", { "data-fault": f.id }, el("span", {}, `#${f.id} ${what} (matched ${f.matched ?? 0})`), remove);
    }) : [el("li", { class: "empty" }, "No faults.")]));
  }

  // -- journal ----------------------------------------------------------------------------------------------
  function journalItem(entry) {
    const summary = el("summary", {},
      el("span", { class: `status s${String(entry.status)[0]}` }, String(entry.status ?? "–")),
      el("span", {}, `${entry.method} ${entry.path}`),
      el("span", { class: "num" }, `${entry.user || "-"} · ${entry.duration_ms} ms · ${entry.time}`));
    const details = el("details", { "data-journal-id": entry.id }, summary);
    const warnings = entry.warnings || [];
    if (warnings.length) summary.append(el("span", { class: "warn" }, `⚠ ${warnings.length}`));
    details.addEventListener("toggle", async () => {
      if (!details.open || details.dataset.loaded) return;
      details.dataset.loaded = "yes";
      try {
        const whole = await call("GET", `/journal/${entry.id}`);
        const parts = [];
        if (whole.reason) parts.push(el("p", {}, `Reason: ${whole.reason}`));
        for (const w of whole.warnings || []) parts.push(el("p", { class: "warn" }, `Warning: ${w}`));
        parts.push(el("h3", {}, "Request"), el("pre", {}, `${whole.method} ${whole.path}${whole.query ? "?" + whole.query : ""}\n\n${whole.request_body || ""}`));
        parts.push(el("h3", {}, "Response"), el("pre", {}, whole.response_body || ""));
        details.append(...parts);
      } catch (error) { details.append(el("p", {}, String(error.message))); }
    });
    return el("li", {}, details);
  }
  async function loadJournal() {
    const { entries } = await call("GET", "/journal?limit=100");
    const list = $("[data-journal]");
    list.replaceChildren(...(entries.length ? entries.reverse().map(journalItem) : [el("li", { class: "empty" }, "No requests yet.")]));
  }

  // -- live: the control plane's stream, read with fetch (EventSource cannot send the token) ----------------
  let stream = null;
  async function listen() {
    if (stream) stream.abort();
    stream = new AbortController();
    const headers = token() ? { "X-Emulator-Token": token() } : {};
    try {
      const answer = await fetch("/_emulator/events?types=journal,clock,reset", { headers, signal: stream.signal });
      if (!answer.ok) return;
      const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
          const kind = (block.match(/^event: (.*)$/m) || [])[1];
          const data = (block.match(/^data: (.*)$/m) || [])[1];
          if (kind && data) onEvent(kind, JSON.parse(data));
        }
      }
    } catch (error) { /* aborted or dropped */ }
    setTimeout(() => { if (stream && !stream.signal.aborted) listen(); }, 2000);
  }
  function onEvent(kind, data) {
    if (kind === "clock" || kind === "reset") loadClock().catch(() => {});
    if (kind === "reset") { loadFaults().catch(() => {}); loadJournal().catch(() => {}); }
    if (kind === "journal" && $("[data-journal-live]").checked) {
      const list = $("[data-journal]");
      const empty = list.querySelector(".empty");
      if (empty) empty.remove();
      list.prepend(journalItem(data));
      while (list.children.length > 200) list.lastChild.remove();
    }
  }

  // -- actions ----------------------------------------------------------------------------------------------
  async function run(action, done) {
    try { await action(); if (done) say(done); }
    catch (error) { if (!(error instanceof Refused)) say(`Refused: ${error.message}`); }
  }
  const number = (value) => (value === "" || value === undefined ? undefined : Number(value));
  const fileBase64 = (file) => new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.advance) {
      run(async () => { showClock(await call("POST", "/clock/advance", { seconds: Number(button.dataset.advance) })); }, `Advanced ${button.textContent}.`);
    }
    const action = button.dataset.action;
    if (action === "reset" && window.confirm("Put every state back to the fixtures?")) {
      run(async () => { await call("POST", "/reset"); await Promise.all([loadClock(), loadFaults(), loadJournal()]); }, "Reset done.");
    } else if (action === "clear-faults") {
      run(async () => { await call("DELETE", "/faults"); await loadFaults(); }, "Faults cleared.");
    } else if (action === "journal") {
      run(loadJournal);
    } else if (action === "clear-journal") {
      run(async () => { await call("DELETE", "/journal"); await loadJournal(); }, "Journal cleared.");
    } else if (action === "export") {
      run(async () => {
        const blob = await call("GET", "/state/export");
        const data = blob instanceof Blob ? blob : new Blob([JSON.stringify(blob)], { type: "application/json" });
        const link = el("a", { href: URL.createObjectURL(data), download: "faxfinder-state.json" });
        document.body.append(link); link.click(); link.remove();
      }, "State exported.");
    } else if (action === "forget-token") {
      sessionStorage.removeItem(KEY); say("Token forgotten.");
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-action]");
    if (!form) return;
    event.preventDefault();
    const action = form.dataset.action;
    const f = form.elements;
    if (action === "token") {
      sessionStorage.setItem(KEY, f.token.value);
      form.reset();
      run(start, "Token saved for this tab.");
    } else if (action === "clock") {
      run(async () => showClock(await call("PUT", "/clock", { manual: f.manual.checked, time_scale: Number(f.time_scale.value) })), "Clock changed.");
    } else if (action === "fault") {
      const spec = f.kind.value === "fax"
        ? { kind: "fax", fax_number: f.fax_number.value, outcome: f.outcome.value, times: number(f.times.value) }
        : { kind: "http", method: f.method.value, path: f.path.value, status: number(f.status.value), delay_ms: number(f.delay_ms.value) || 0, times: number(f.times.value) };
      run(async () => { const { id } = await call("POST", "/faults", spec); await loadFaults(); say(`Fault ${id} added.`); });
    } else if (action === "inbound") {
      run(async () => {
        const body = { remote_id: f.remote_id.value, caller_id: f.caller_id.value, extension: f.extension.value, outcome: f.outcome.value };
        if (f.document.files.length) body.document_base64 = await fileBase64(f.document.files[0]);
        else body.pages = number(f.pages.value);
        const answer = await call("POST", "/inbound", body);
        say(answer.busy ? "Every line is busy: the caller heard busy." : `Fax ${answer.id} arriving on line ${answer.line}.`);
      });
    } else if (action === "import") {
      run(async () => { await call("POST", "/state/import", f.snapshot.files[0], true); await Promise.all([loadClock(), loadFaults(), loadJournal()]); }, "State imported.");
    }
  });

  async function start() {
    await loadClock();
    tokenCard.hidden = tokenCard.dataset.tokenRequired !== "yes";
    $("[data-token-error]").hidden = true;
    await Promise.all([loadFaults(), loadJournal()]);
    listen();
  }
  run(start);
})();
