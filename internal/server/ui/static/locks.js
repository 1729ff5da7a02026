// The Locks page: every semaphore and mutex with its limit (changeable
// here), holders, waiters in the order they will get it, and a chart of
// the last hour. It follows /api/v1/sync-events, so a release shows
// without a reload. Data reaches the page only as text (el, svg).
"use strict";

(function () {
  const S = window.semaflow;
  const { el, svg } = S;
  const HOUR = 3600 * 1000;

  const state = {
    ns: "", // the namespace shown; "" for all
    find: "",
    items: [], // the locks of the last event
    received: 0, // when it arrived (the page's clock)
    history: new Map(), // lock key -> [{t, holders, waiters}]
    cards: new Map(), // lock key -> its card's parts
    seenNs: new Set(),
    feed: null,
  };

  // A lock's name for people, as Argo's lock metrics name it.
  // A mutex has a name alone, whatever stores it.
  function title(v) {
    if (v.type !== "mutex" && v.storage === "configmap" && v.configMap) return v.configMap + " / " + v.key;
    return v.name || v.key || v.lock;
  }

  // kind says what the lock is; a mutex's storage says nothing to a user.
  function kind(v) {
    if (v.type === "mutex") return v.storage === "database" ? "mutex · database" : "mutex";
    const where = { configmap: "ConfigMap", database: "database", engine: "engine throttle" }[v.storage] || v.storage || "";
    return (v.type || "lock") + (where ? " · " + where : "");
  }

  // Only ConfigMap and database semaphores have a limit one can set.
  function editable(v) {
    return v.type === "semaphore" && (v.storage === "configmap" || v.storage === "database");
  }

  function workflowLink(p) {
    const href = "/workflows/" + S.seg(p.namespace) + "/" + S.seg(p.workflow) + (p.nodeId ? "?node=" + encodeURIComponent(p.nodeId) : "");
    return el("a", { href }, p.workflow);
  }

  function stepOf(p) {
    if (!p.nodeId) return el("span", { class: "muted" }, "whole workflow");
    return el("span", { title: "node " + p.nodeId }, p.nodeName || p.nodeId);
  }

  // waited is how long a waiter has waited, counted on from the event.
  function waited(w) {
    const ms = (w.waitedSeconds || 0) * 1000 + (Date.now() - state.received);
    return S.duration(new Date(0).toISOString(), new Date(Math.max(0, ms)).toISOString());
  }

  // short writes a duration in milliseconds as the CLI's estimates do:
  // seconds under a minute, tens of seconds under an hour, else minutes.
  function short(ms) {
    if (!(ms >= 1000)) return "0s";
    const step = ms < 60e3 ? 1 : ms < 3600e3 ? 10 : 60;
    const secs = Math.round(ms / 1000 / step) * step;
    const h = Math.floor(secs / 3600),
      m = Math.floor((secs % 3600) / 60),
      sec = secs % 60;
    return (h ? h + "h" : "") + (m ? m + "m" : "") + (sec || (!h && !m) ? sec + "s" : "");
  }

  // estimate says when a waiter starts or a hold ends, counted down from
  // the server's median and 90th percentile; "unknown" with the reason
  // until there is history. An older server sends none: "".
  const estimates = new WeakMap(); // cell -> its estimate, for tick
  function estimate(e) {
    if (!e) return "";
    if (!e.known) return "unknown (" + (e.why || "no history yet") + ")";
    const now = Date.now();
    const p50 = Date.parse(e.p50) - now,
      p90 = Date.parse(e.p90) - now;
    if (p90 <= 0) return "any moment now";
    return "in ~" + short(p50) + " (90%: " + short(p90) + ")";
  }
  function estimateCell(cls, e, title) {
    const td = el("td", { class: cls + (e && !e.known ? " muted" : ""), title }, estimate(e));
    if (e) estimates.set(td, e);
    td.setAttribute("data-estimate", "1");
    return td;
  }

  // holdTimes is the line under a lock's tables: its recorded holds.
  function holdTimes(v) {
    const t = v.holdTimes;
    if (!t || !t.samples) return el("p", { class: "lock-hist muted" }, "Hold times: none recorded yet.");
    return el(
      "p",
      { class: "lock-hist", title: "how long holds of this lock lasted, the basis of the estimates" },
      "Hold times: " + t.samples + " recorded, median " + short(t.p50Seconds * 1000) + ", 90% " + short(t.p90Seconds * 1000) + "."
    );
  }

  // others is the line for holders or waiters of another namespace,
  // which a token scoped to this one may count but not see.
  function others(n, what) {
    if (!n) return null;
    return el("p", { class: "others muted" }, n === 1 ? what + " by a workflow of another namespace" : what + " by " + n + " workflows of other namespaces");
  }

  function holdersTable(v) {
    const rows = v.holding.map((h) =>
      el(
        "tr",
        { "data-holder": h.workflow },
        el("td", {}, workflowLink(h)),
        el("td", {}, stepOf(h)),
        el("td", { title: h.since ? "since " + new Date(h.since).toLocaleString() : "" }, h.since ? el("span", { "data-since": h.since }, S.duration(h.since)) : el("span", { class: "muted" }, "unknown")),
        el("td", { class: "token", title: "fencing token: higher than every token handed out before it" }, String(h.token)),
        estimateCell("release", h.release, "when holds that lasted as long ended: median (90% of them by)")
      )
    );
    const other = others(v.otherHolders, "held");
    if (!rows.length) return other || el("p", { class: "none" }, "Nobody holds it.");
    const table = el(
      "table",
      { class: "holders" },
      el("thead", {}, el("tr", {}, el("th", {}, "Workflow"), el("th", {}, "Step"), el("th", { title: "how long it has held the lock" }, "Held for"), el("th", {}, "Token"), el("th", {}, "Expected release"))),
      el("tbody", {}, rows)
    );
    return other ? [table, other] : table;
  }

  // The reasons column shows only when a waiter is held back by more
  // than the limit: mostly it would stand empty.
  function waitersTable(v) {
    const other = others(v.otherWaiters, "also waited for");
    if (!v.queue.length) return other || el("p", { class: "none" }, "Nobody waits.");
    const reasons = v.queue.some((w) => w.reason);
    const rows = v.queue.map((w) =>
      el(
        "tr",
        { "data-waiter": w.workflow },
        el("td", {}, String(w.position)),
        el("td", {}, workflowLink(w)),
        el("td", {}, stepOf(w)),
        el("td", {}, String(w.priority)),
        el("td", { title: "waiting since " + new Date(w.since).toLocaleString() }, el("span", { "data-waited": "1" }, waited(w))),
        estimateCell("start", w.start, "estimated from the recorded hold times: median (90% chance by)"),
        reasons ? el("td", { class: w.reason ? "reason" : "muted" }, w.reason || "") : null
      )
    );
    const table = el(
      "table",
      { class: "waiters" },
      el(
        "thead",
        {},
        el("tr", {}, el("th", {}, "#"), el("th", {}, "Workflow"), el("th", {}, "Step"), el("th", {}, "Priority"), el("th", {}, "Waited"), el("th", {}, "Starts in"), reasons ? el("th", {}, "Held back by") : null)
      ),
      el("tbody", {}, rows)
    );
    return other ? [table, other] : table;
  }

  // chart draws holders (solid) and waiters (dashed) over the last hour,
  // with the limit as a dotted line.
  function chart(v) {
    const W = 260,
      H = 110,
      top = 6,
      bottom = 14;
    const now = Date.now();
    const from = now - HOUR;
    const pts = (state.history.get(v.lock) || []).filter((p, i, a) => p.t >= from || (a[i + 1] && a[i + 1].t >= from));
    const ymax = Math.max(1, v.limit, ...pts.map((p) => Math.max(p.holders, p.waiters)));
    const x = (t) => (Math.max(t, from) - from) / HOUR * W;
    const y = (n) => top + (1 - n / ymax) * (H - top - bottom);
    const path = (field) => {
      if (!pts.length) return "";
      let d = "M" + x(pts[0].t).toFixed(1) + "," + y(pts[0][field]).toFixed(1);
      for (let i = 1; i < pts.length; i++) {
        d += "H" + x(pts[i].t).toFixed(1) + "V" + y(pts[i][field]).toFixed(1);
      }
      return d + "H" + W;
    };
    const last = pts.length ? pts[pts.length - 1] : { holders: 0, waiters: 0 };
    return svg(
      "svg",
      { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "Holders and waiters over the last hour: now " + last.holders + " holding, " + last.waiters + " waiting" },
      svg("title", {}, "Holders (solid) and waiters (dashed) over the last hour"),
      svg("line", { class: "axis", x1: 0, x2: W, y1: H - bottom, y2: H - bottom }),
      v.limit > 0 ? svg("line", { class: "limit", x1: 0, x2: W, y1: y(v.limit), y2: y(v.limit) }) : null,
      svg("path", { class: "waiters", d: path("waiters") }),
      svg("path", { class: "holders", d: path("holders") }),
      svg("text", { x: 0, y: H - 2 }, "1 hour ago"),
      svg("text", { x: W, y: H - 2, "text-anchor": "end" }, "now"),
      svg("text", { x: 2, y: top + 8 }, String(ymax))
    );
  }

  function limitForm(v, card) {
    const input = el("input", { type: "number", min: 0, step: 1, value: v.limit, "aria-label": "New limit of " + title(v), name: "limit" });
    const save = el("button", { type: "submit" }, "Set limit");
    const form = el("form", { class: "lock-limit" }, el("span", {}, "Limit"), input, save);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const n = Number(input.value);
      if (!Number.isInteger(n) || n < 0) {
        S.flash("The limit must be a whole number, 0 or more (0 pauses the semaphore).", true);
        return;
      }
      const cur = card.view;
      const body = cur.storage === "configmap" ? { cmName: cur.configMap, key: cur.key, limit: n, type: "CONFIGMAP" } : { key: cur.key, limit: n, type: "DATABASE" };
      save.disabled = true;
      try {
        await S.api("PUT", "/api/v1/sync/" + S.seg(cur.namespace) + "/" + S.seg(cur.key), body);
        S.flash("The limit of " + title(cur) + " is now " + n + ".", false);
        input.blur();
      } catch (e) {
        S.flash(e.message, true);
      } finally {
        save.disabled = false;
      }
    });
    card.limitInput = input;
    return form;
  }

  // card makes or updates a lock's card. The limit field is left alone
  // while someone types in it.
  function card(v) {
    let c = state.cards.get(v.lock);
    if (!c) {
      c = { root: el("section", { class: "lock-card", "data-lock": v.lock }) };
      c.name = el("span", { class: "lock-name" });
      c.kind = el("span", { class: "lock-kind" });
      c.ns = el("span", { class: "muted" });
      c.use = el("span", { class: "lock-use" });
      c.head = el("div", { class: "lock-head" }, c.name, c.kind, c.ns, c.use);
      c.tables = el("div", {});
      c.chart = el("div", { class: "lock-chart" });
      c.legend = el("div", { class: "lock-legend" }, el("span", { class: "h" }, "— holding"), el("span", { class: "w" }, "- - waiting"), el("span", {}, "··· limit"));
      c.root.append(c.head, el("div", { class: "lock-body" }, c.tables, el("div", {}, c.chart, c.legend)));
      state.cards.set(v.lock, c);
    }
    c.view = v;
    c.name.textContent = title(v);
    c.kind.textContent = kind(v);
    c.ns.textContent = "namespace " + v.namespace;
    const held = v.holding.length + (v.otherHolders || 0);
    const waiting = v.queue.length + (v.otherWaiters || 0);
    c.use.textContent = v.limit === 0 ? "paused (limit 0)" : held + " of " + v.limit + " in use" + (waiting ? ", " + waiting + " waiting" : "");
    c.use.className = "lock-use" + (v.limit > 0 && held >= v.limit ? " full" : "");
    if (editable(v)) {
      if (!c.limitInput) c.head.append(limitForm(v, c));
      if (document.activeElement !== c.limitInput) c.limitInput.value = v.limit;
    } else if (!c.fixed) {
      c.fixed = el("span", { class: "muted" }, "limit " + v.limit + (v.type === "mutex" ? " (a mutex)" : " (set by the engine's flags)"));
      c.head.append(c.fixed);
    }
    if (!held && !waiting) c.tables.replaceChildren(el("p", { class: "lock-free" }, "Free: nobody holds it and nobody waits."), holdTimes(v));
    else c.tables.replaceChildren(...[el("h3", {}, "Holding"), holdersTable(v), el("h3", {}, "Waiting, in the order they will get it"), waitersTable(v), holdTimes(v)].flat());
    c.chart.replaceChildren(chart(v));
    return c.root;
  }

  function matches(v) {
    if (!state.find) return true;
    const f = state.find.toLowerCase();
    const names = [v.lock, title(v)].concat(v.holding.map((h) => h.workflow), v.queue.map((w) => w.workflow));
    return names.some((n) => String(n).toLowerCase().includes(f));
  }

  function render() {
    const box = document.getElementById("locks");
    const shown = state.items.filter(matches);
    if (!state.items.length) {
      box.replaceChildren(el("p", { class: "empty" }, "No locks yet. A lock appears here once a workflow asks for it or its limit is set."));
      return;
    }
    if (!shown.length) {
      box.replaceChildren(el("p", { class: "empty" }, "No lock matches “" + state.find + "”."));
      return;
    }
    // Busy locks first, then by name.
    shown.sort((a, b) => b.queue.length - a.queue.length || b.holding.length - a.holding.length || a.lock.localeCompare(b.lock));
    const roots = shown.map(card);
    // Moving a card would take the focus from its limit field.
    const same = roots.length === box.children.length && roots.every((r, i) => box.children[i] === r);
    if (!same) box.replaceChildren(...roots);
    for (const key of state.cards.keys()) {
      if (!state.items.some((v) => v.lock === key)) state.cards.delete(key);
    }
  }

  function record(items, t) {
    for (const v of items) {
      const pts = state.history.get(v.lock) || [];
      const p = { t, holders: v.holding.length + (v.otherHolders || 0), waiters: v.queue.length + (v.otherWaiters || 0) };
      const last = pts[pts.length - 1];
      if (!last || last.holders !== p.holders || last.waiters !== p.waiters) pts.push(p);
      while (pts.length > 2 && pts[1].t < t - HOUR) pts.shift();
      state.history.set(v.lock, pts);
    }
  }

  function nsOptions() {
    const sel = document.getElementById("locks-ns");
    const scoped = S.namespaces.length > 0;
    const names = new Set(S.namespaces);
    for (const n of state.seenNs) names.add(n);
    if (state.ns) names.add(state.ns);
    const opts = scoped ? [] : [el("option", { value: "" }, "All namespaces")];
    for (const n of [...names].sort()) opts.push(el("option", { value: n }, n));
    sel.replaceChildren(...opts);
    sel.value = state.ns;
  }

  async function loadHistory() {
    const q = state.ns ? "?namespace=" + encodeURIComponent(state.ns) : "";
    try {
      const h = await S.api("GET", "/api/v1/sync-history" + q);
      state.historyFailed = false;
      S.unflash("locks-history");
      for (const it of h.items || []) {
        const live = state.history.get(it.lock) || [];
        const first = live.length ? live[0].t : Infinity;
        state.history.set(it.lock, (it.points || []).filter((p) => p.t < first).concat(live));
      }
      render();
    } catch (e) {
      state.historyFailed = true;
      S.flash("The chart's history could not be read: " + e.message, true, "locks-history");
    }
  }

  function follow() {
    if (state.feed) state.feed.close();
    state.items = [];
    state.cards.clear();
    state.history.clear();
    const q = state.ns ? "?namespace=" + encodeURIComponent(state.ns) : "";
    state.feed = S.stream("/api/v1/sync-events" + q, {
      // Live again: the errors of the time it was not come down, and a
      // chart history that could not be read is read now.
      onOpen() {
        S.unflash("locks-feed");
        if (state.historyFailed) loadHistory();
      },
      onEvent(ev) {
        state.items = ev.items || [];
        state.received = Date.now();
        let grew = false;
        for (const v of state.items) {
          if (!state.seenNs.has(v.namespace)) {
            state.seenNs.add(v.namespace);
            grew = true;
          }
        }
        if (grew) nsOptions();
        record(state.items, Date.now());
        render();
      },
      onError(e) {
        S.flash("Live updates interrupted: " + e.message + " (retrying)", true, "locks-feed");
      },
    });
    loadHistory();
  }

  // Times count on between events; the chart slides.
  function tick() {
    for (const s of document.querySelectorAll("#locks [data-since]")) s.textContent = S.duration(s.getAttribute("data-since"));
    for (const td of document.querySelectorAll("#locks [data-estimate]")) {
      const e = estimates.get(td);
      if (e) td.textContent = estimate(e);
    }
    const byKey = new Map(state.items.map((v) => [v.lock, v]));
    for (const c of state.cards.values()) {
      const v = byKey.get(c.view.lock);
      if (!v) continue;
      const cells = c.root.querySelectorAll("[data-waited]");
      v.queue.forEach((w, i) => {
        if (cells[i]) cells[i].textContent = waited(w);
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    state.ns = S.param("namespace") || (S.namespaces.length ? S.namespaces[0] : "");
    state.find = S.param("find");
    nsOptions();
    const find = document.getElementById("locks-find");
    find.value = state.find;
    find.addEventListener("input", () => {
      state.find = find.value.trim();
      S.setParams({ find: state.find });
      render();
    });
    document.getElementById("locks-ns").addEventListener("change", (e) => {
      state.ns = e.target.value;
      S.setParams({ namespace: state.ns });
      follow();
    });
    follow();
    setInterval(tick, 1000);
    setInterval(render, 30000);
  });
})();
