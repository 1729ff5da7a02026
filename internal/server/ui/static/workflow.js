"use strict";
// The Workflow page: its steps or DAG as a graph, each node with its
// phase, duration and lock state; a node panel with inputs, outputs,
// lock tokens and logs; and the actions Argo has.
(function () {
  const S = window.semaflow;
  const { el, svg, api, stream, phaseBadge, duration, seg, flash, when } = S;
  const BOX_W = 206, BOX_H = 50, GAP_X = 20, GAP_Y = 34, GAP_WRAP = 10, PAD = 16;
  const FINISHED = ["Succeeded", "Failed", "Error", "Skipped", "Omitted"];

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("page");
    const ns = root.dataset.namespace, name = root.dataset.name;
    const base = "/api/v1/workflows/" + seg(ns) + "/" + seg(name);
    const state = { wf: null, selected: "", logs: null, logsFor: "" };

    const summary = el("div", { class: "card", id: "summary" }, "Loading…");
    const actions = el("div", { class: "actions", id: "actions" });
    const graph = el("div", { class: "graph", id: "graph" });
    const panel = el("div", { class: "card", id: "node-panel" }, el("p", { class: "muted" }, "Select a node to see its inputs, outputs, locks and logs."));
    root.append(summary, actions, el("div", { class: "split" }, graph, panel));

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
          render();
        } catch (e) {
          if (e.status === 404) {
            summary.replaceChildren(el("p", { class: "error" }, "Workflow " + ns + "/" + name + " does not exist (any more)."));
            actions.hidden = true;
          } else flash(e.message, true);
        } finally {
          inflight = false;
          if (again) { again = false; refresh(); }
        }
      }, state.wf ? 250 : 0);
    }
    stream("/api/v1/workflow-events/" + seg(ns) + "?listOptions.fieldSelector=" + encodeURIComponent("metadata.name=" + name), {
      onOpen: refresh,
      onEvent: refresh,
      onError: (e) => flash(e.message, true),
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
      summary.replaceChildren(
        el("dl", { class: "kv" },
          el("dt", {}, "Phase"), el("dd", { id: "wf-phase" }, phaseBadge(p)),
          el("dt", {}, "Namespace"), el("dd", {}, wf.metadata.namespace),
          el("dt", {}, "Started"), el("dd", { title: st.startedAt || "" }, when(st.startedAt) || "not yet"),
          el("dt", {}, "Duration"), el("dd", {}, duration(st.startedAt, st.finishedAt)),
          st.progress ? [el("dt", {}, "Progress"), el("dd", {}, st.progress)] : null,
          st.message ? [el("dt", {}, "Message"), el("dd", { id: "wf-message" }, st.message)] : null,
          labels.length ? [el("dt", {}, "Labels"), el("dd", {}, labels)] : null,
          params.length ? [el("dt", {}, "Parameters"), el("dd", { id: "wf-params" }, params)] : null,
          lockSummary(st.synchronization)));
      for (const a of ACTIONS) buttons[a.id].hidden = !a.when(p, wf);
      drawGraph(wf);
      renderPanel();
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

    function drawGraph(wf) {
      const nodes = (wf.status && wf.status.nodes) || {};
      if (!Object.keys(nodes).length) {
        graph.replaceChildren(el("p", { class: "empty" }, "No nodes yet: the workflow has not started."));
        return;
      }
      const edges = edgesOf(wf, nodes);
      const rows = layers(nodes, edges);
      // A level wider than the box wraps onto several lines inside a
      // dashed group, so 20 parallel tasks need no sideways scrolling;
      // edges then meet the group, not each of its nodes.
      const cols = Math.max(2, Math.floor((graph.clientWidth - 2 * PAD + GAP_X) / (BOX_W + GAP_X)));
      const perRow = Math.min(cols, Math.max(...rows.map((r) => r.length)));
      const W = PAD * 2 + perRow * BOX_W + (perRow - 1) * GAP_X;
      const pos = new Map(), groupOf = new Map(), groups = [];
      let y = PAD;
      for (const r of rows) {
        const lines = Math.ceil(r.length / perRow);
        r.forEach((id, i) => {
          const line = Math.floor(i / perRow), inLine = Math.min(perRow, r.length - line * perRow), col = i % perRow;
          const x0 = (W - (inLine * BOX_W + (inLine - 1) * GAP_X)) / 2;
          pos.set(id, { x: x0 + col * (BOX_W + GAP_X), y: y + line * (BOX_H + GAP_WRAP) });
        });
        const h = lines * BOX_H + (lines - 1) * GAP_WRAP;
        if (lines > 1) {
          const gr = { x: PAD / 2, y: y - 6, w: W - PAD, h: h + 12, n: r.length };
          groups.push(gr);
          for (const id of r) groupOf.set(id, gr);
        }
        y += h + GAP_Y;
      }
      const H = y - GAP_Y + PAD;
      const g = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "graph of " + wf.metadata.name });
      for (const gr of groups) {
        g.append(svg("rect", { class: "group", x: gr.x, y: gr.y, width: gr.w, height: gr.h, rx: 8 }, svg("title", {}, gr.n + " nodes at this level")));
      }
      const drawn = new Set();
      const fits = new Map(); // a lock line's text -> [before, name, after]
      for (const id of Object.keys(nodes)) {
        const a = pos.get(id), ga = groupOf.get(id);
        for (const c of edges.get(id) || []) {
          const b = pos.get(c), gb = groupOf.get(c);
          if (!b || (ga && ga === gb)) continue;
          const x1 = ga ? ga.x + ga.w / 2 : a.x + BOX_W / 2, y1 = ga ? ga.y + ga.h : a.y + BOX_H;
          const x2 = gb ? gb.x + gb.w / 2 : b.x + BOX_W / 2, y2 = gb ? gb.y : b.y;
          const d = `M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2}`;
          if (drawn.has(d)) continue;
          drawn.add(d);
          g.append(svg("path", { class: "edge", d }));
        }
      }
      for (const [id, n] of Object.entries(nodes)) {
        const { x, y } = pos.get(id);
        const phase = n.phase || "Pending";
        const ls = lockState(n);
        let sub = phase + (n.startedAt ? " · " + duration(n.startedAt, n.finishedAt) : "");
        let lockLine = "";
        // The lock's name gives way before the queue position does (fit()).
        let fitLock = null;
        if (ls.waiting) {
          const pos = ls.position ? " (" + ls.position + ")" : "";
          fitLock = ["waiting for ", shortLock(ls.waiting), pos];
        } else if (ls.held.length) fitLock = ["holding ", ls.held.map(([k]) => shortLock(k)).join(", "), ""];
        if (fitLock) lockLine = fitLock.join("");
        const title = [n.name, n.type + " · " + sub, lockLine, n.message || ""].filter(Boolean).join("\n");
        const node = svg("g", {
          class: "node p-" + phase.toLowerCase() + (id === state.selected ? " selected" : ""),
          transform: `translate(${x},${y})`, "data-id": id, "data-name": n.displayName || n.name, "data-phase": phase,
          "data-lock": ls.waiting ? "waiting" : ls.held.length ? "holding" : "", tabindex: 0, role: "button",
          onclick: () => select(id),
          onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(id); } },
        },
        svg("title", {}, title),
        svg("rect", { width: BOX_W, height: BOX_H, rx: 6 }),
        svg("text", { x: 10, y: 17, "data-fit": BOX_W - 18 }, n.displayName || n.name),
        svg("text", { x: 10, y: 31, class: "sub", "data-fit": BOX_W - 18 }, sub),
        lockLine ? svg("circle", { cx: 14, cy: 41, r: 3.5, class: ls.waiting ? "lock-wait" : "lock-hold" }) : null,
        lockLine ? svg("text", { x: 22, y: 44, class: "sub", "data-fit": BOX_W - 30 }, lockLine) : null);
        if (fitLock) fits.set(node.lastChild, fitLock);
        g.append(node);
      }
      graph.replaceChildren(g);
      for (const t of g.querySelectorAll("text[data-fit]")) fit(t, Number(t.getAttribute("data-fit")), fits.get(t));
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
      const [a, mid, z] = parts || ["", t.textContent, ""];
      const set = (n) => { t.textContent = a + (n < mid.length ? mid.slice(0, Math.max(1, n)) + "…" : mid) + z; };
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
      const locks = [];
      for (const [k, tok] of ls.held) locks.push(el("div", { class: "lockstate hold" }, "holding " + k + " (fencing token " + tok + ")"));
      for (const [k, tok] of ls.released) locks.push(el("div", { class: "lockstate" }, "held " + k + " (fencing token " + tok + "), released"));
      if (ls.waiting) locks.push(el("div", { class: "lockstate wait" }, "waiting for " + ls.waiting + (ls.position ? ", position " + ls.position : "")));
      let logBox = document.getElementById("node-log");
      const keepLog = logBox && state.logsFor === n.id;
      // An http template's node logs its request and status too.
      const logged = n.type === "Pod" || n.type === "HTTP";
      if (!keepLog) logBox = el("pre", { class: "log", id: "node-log" });
      panel.replaceChildren(...[
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
        logged ? [el("h2", {}, "Logs"), logBox] : null].flat().filter(Boolean));
      if (logged && !keepLog && n.phase !== "Pending") startLogs(n, logBox);
      else if (logged && !keepLog) logBox.textContent = "(no log yet: the step has not started)";
      else if (!logged) stopLogs();
    }

    function stopLogs() {
      if (state.logs) state.logs.close();
      state.logs = null;
      state.logsFor = "";
    }

    // startLogs shows a step's log, following it while the step runs.
    function startLogs(n, box) {
      stopLogs();
      state.logsFor = n.id;
      const follow = !done(n.phase);
      const path = base + "/log?podName=" + encodeURIComponent(n.id) + "&logOptions.container=main" + (follow ? "&logOptions.follow=true" : "");
      box.textContent = "";
      const MAX = 2 << 20;
      state.logs = stream(path, {
        reconnect: false,
        onEvent(entry) {
          const stick = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
          box.append(document.createTextNode((entry.content ?? "") + "\n"));
          if (box.textContent.length > MAX) box.textContent = box.textContent.slice(-MAX / 2);
          if (stick) box.scrollTop = box.scrollHeight;
        },
        onError(e) { box.append(document.createTextNode("[" + e.message + "]\n")); },
        onEnd() { if (!box.textContent) box.textContent = "(empty log)"; },
      });
    }
  });
})();
