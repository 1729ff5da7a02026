"use strict";
// The Workflow page: its steps or DAG as a graph, each node with its
// phase, duration and lock state; a node panel with inputs, outputs,
// lock tokens and logs; and the actions Argo has.
(function () {
  const S = window.semaflow;
  const { el, svg, api, stream, phaseBadge, duration, seg, flash, unflash, when, patch } = S;
  const BOX_W = 206, BOX_H = 50, GAP_X = 20, GAP_Y = 34, GAP_WRAP = 10, PAD = 16;
  const FINISHED = ["Succeeded", "Failed", "Error", "Skipped", "Omitted"];
  // A level of the graph shows up to LEVEL_NODES nodes and a "+N more"
  // box, and the graph at most MAX_DRAWN nodes: a DAG of thousands of
  // tasks stays quick to draw and its root and last steps stay in view.
  const LEVEL_NODES = 48, MAX_DRAWN = 400, MORE_STEP = 100;
  // A log shows its last LOG_LINES lines (up to LOG_CHARS characters),
  // with a link to the whole of it.
  const LOG_LINES = 5000, LOG_CHARS = 2 << 20;

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("page");
    const ns = root.dataset.namespace, name = root.dataset.name;
    const base = "/api/v1/workflows/" + seg(ns) + "/" + seg(name);
    const state = { wf: null, selected: S.param("node"), logs: null, logsFor: "", expand: new Map(), drawn: null, failures: 0 };

    const summary = el("div", { class: "card", id: "summary" }, "Loading…");
    const actions = el("div", { class: "actions", id: "actions" });
    const graph = el("div", { class: "graph", id: "graph" });
    const panel = el("div", { class: "card", id: "node-panel" }, el("p", { class: "muted" }, "Select a node to see its inputs, outputs, locks and logs."));
    const split = el("div", { class: "split" }, graph, panel);
    // The actions show once the workflow is read: a page of a workflow
    // that is missing or out of reach offers none.
    actions.hidden = true;
    root.append(summary, actions, split);

    // The actions, each a PUT (DELETE for delete) on Argo's path. The
    // ones that end or discard work ask for a second click.
    const ACTIONS = [
      { id: "stop", label: "Stop", when: (p) => !done(p), confirm: true },
      { id: "terminate", label: "Terminate", when: (p) => !done(p), confirm: true, danger: true },
      { id: "suspend", label: "Suspend", when: (p, wf) => !done(p) && !wf.spec.suspend },
      { id: "resume", label: "Resume", when: (p, wf) => !done(p) && (wf.spec.suspend || hasSuspendedNode(wf)) },
      { id: "retry", label: "Retry", when: (p) => p === "Failed" || p === "Error" },
      { id: "resubmit", label: "Resubmit", when: (p) => done(p) },
      { id: "delete", label: "Delete", when: () => true, confirm: true, danger: true },
    ];
    const buttons = {};
    for (const a of ACTIONS) {
      const b = el("button", { type: "button", id: "action-" + a.id, class: a.danger ? "danger" : "" }, a.label);
      let armed = null;
      b.addEventListener("click", async () => {
        if (a.confirm && !armed) {
          b.textContent = "Click again to " + a.label.toLowerCase();
          armed = setTimeout(() => { armed = null; b.textContent = a.label; }, 4000);
          return;
        }
        clearTimeout(armed);
        armed = null;
        b.textContent = a.label;
        b.disabled = true;
        try {
          if (a.id === "delete") {
            await api("DELETE", base);
            location.assign("/workflows?namespace=" + encodeURIComponent(ns));
            return;
          }
          const wf = await api("PUT", base + "/" + a.id, a.id === "resubmit" ? { memoized: false } : {});
          if (a.id === "resubmit" && wf && wf.metadata) {
            location.assign("/workflows/" + seg(wf.metadata.namespace) + "/" + seg(wf.metadata.name));
            return;
          }
          flash(a.label + ": done");
          refresh();
        } catch (e) {
          flash(e.message, true);
        } finally {
          b.disabled = false;
        }
      });
      buttons[a.id] = b;
      actions.append(b);
    }

    function done(phase) { return FINISHED.includes(phase); }
    function hasSuspendedNode(wf) {
      return Object.values((wf.status && wf.status.nodes) || {}).some((n) => n.type === "Suspend" && n.phase === "Running");
    }

    // The watch says when something changed; the workflow is then read
    // whole (its messages carry live queue positions), at most every 250 ms.
    let timer = null, inflight = false, again = false;
    function refresh() {
      if (inflight) { again = true; return; }
      if (timer) return;
      timer = setTimeout(async () => {
        timer = null;
        inflight = true;
        try {
          state.wf = await api("GET", base);
          state.failures = 0;
          unflash("live");
          render();
        } catch (e) {
          if (!unreachable(e)) {
            flash(e.message, true, "live");
            // Read again later: the error comes down once a read works.
            state.failures++;
            setTimeout(refresh, Math.min(10000, 1000 * state.failures));
          }
        } finally {
          inflight = false;
          if (again) { again = false; refresh(); }
        }
      }, state.wf ? 250 : 0);
    }
    // unreachable shows, in place of the workflow, why it cannot be
    // shown (missing, or out of the token's namespaces), and hides what
    // acts on it; false for any other error.
    function unreachable(e) {
      if (e.status !== 404 && e.status !== 403) return false;
      const why = e.status === 404 ? "Workflow " + ns + "/" + name + " does not exist (any more)."
        : "You may not see workflow " + ns + "/" + name + ": " + e.message;
      summary.replaceChildren(el("p", { class: "error" }, why));
      actions.hidden = true;
      split.hidden = true;
      stopLogs();
      return true;
    }
    stream("/api/v1/workflow-events/" + seg(ns) + "?listOptions.fieldSelector=" + encodeURIComponent("metadata.name=" + name), {
      onOpen: refresh,
      onEvent: refresh,
      onError: (e) => { if (!unreachable(e)) flash(e.message, true, "live"); },
    });
    setInterval(() => { if (state.wf && !done(phaseOf(state.wf))) render(); }, 1000);
    let resized = null;
    window.addEventListener("resize", () => { clearTimeout(resized); resized = setTimeout(() => { if (state.wf) drawGraph(state.wf); }, 150); });

    function phaseOf(wf) { return (wf.status && wf.status.phase) || "Pending"; }

    function render() {
      const wf = state.wf;
      const st = wf.status || {};
      const p = phaseOf(wf);
      const params = ((wf.spec.arguments || {}).parameters || []).map((x) => el("div", {}, el("code", {}, x.name), " = ", String(x.value ?? "")));
      const labels = Object.entries(wf.metadata.labels || {}).filter(([k]) => !k.startsWith("workflows.argoproj.io/"))
        .map(([k, v]) => el("span", { class: "label" }, k + "=" + v));
      split.hidden = false;
      actions.hidden = false;
      if (state.selected && !(st.nodes || {})[state.selected]) state.selected = nodeNamed(st.nodes || {}, state.selected) || state.selected;
      patch(summary, [
        el("dl", { class: "kv" },
          el("dt", {}, "Phase"), el("dd", { id: "wf-phase" }, phaseBadge(p)),
          el("dt", {}, "Namespace"), el("dd", {}, wf.metadata.namespace),
          el("dt", {}, "Started"), el("dd", { title: st.startedAt || "" }, when(st.startedAt) || "not yet"),
          el("dt", {}, "Duration"), el("dd", {}, duration(st.startedAt, st.finishedAt)),
          st.progress ? [el("dt", {}, "Progress"), el("dd", {}, st.progress)] : null,
          st.message ? [el("dt", {}, "Message"), el("dd", { id: "wf-message" }, st.message)] : null,
          labels.length ? [el("dt", {}, "Labels"), el("dd", {}, labels)] : null,
          params.length ? [el("dt", {}, "Parameters"), el("dd", { id: "wf-params" }, params)] : null,
          lockSummary(st.synchronization))]);
      for (const a of ACTIONS) buttons[a.id].hidden = !a.when(p, wf);
      drawGraph(wf);
      renderPanel();
    }

    // nodeNamed finds a node by its name or display name (a ?node= link
    // may give either); "" for none.
    function nodeNamed(nodes, key) {
      for (const [id, n] of Object.entries(nodes)) if (n.name === key || n.displayName === key) return id;
      return "";
    }

    function lockSummary(sync) {
      if (!sync) return null;
      const items = [];
      // Each lock links to its card on the Locks page.
      const line = (cls, what, key) => el("div", { class: "lockstate " + cls }, what + " ",
        el("a", { href: "/locks?namespace=" + encodeURIComponent(ns) + "&find=" + encodeURIComponent(shortLock(key)), title: key }, shortLock(key)));
      for (const h of (sync.semaphore && sync.semaphore.holding) || []) items.push(line("hold", "holding semaphore", h.semaphore));
      for (const h of (sync.mutex && sync.mutex.holding) || []) items.push(line("hold", "holding mutex", h.mutex));
      for (const h of (sync.semaphore && sync.semaphore.waiting) || []) items.push(line("wait", "waiting for semaphore", h.semaphore));
      for (const h of (sync.mutex && sync.mutex.waiting) || []) items.push(line("wait", "waiting for mutex", h.mutex));
      return items.length ? [el("dt", {}, "Locks"), el("dd", {}, items)] : null;
    }

    // lockState says what a node holds or waits for: the fencing tokens
    // it holds, or the lock it waits for and its place in the queue.
    // A finished node's tokens are a record of what it held: it holds
    // nothing any more (released).
    function lockState(n) {
      const sync = n.synchronizationStatus || {};
      const tokens = Object.entries(sync.tokens || {});
      const ended = done(n.phase);
      const out = { held: ended ? [] : tokens, released: ended ? tokens : [], waiting: sync.waiting || "", position: "" };
      if (out.waiting) {
        const m = /\(position (\d+) of (\d+)/.exec(n.message || "");
        if (m) out.position = m[1] + " of " + m[2];
      }
      return out;
    }

    // edgesOf gives each node's children in the graph. A DAG node's
    // tasks hang below the tasks they depend on (from its template), not
    // all below the DAG node, so the graph shows the order they run in.
    function edgesOf(wf, nodes) {
      const out = new Map();
      const templates = new Map(((wf.spec && wf.spec.templates) || []).map((t) => [t.name, t]));
      for (const [id, n] of Object.entries(nodes)) {
        const kids = (n.children || []).filter((c) => nodes[c]);
        const t = n.type === "DAG" && templates.get(n.templateName);
        if (!t || !t.dag) {
          out.set(id, (out.get(id) || []).concat(kids));
          continue;
        }
        const taskOf = (c) => (nodes[c].displayName || "").replace(/\(.*$/, "");
        const byTask = new Map();
        for (const c of kids) {
          const k = taskOf(c);
          if (!byTask.has(k)) byTask.set(k, []);
          byTask.get(k).push(c);
        }
        const top = [];
        for (const task of t.dag.tasks || []) {
          const mine = byTask.get(task.name) || [];
          const deps = new Set(task.dependencies || []);
          for (const w of (task.depends || "").match(/[A-Za-z0-9_-]+/g) || []) if (byTask.has(w)) deps.add(w);
          const from = [...deps].flatMap((d) => byTask.get(d) || []);
          if (!from.length) top.push(...mine);
          for (const f of from) {
            if (!out.has(f)) out.set(f, []);
            out.get(f).push(...mine);
          }
        }
        // Children no task names (hooks, exit handlers) stay below the DAG.
        const placed = new Set((t.dag.tasks || []).flatMap((task) => byTask.get(task.name) || []));
        out.set(id, (out.get(id) || []).concat(top, kids.filter((c) => !placed.has(c))));
      }
      for (const [id, kids] of out) out.set(id, [...new Set(kids)]);
      return out;
    }

    // rank orders siblings as the template lists its tasks and steps, and
    // a task's items by their index: crunch(2:3) after crunch(1:2).
    function rank(nodes, edges) {
      const r = new Map();
      const item = (id) => { const m = /\((\d+)[:)]/.exec(nodes[id].displayName || ""); return m ? Number(m[1]) : -1; };
      const task = (id) => (nodes[id].displayName || "").replace(/\(.*$/, "");
      const byStart = (a, b) => (nodes[a].startedAt || "").localeCompare(nodes[b].startedAt || "") || a.localeCompare(b);
      const ids = Object.keys(nodes).sort(byStart);
      const isChild = new Set([...edges.values()].flat());
      // Breadth first from the roots, each node's children in the order
      // edgesOf lists them (the template's), items of a task by index.
      const queue = ids.filter((id) => !isChild.has(id));
      for (let i = 0; i < queue.length && i < ids.length * 4; i++) {
        const id = queue[i];
        if (r.has(id)) continue;
        r.set(id, r.size);
        const kids = (edges.get(id) || []).filter((c) => nodes[c]).map((c, k) => [c, k]);
        kids.sort((x, y) => (task(x[0]) === task(y[0]) ? item(x[0]) - item(y[0]) : x[1] - y[1]));
        queue.push(...kids.map((x) => x[0]));
      }
      for (const id of ids) if (!r.has(id)) r.set(id, r.size);
      return r;
    }

    // layers places the nodes top-down: each below all its parents.
    function layers(nodes, edges) {
      const ids = Object.keys(nodes);
      const parents = new Map(ids.map((id) => [id, 0]));
      for (const id of ids) for (const c of edges.get(id) || []) if (parents.has(c)) parents.set(c, parents.get(c) + 1);
      const depth = new Map();
      const queue = ids.filter((id) => parents.get(id) === 0);
      for (const id of queue) depth.set(id, 0);
      // Kahn's order: a node is placed once all its parents are.
      for (let i = 0; i < queue.length && i < ids.length * 2; i++) {
        for (const c of edges.get(queue[i]) || []) {
          if (!parents.has(c)) continue;
          depth.set(c, Math.max(depth.get(c) || 0, depth.get(queue[i]) + 1));
          parents.set(c, parents.get(c) - 1);
          if (parents.get(c) === 0) queue.push(c);
        }
      }
      for (const id of ids) if (!depth.has(id)) depth.set(id, 0); // a cycle: never in a workflow
      const rows = [];
      for (const id of ids) {
        const d = depth.get(id);
        (rows[d] = rows[d] || []).push(id);
      }
      const order = rank(nodes, edges);
      for (const r of rows) if (r) r.sort((a, b) => order.get(a) - order.get(b));
      return rows.filter(Boolean);
    }

    // drawGraph draws the graph of wf, changing only what changed since
    // the last drawing (patch): the 1 s tick of a running workflow moves
    // its durations on and nothing else, and a focused or selected node
    // stays focused or selected.
    function drawGraph(wf) {
      const width = graph.clientWidth;
      const key = [wf, width, state.selected, [...state.expand].join()];
      if (state.drawn && key.every((k, i) => k === state.drawn[i])) {
        tickDurations(wf);
        return;
      }
      state.drawn = key;
      const nodes = (wf.status && wf.status.nodes) || {};
      if (!Object.keys(nodes).length) {
        patch(graph, [el("p", { class: "empty" }, "No nodes yet: the workflow has not started.")]);
        return;
      }
      const edges = edgesOf(wf, nodes);
      const all = layers(nodes, edges);
      // A level wider than the box wraps onto several lines inside a
      // dashed group, so 20 parallel tasks need no sideways scrolling;
      // edges then meet the group, not each of its nodes.
      const cols = Math.max(2, Math.floor((width - 2 * PAD + GAP_X) / (BOX_W + GAP_X)));
      const perRow = Math.min(cols, Math.max(...all.map((r) => r.length)));
      const { rows, hidden } = capLevels(nodes, all);
      const W = PAD * 2 + perRow * BOX_W + (perRow - 1) * GAP_X;
      const pos = new Map(), groupOf = new Map(), groups = [], mores = [];
      let y = PAD;
      rows.forEach((r, level) => {
        const cells = r.length + (hidden[level] ? 1 : 0);
        const lines = Math.ceil(cells / perRow);
        const at = (i) => {
          const line = Math.floor(i / perRow), inLine = Math.min(perRow, cells - line * perRow), col = i % perRow;
          const x0 = (W - (inLine * BOX_W + (inLine - 1) * GAP_X)) / 2;
          return { x: x0 + col * (BOX_W + GAP_X), y: y + line * (BOX_H + GAP_WRAP) };
        };
        r.forEach((id, i) => pos.set(id, at(i)));
        if (hidden[level]) mores.push(Object.assign(at(r.length), { level, n: hidden[level] }));
        const h = lines * BOX_H + (lines - 1) * GAP_WRAP;
        if (lines > 1) {
          const gr = { x: PAD / 2, y: y - 6, w: W - PAD, h: h + 12, n: r.length + hidden[level], level };
          groups.push(gr);
          for (const id of r) groupOf.set(id, gr);
        }
        y += h + GAP_Y;
      });
      const H = y - GAP_Y + PAD;
      const kids = [];
      for (const gr of groups) {
        kids.push(svg("rect", { class: "group", x: gr.x, y: gr.y, width: gr.w, height: gr.h, rx: 8, "data-key": "group:" + gr.level }, svg("title", {}, gr.n + " nodes at this level")));
      }
      const drawn = new Set();
      for (const id of pos.keys()) {
        const a = pos.get(id), ga = groupOf.get(id);
        for (const c of edges.get(id) || []) {
          const b = pos.get(c), gb = groupOf.get(c);
          if (!b || (ga && ga === gb)) continue;
          const x1 = ga ? ga.x + ga.w / 2 : a.x + BOX_W / 2, y1 = ga ? ga.y + ga.h : a.y + BOX_H;
          const x2 = gb ? gb.x + gb.w / 2 : b.x + BOX_W / 2, y2 = gb ? gb.y : b.y;
          const d = `M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2}`;
          if (drawn.has(d)) continue;
          drawn.add(d);
          kids.push(svg("path", { class: "edge", d, "data-key": "edge:" + d }));
        }
      }
      for (const [id, { x, y }] of pos) kids.push(nodeBox(id, nodes[id], x, y));
      for (const m of mores) {
        kids.push(svg("g", {
          class: "more", transform: `translate(${m.x},${m.y})`, "data-key": "more:" + m.level, tabindex: 0, role: "button",
          onclick: () => showMore(m.level),
          onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); showMore(m.level); } },
        },
        svg("title", {}, "Show " + Math.min(MORE_STEP, m.n) + " more of this level"),
        svg("rect", { width: BOX_W, height: BOX_H, rx: 6 }),
        svg("text", { x: BOX_W / 2, y: 22, "text-anchor": "middle" }, "+" + m.n.toLocaleString("en") + " more"),
        svg("text", { x: BOX_W / 2, y: 38, "text-anchor": "middle", class: "sub" }, "not drawn: click to show more")));
      }
      let g = graph.firstChild;
      if (!g || g.nodeName !== "svg") {
        g = svg("svg", { role: "img" });
        graph.replaceChildren(g);
      }
      for (const [k, v] of Object.entries({ width: W, height: H, viewBox: "0 0 " + W + " " + H, "aria-label": "graph of " + wf.metadata.name })) {
        if (g.getAttribute(k) !== String(v)) g.setAttribute(k, v);
      }
      patch(g, kids);
      fitTexts(g);
    }

    // capLevels picks the nodes each level draws: LEVEL_NODES of it
    // (more once its "+N more" is clicked) within MAX_DRAWN in all. The
    // selected node and those running, failed or waiting come first;
    // what is drawn keeps the template's order.
    function capLevels(nodes, all) {
      const rows = [], hidden = [];
      let budget = MAX_DRAWN;
      all.forEach((r, level) => {
        const room = Math.max(1, Math.min(budget, LEVEL_NODES - 1 + (state.expand.get(level) || 0)));
        if (r.length <= room + 1 && r.length <= budget) {
          rows.push(r);
          hidden.push(0);
          budget -= r.length;
          return;
        }
        const weight = (id) => {
          const n = nodes[id];
          if (id === state.selected) return 0;
          if (n.phase === "Running" || n.phase === "Failed" || n.phase === "Error" || lockState(n).waiting) return 1;
          return 2;
        };
        const order = new Map(r.map((id, i) => [id, i]));
        const pick = new Set([...r].sort((a, b) => weight(a) - weight(b) || order.get(a) - order.get(b)).slice(0, room));
        rows.push(r.filter((id) => pick.has(id)));
        hidden.push(r.length - pick.size);
        budget = Math.max(0, budget - pick.size);
      });
      return { rows, hidden };
    }

    function showMore(level) {
      state.expand.set(level, (state.expand.get(level) || 0) + MORE_STEP);
      drawGraph(state.wf);
    }

    // nodeBox is a node of the graph: its name, phase and duration, and
    // what lock it holds or waits for.
    function nodeBox(id, n, x, y) {
      const phase = n.phase || "Pending";
      const ls = lockState(n);
      const sub = subLine(n);
      let lockLine = "";
      // The lock's name gives way before the queue position does (fit()).
      let fitLock = null;
      if (ls.waiting) {
        const at = ls.position ? " (" + ls.position + ")" : "";
        fitLock = ["waiting for ", shortLock(ls.waiting), at];
      } else if (ls.held.length) fitLock = ["holding ", ls.held.map(([k]) => shortLock(k)).join(", "), ""];
      if (fitLock) lockLine = fitLock.join("");
      const title = [n.name, n.type + " · " + sub, lockLine, n.message || ""].filter(Boolean).join("\n");
      return svg("g", {
        class: "node p-" + phase.toLowerCase() + (id === state.selected ? " selected" : ""),
        transform: `translate(${x},${y})`, "data-key": "node:" + id, "data-id": id, "data-name": n.displayName || n.name, "data-phase": phase,
        "data-lock": ls.waiting ? "waiting" : ls.held.length ? "holding" : "", tabindex: 0, role: "button",
        onclick: () => select(id),
        onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(id); } },
      },
      svg("title", {}, title),
      svg("rect", { width: BOX_W, height: BOX_H, rx: 6 }),
      fitted({ x: 10, y: 17 }, n.displayName || n.name, BOX_W - 18),
      fitted({ x: 10, y: 31, class: "sub", "data-duration": n.startedAt && !n.finishedAt ? "1" : null }, sub, BOX_W - 18),
      lockLine ? svg("circle", { cx: 14, cy: 41, r: 3.5, class: ls.waiting ? "lock-wait" : "lock-hold" }) : null,
      lockLine ? fitted({ x: 22, y: 44, class: "sub" }, lockLine, BOX_W - 30, fitLock) : null);
    }

    function subLine(n) {
      return (n.phase || "Pending") + (n.startedAt ? " · " + duration(n.startedAt, n.finishedAt) : "");
    }

    // fitted is a text to be shortened to max pixels once drawn (fitTexts);
    // drawn again with the same text it keeps its shortened form.
    const fitParts = new WeakMap();
    function fitted(attrs, text, max, parts) {
      const t = svg("text", Object.assign({ "data-fit": max, "data-same": max + ":" + text }, attrs), text);
      if (parts) fitParts.set(t, parts);
      return t;
    }
    function fitTexts(g) {
      for (const t of g.querySelectorAll("text[data-fit]:not([data-fitted])")) {
        t.setAttribute("data-fitted", "");
        fit(t, Number(t.getAttribute("data-fit")), fitParts.get(t));
      }
    }

    // tickDurations moves the running nodes' durations on, in place.
    function tickDurations(wf) {
      const nodes = (wf.status && wf.status.nodes) || {};
      for (const t of graph.querySelectorAll("g.node text[data-duration]")) {
        const n = nodes[t.parentNode.getAttribute("data-id")];
        if (!n) continue;
        const text = subLine(n), max = Number(t.getAttribute("data-fit"));
        if (t.getAttribute("data-same") === max + ":" + text) continue;
        t.setAttribute("data-same", max + ":" + text);
        if (t.firstChild) t.firstChild.nodeValue = text;
        fit(t, max);
      }
    }

    // shortLock drops the namespace and ConfigMap kind from a lock key:
    // "default/ConfigMap/limits/k" shows as "limits/k".
    function shortLock(key) {
      const parts = key.split("/");
      if (parts.length >= 4 && parts[1] === "ConfigMap") return parts.slice(2).join("/");
      if (parts.length >= 3 && parts[1] === "Mutex") return parts.slice(2).join("/");
      return key;
    }
    // fit shortens a text to max pixels, as drawn: the middle part of
    // parts ([before, middle, after]) when given, else the end.
    function fit(t, max, parts) {
      if (!t.firstChild) return;
      const [a, mid, z] = parts || ["", t.textContent, ""];
      const set = (n) => { t.firstChild.nodeValue = a + (n < mid.length ? mid.slice(0, Math.max(1, n)) + "…" : mid) + z; };
      let w = t.getComputedTextLength();
      if (!(w > max)) return;
      let n = Math.floor(mid.length * max / w);
      for (let i = 0; i < 30 && n > 1; i++, n--) {
        set(n);
        if (t.getComputedTextLength() <= max) return;
      }
    }

    function select(id) {
      state.selected = id;
      S.setParams({ node: id });
      drawGraph(state.wf);
      renderPanel();
    }

    function renderPanel() {
      const n = state.selected && state.wf.status && state.wf.status.nodes ? state.wf.status.nodes[state.selected] : null;
      if (!n) {
        stopLogs();
        return;
      }
      const ls = lockState(n);
      const params = (list) => (list || []).map((x) => el("tr", {}, el("td", {}, el("code", {}, x.name)), el("td", { class: "mono" }, String(x.value ?? ""))));
      const ins = params(n.inputs && n.inputs.parameters);
      const outs = params(n.outputs && n.outputs.parameters);
      if (n.outputs && n.outputs.result !== undefined) outs.push(el("tr", {}, el("td", {}, "result"), el("td", { class: "mono" }, String(n.outputs.result))));
      if (n.outputs && n.outputs.exitCode !== undefined) outs.push(el("tr", {}, el("td", {}, "exit code"), el("td", { class: "mono" }, String(n.outputs.exitCode))));
      // Stored artifacts link to Argo's download path (the session's
      // cookie stands for its token there too).
      const artLinks = (list, dir) => (list || []).filter((a) => !a.deleted && (a.s3 || a.raw)).map((a) => el("tr", {},
        el("td", {}, el("code", {}, a.name)),
        el("td", {}, el("a", { class: "artifact-link", href: "/artifact-files/" + seg(state.wf.metadata.namespace) + "/workflows/" +
          seg(state.wf.metadata.name) + "/" + seg(n.id) + "/" + dir + "/" + seg(a.name) }, (a.s3 && a.s3.key) || "download"))));
      ins.push(...artLinks(n.inputs && n.inputs.artifacts, "inputs"));
      outs.push(...artLinks(n.outputs && n.outputs.artifacts, "outputs"));
      const locks = [];
      for (const [k, tok] of ls.held) locks.push(el("div", { class: "lockstate hold" }, "holding " + k + " (fencing token " + tok + ")"));
      for (const [k, tok] of ls.released) locks.push(el("div", { class: "lockstate" }, "held " + k + " (fencing token " + tok + "), released"));
      if (ls.waiting) locks.push(el("div", { class: "lockstate wait" }, "waiting for " + ls.waiting + (ls.position ? ", position " + ls.position : "")));
      // The log's box is drawn once per node (and once more when its step
      // starts): its data-same keeps it, and the stream that fills it,
      // through the panel's updates.
      const logKey = "log:" + n.id + ":" + (n.phase === "Pending" ? "wait" : "go");
      // An http template's node logs its request and status too.
      const logged = n.type === "Pod" || n.type === "HTTP";
      const logBox = logged ? el("div", { "data-key": "log", "data-same": logKey, id: "node-log-wrap" },
        el("p", { class: "log-cut muted", id: "node-log-cut", hidden: true }),
        el("pre", { class: "log", id: "node-log" })) : null;
      patch(panel, [
        el("h2", { id: "node-title" }, n.displayName || n.name),
        el("dl", { class: "kv" },
          el("dt", {}, "Phase"), el("dd", {}, phaseBadge(n.phase)),
          el("dt", {}, "Type"), el("dd", {}, n.type),
          n.templateName ? [el("dt", {}, "Template"), el("dd", {}, n.templateName)] : null,
          el("dt", {}, "Started"), el("dd", { title: n.startedAt || "" }, when(n.startedAt) || "not yet"),
          el("dt", {}, "Duration"), el("dd", {}, duration(n.startedAt, n.finishedAt)),
          n.message ? [el("dt", {}, "Message"), el("dd", { id: "node-message" }, n.message)] : null,
          locks.length ? [el("dt", {}, "Locks"), el("dd", { id: "node-locks" }, locks)] : null),
        ins.length ? [el("h2", {}, "Inputs"), el("table", { class: "kv-table" }, el("tbody", {}, ins))] : null,
        outs.length ? [el("h2", {}, "Outputs"), el("table", { id: "node-outputs", class: "kv-table" }, el("tbody", {}, outs))] : null,
        logBox ? [el("h2", {}, "Logs"), logBox] : null].flat().filter(Boolean));
      if (!logBox) {
        stopLogs();
        return;
      }
      if (state.logsFor === logKey) return;
      const wrap = document.getElementById("node-log-wrap");
      if (n.phase === "Pending") {
        stopLogs();
        wrap.querySelector("pre").textContent = "(no log yet: the step has not started)";
        state.logsFor = logKey;
        return;
      }
      startLogs(n, wrap);
      state.logsFor = logKey;
    }

    function stopLogs() {
      if (state.logs) state.logs.close();
      state.logs = null;
      state.logsFor = "";
    }

    // startLogs shows a step's log, following it while the step runs.
    // Lines go in every 30 ms, as one text, so a log of 200,000 lines
    // costs what its text does; beyond LOG_LINES the box starts again
    // from the last LOG_LINES and a note links to the whole log.
    function startLogs(n, wrap) {
      stopLogs();
      const box = wrap.querySelector("pre"), cut = wrap.querySelector(".log-cut");
      const follow = !done(n.phase);
      const query = "?podName=" + encodeURIComponent(n.id) + "&logOptions.container=main";
      const path = base + "/log" + query + (follow ? "&logOptions.follow=true" : "");
      box.textContent = "";
      let lines = []; // the lines in the box, while it holds fewer than 2 * LOG_LINES
      let chars = 0, dropped = 0, pending = [], frame = 0, ended = false, closed = false;
      const flush = () => {
        frame = 0;
        if (closed || !pending.length) return;
        const stick = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
        const add = pending;
        pending = [];
        for (const l of add) chars += l.length + 1;
        lines = lines.concat(add);
        if (lines.length > 2 * LOG_LINES || chars > LOG_CHARS) {
          let keep = Math.min(lines.length, LOG_LINES);
          let size = 0;
          for (let i = lines.length - 1, k = 0; i >= 0 && k < keep; i--, k++) {
            size += lines[i].length + 1;
            if (size > LOG_CHARS / 2 && k > 0) { keep = k; break; }
          }
          dropped += lines.length - keep;
          lines = lines.slice(lines.length - keep);
          chars = lines.reduce((a, l) => a + l.length + 1, 0);
          box.textContent = lines.join("\n") + "\n";
        } else {
          box.append(document.createTextNode(add.join("\n") + "\n"));
        }
        if (dropped) {
          cut.hidden = false;
          cut.replaceChildren(dropped.toLocaleString("en") + " earlier lines are not shown here (it shows the last " +
            lines.length.toLocaleString("en") + "). ", el("a", { href: base + "/log" + query, target: "_blank", rel: "noopener" }, "The whole log"),
            " (from the API, as JSON lines).");
        }
        if (stick) box.scrollTop = box.scrollHeight;
        if (ended && !box.textContent) box.textContent = "(empty log)";
      };
      // A timer, not an animation frame: a tab in the background still
      // takes in a followed log, a few times a second.
      const later = () => { if (!frame) frame = setTimeout(flush, 30); };
      const feed = stream(path, {
        reconnect: false,
        onEvent(entry) {
          let line = entry.content ?? "";
          if (line.length > LOG_CHARS / 4) line = line.slice(0, LOG_CHARS / 4) + " … (line cut)";
          pending.push(line);
          later();
        },
        onError(e) { pending.push("[" + e.message + "]"); later(); },
        onEnd() {
          ended = true;
          if (pending.length) return later();
          if (!box.textContent) box.textContent = "(empty log)";
        },
      });
      // Closed, it writes nothing more: the box may show another step's log.
      state.logs = { close() { closed = true; clearTimeout(frame); feed.close(); } };
    }
  });
})();
