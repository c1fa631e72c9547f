// The box's pages: live sections from the page event stream, and confirmations before destructive forms.
"use strict";
(function () {
  const body = document.body;
  const announce = (text) => {
    const region = document.querySelector("[data-live-status]");
    if (region) region.textContent = text;
  };

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  // Each [data-fragment] section is fetched again (debounced) when an event of one of its kinds arrives.
  function refresher(section) {
    let timer = null;
    let running = false;
    async function load() {
      if (running) { timer = setTimeout(load, 150); return; }
      running = true;
      try {
        const answer = await fetch(section.dataset.fragment, { credentials: "same-origin", headers: { accept: "text/html" } });
        if (answer.redirected || answer.status === 401) { window.location.reload(); return; }
        if (answer.ok) {
          const html = await answer.text();
          const focused = document.activeElement && section.contains(document.activeElement);
          section.innerHTML = html;
          section.dataset.updated = String(Date.now());
          if (focused) { section.setAttribute("tabindex", "-1"); section.focus(); }
        }
      } catch (error) { /* the next event tries again */ }
      finally { running = false; }
    }
    return () => { clearTimeout(timer); timer = setTimeout(load, 120); };
  }

  const url = body.dataset.live;
  if (!url || !window.EventSource) return;
  const sections = Array.from(document.querySelectorAll("[data-fragment]")).map((section) => ({
    kinds: (section.dataset.kinds || "").split(","),
    refresh: refresher(section),
  }));
  const source = new EventSource(url, { withCredentials: true });
  const clock = document.querySelector("[data-clock]");
  for (const kind of ["entry", "line", "inbound", "reset"]) {
    source.addEventListener(kind, (event) => {
      let data = {};
      try { data = JSON.parse(event.data); } catch (error) { return; }
      if (clock && data.time) clock.textContent = data.time;
      for (const section of sections) if (section.kinds.includes(kind)) section.refresh();
      if (kind === "entry") announce(`Fax ${data.fax_key}/${data.entry_key}: ${data.state}`);
      if (kind === "inbound" && data.state === "arriving") announce(`Inbound fax arriving on line ${data.line}`);
    });
  }
  body.dataset.liveConnected = "connecting";
  // What happened between this page's rendering and the stream's (re)opening is caught up at once.
  source.onopen = () => {
    for (const section of sections) section.refresh();
    body.dataset.liveConnected = "yes";
  };
  source.onerror = () => {
    body.dataset.liveConnected = "no";
    // Closed for good (the browser does not retry): the login no longer holds (the stream was answered with the
    // login page), or the box has as many streams as it allows. A section's reload tells which: it goes to the
    // login page in the first case, and the page stays as it is, without live updates, in the second.
    if (source.readyState === EventSource.CLOSED && sections.length) sections[0].refresh();
  };
})();
