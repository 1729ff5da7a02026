"use strict";
// The Workflows page: every workflow of a namespace (or all), filtered by
// phase and label, kept current by the API's watch stream.
(function () {
  const { el, patch, stream, phaseBadge, duration, ago, param, setParams, seg, namespaces } = window.semaflow;
  const PHASES = ["", "Pending", "Running", "Succeeded", "Failed", "Error"];
  const MAX_ROWS = 500;

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("page");
    const state = { ns: param("namespace"), phase: param("phase"), labels: param("labels"), wfs: new Map(), conn: null };
    if (!state.ns && namespaces.length) state.ns = namespaces[0];

    const nsInput = namespaces.length
      ? el("select", { id: "f-namespace" }, namespaces.map((n) => el("option", { value: n, selected: n === state.ns }, n)))
      : el("input", { id: "f-namespace", placeholder: "all namespaces", value: state.ns, size: 16 });
    const phaseSel = el("select", { id: "f-phase" }, PHASES.map((p) => el("option", { value: p, selected: p === state.phase }, p || "any phase")));
    const labelInput = el("input", { id: "f-labels", placeholder: "app=web,tier!=db", value: state.labels, size: 24 });
    const count = el("span", { class: "muted", id: "count" });
    root.append(
      el("form", { class: "filters", id: "filters" },
        el("label", {}, "Namespace", nsInput),
        el("label", {}, "Phase", phaseSel),
        el("label", {}, "Labels", labelInput),
        count),
    );
    const body = el("tbody", { id: "wf-rows" });
    root.append(
      el("table", { id: "wf-table" },
        el("thead", {}, el("tr", {}, ["Name", "Namespace", "Phase", "Started", "Duration", "Progress", "Message", "Labels"].map((h) => el("th", {}, h)))),
        body),
    );

    function connect() {
      if (state.conn) state.conn.close();
      state.wfs.clear();
      render();
      let path = "/api/v1/workflow-events/" + (state.ns ? seg(state.ns) : "");
      if (state.labels) path += "?listOptions.labelSelector=" + encodeURIComponent(state.labels);
      state.conn = stream(path, {
        onOpen() {
          state.wfs.clear(); // the watch sends everything again first
          window.semaflow.flash("");
        },
        onEvent(ev) {
          const wf = ev.object;
          if (!wf || !wf.metadata) return;
          const key = wf.metadata.namespace + "/" + wf.metadata.name;
          if (ev.type === "DELETED") state.wfs.delete(key);
          else state.wfs.set(key, wf);
          schedule();
        },
        onError(e) {
          window.semaflow.flash(e.message, true);
        },
      });
    }

    let pending = false;
    function schedule() {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        render();
      });
    }

    function render() {
      const rows = [...state.wfs.values()]
        .filter((wf) => !state.phase || (wf.status && wf.status.phase ? wf.status.phase : "Pending") === state.phase)
        .sort((a, b) => (b.metadata.creationTimestamp || "").localeCompare(a.metadata.creationTimestamp || "") || a.metadata.name.localeCompare(b.metadata.name));
      count.textContent = rows.length === 1 ? "1 workflow" : rows.length + " workflows";
      const trs = rows.slice(0, MAX_ROWS).map(row);
      if (!trs.length) {
        trs.push(el("tr", { "data-key": "empty" }, el("td", { colspan: 8, class: "empty" }, "No workflows here. Submit one with: semaflow submit FILE --server URL")));
      }
      // In place: a row that stays keeps a selection or the focus in it.
      patch(body, trs);
    }

    function row(wf) {
      const m = wf.metadata;
      const st = wf.status || {};
      const labels = Object.entries(m.labels || {})
        .filter(([k]) => !k.startsWith("workflows.argoproj.io/"))
        .map(([k, v]) => el("span", { class: "label" }, k + "=" + v));
      return el("tr", { "data-key": m.namespace + "/" + m.name, "data-name": m.name, "data-namespace": m.namespace },
        el("td", {}, el("a", { href: "/workflows/" + seg(m.namespace) + "/" + seg(m.name) }, m.name)),
        el("td", {}, m.namespace),
        el("td", {}, phaseBadge(st.phase)),
        el("td", { title: st.startedAt || "" }, ago(st.startedAt)),
        el("td", {}, duration(st.startedAt, st.finishedAt)),
        el("td", {}, st.progress || ""),
        el("td", { class: "msg" }, st.message || ""),
        el("td", {}, labels));
    }

    function changed() {
      state.ns = nsInput.value.trim();
      state.phase = phaseSel.value;
      state.labels = labelInput.value.trim();
      setParams({ namespace: state.ns, phase: state.phase, labels: state.labels });
    }
    nsInput.addEventListener("change", () => { changed(); connect(); });
    labelInput.addEventListener("change", () => { changed(); connect(); });
    phaseSel.addEventListener("change", () => { changed(); render(); });
    document.getElementById("filters").addEventListener("submit", (e) => { e.preventDefault(); changed(); connect(); });
    // Durations and "ago" move on without events.
    setInterval(render, 1000);
    connect();
  });
})();
