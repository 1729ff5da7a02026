// semaflow's web UI: the helpers every page uses. No framework and no
// build step. Data goes into the page only through textContent and
// attributes, never through innerHTML, so names and labels cannot
// inject markup.
"use strict";

(function () {
  const meta = (name) => {
    const m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute("content") : "";
  };
  const csrf = meta("csrf-token");
  const namespaces = meta("semaflow-namespaces").split(",").filter(Boolean);

  // APIError carries the status and the server's message.
  class APIError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // api calls the JSON API: JSON in and out, the CSRF token on writes.
  // A 401 sends the browser to log in.
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin" };
    if (method !== "GET" && method !== "HEAD") {
      headers["Content-Type"] = "application/json";
      if (csrf) headers["X-CSRF-Token"] = csrf;
      init.body = body === undefined ? "{}" : JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (e) {
      // The browser's own words ("Failed to fetch") tell a user nothing.
      throw new APIError(0, "The server did not answer (" + method + " " + path + "): is it still running?");
    }
    const text = await resp.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (resp.status === 401) {
      toLogin();
    }
    if (!resp.ok) {
      const msg = (data && (data.message || data.error)) || text || resp.statusText;
      throw new APIError(resp.status, method + " " + path + ": " + resp.status + " " + msg);
    }
    return data;
  }

  function toLogin() {
    location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
  }

  // stream reads one of the API's streams (a watch, a log) as JSON lines,
  // calling onEvent with each result. With reconnect it connects again
  // after a drop, waiting longer each time (up to 10 s), and calls onOpen
  // on every connection: a watch sends the current state first, so the
  // caller starts afresh there. onEnd is called when a stream without
  // reconnect ends. It answers an object whose close() stops it.
  function stream(path, opts) {
    const o = Object.assign({ reconnect: true, onOpen() {}, onEvent() {}, onEnd() {}, onError() {} }, opts);
    let closed = false;
    let ctl = null;
    let delay = 500;
    let timer = null;
    const status = (state) => setConn(state);

    async function connect() {
      if (closed) return;
      ctl = new AbortController();
      try {
        const resp = await fetch(path, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          signal: ctl.signal,
        });
        if (resp.status === 401) {
          toLogin();
          return;
        }
        if (!resp.ok) {
          let msg = resp.statusText;
          try {
            const d = await resp.json();
            msg = d.message || d.error || msg;
          } catch (e) {
            /* not JSON */
          }
          throw new APIError(resp.status, msg);
        }
        delay = 500;
        status("live");
        o.onOpen();
        const reader = resp.body.getReader();
        const dec = new TextDecoder();
        let buf = "";
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let nl;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue; // a heartbeat
            let msg;
            try {
              msg = JSON.parse(line);
            } catch (e) {
              continue;
            }
            if (msg.error) {
              o.onError(new APIError(msg.error.code || 0, msg.error.message || String(msg.error)));
              continue;
            }
            if (msg.result !== undefined) o.onEvent(msg.result);
          }
        }
        if (!o.reconnect) {
          o.onEnd();
          return;
        }
      } catch (e) {
        if (closed) return;
        // A connection that failed or dropped shows in the header (the
        // page dims); the caller hears of the server's own errors only.
        if (e instanceof TypeError) {
          status("offline");
          timer = setTimeout(connect, delay);
          delay = Math.min(delay * 2, 10000);
          return;
        }
        o.onError(e);
        if (!o.reconnect || (e instanceof APIError && e.status >= 400 && e.status < 500)) {
          o.onEnd(e);
          return;
        }
      }
      if (closed) return;
      status("reconnecting");
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    }
    connect();
    return {
      close() {
        closed = true;
        clearTimeout(timer);
        if (ctl) ctl.abort();
      },
    };
  }

  function setConn(state) {
    const c = document.getElementById("conn");
    if (!c) return;
    c.hidden = false;
    c.className = "conn " + state;
    c.textContent = { live: "● Live", offline: "○ Server not reachable · retrying", reconnecting: "○ Reconnecting…" }[state] || state;
    c.title = { live: "This page updates by itself.", offline: "What the page shows may be out of date; it reconnects by itself." }[state] || "";
    document.body.classList.toggle("offline", state === "offline");
  }

  // el makes an element: attrs are attributes (class, href, data-*), and
  // children are nodes or strings (as text).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) {
        // Handlers only as functions: never an attribute of text.
        if (typeof v === "function") e.addEventListener(k.slice(2), v);
      } else e.setAttribute(k, v === true ? "" : String(v));
    }
    append(e, children);
    return e;
  }

  // svg makes an SVG element, as el does.
  function svg(tag, attrs, ...children) {
    const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) {
        if (typeof v === "function") e.addEventListener(k.slice(2), v);
      } else e.setAttribute(k, String(v));
    }
    append(e, children);
    return e;
  }

  function append(e, children) {
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }

  // duration says how long from start to end (or now), as "1h2m", "3m4s", "5s".
  function duration(start, end) {
    if (!start) return "";
    const ms = (end ? Date.parse(end) : Date.now()) - Date.parse(start);
    if (!(ms >= 0)) return "";
    let s = Math.floor(ms / 1000);
    const h = Math.floor(s / 3600);
    s -= h * 3600;
    const m = Math.floor(s / 60);
    s -= m * 60;
    if (h) return h + "h" + m + "m";
    if (m) return m + "m" + s + "s";
    return s + "s";
  }

  // ago says how long ago a time was.
  function ago(t) {
    const d = duration(t);
    return d ? d + " ago" : "";
  }

  // when shows a time in the browser's zone, with how long ago it was.
  function when(t) {
    if (!t) return "";
    const d = new Date(t);
    if (isNaN(d)) return String(t);
    const pad = (n) => String(n).padStart(2, "0");
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + " (" + ago(t) + ")";
  }

  // phaseBadge shows a phase in its colour.
  function phaseBadge(phase) {
    const p = phase || "Pending";
    return el("span", { class: "phase phase-" + p.toLowerCase() }, p);
  }

  // flash shows a message at the top of the page; an error stays until
  // the next message, or until what raised it (source) works again and
  // takes it down with unflash.
  function flash(msg, isError, source) {
    const f = document.getElementById("flash");
    if (!f) return;
    f.hidden = !msg;
    f.className = "flash" + (isError ? " error" : "");
    f.textContent = msg || "";
    f.dataset.source = (msg && source) || "";
  }

  // unflash takes down the message source showed, and no other.
  function unflash(source) {
    const f = document.getElementById("flash");
    if (f && !f.hidden && f.dataset.source === source) flash("");
  }

  // patch makes parent's children look like news (nodes made by el or
  // svg), changing the page only where they differ: a node that stays
  // keeps its selection, its focus and its listeners. Children match by
  // their data-key, else by position and tag. An element whose data-same
  // equals the new one's is left whole (a running log, a fitted text).
  function patch(parent, news) {
    const olds = [...parent.childNodes];
    const keyOf = (n) => (n.nodeType === 1 ? n.getAttribute("data-key") : null);
    const byKey = new Map();
    for (const o of olds) {
      const k = keyOf(o);
      if (k !== null) byKey.set(k, o);
    }
    const used = new Set();
    const result = [];
    let oi = 0;
    for (const n of news) {
      const k = keyOf(n);
      let o = null;
      if (k !== null) {
        o = byKey.get(k) || null;
      } else {
        while (oi < olds.length && (used.has(olds[oi]) || keyOf(olds[oi]) !== null)) oi++;
        if (oi < olds.length) o = olds[oi++];
      }
      if (o && (o.nodeName !== n.nodeName || o.nodeType !== n.nodeType || used.has(o))) o = null;
      if (!o) {
        result.push(n);
        continue;
      }
      used.add(o);
      if (o.nodeType === 1) morph(o, n);
      else if (o.nodeValue !== n.nodeValue) o.nodeValue = n.nodeValue;
      result.push(o);
    }
    for (const o of olds) if (!used.has(o)) o.remove();
    let ref = parent.firstChild;
    for (const r of result) {
      if (r === ref) ref = ref.nextSibling;
      else parent.insertBefore(r, ref);
    }
  }

  function morph(old, nu) {
    const same = nu.getAttribute("data-same");
    if (same !== null && old.getAttribute("data-same") === same) return;
    for (const a of [...old.attributes]) if (!nu.hasAttribute(a.name)) old.removeAttribute(a.name);
    for (const a of [...nu.attributes]) if (old.getAttribute(a.name) !== a.value) old.setAttribute(a.name, a.value);
    patch(old, [...nu.childNodes]);
  }

  // The namespace query parameter, kept in the URL so a page can be shared.
  function param(name) {
    return new URLSearchParams(location.search).get(name) || "";
  }

  function setParams(values) {
    const q = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(values)) {
      if (v) q.set(k, v);
      else q.delete(k);
    }
    const s = q.toString();
    history.replaceState(null, "", location.pathname + (s ? "?" + s : ""));
  }

  // namespacePicker is the namespace filter of the lists that need one
  // namespace (the API lists templates and cron workflows per namespace):
  // the token's namespaces when it has some, else a text box. The choice
  // is kept in the URL.
  function namespacePicker(onChange) {
    let value = param("namespace") || namespaces[0] || "default";
    const input = namespaces.length
      ? el("select", { id: "f-namespace" }, namespaces.map((n) => el("option", { value: n, selected: n === value }, n)))
      : el("input", { id: "f-namespace", value, size: 16 });
    input.addEventListener("change", () => {
      value = input.value.trim() || "default";
      setParams({ namespace: value });
      onChange(value);
    });
    return { element: el("label", {}, "Namespace", input), value: () => value };
  }

  // pretty shows an object as indented JSON text.
  function pretty(obj) {
    return el("pre", { class: "yaml" }, JSON.stringify(obj, null, 2));
  }

  // ns makes a path segment of a name the API takes in its path.
  const seg = encodeURIComponent;

  document.addEventListener("DOMContentLoaded", () => {
    const out = document.getElementById("logout");
    if (out) {
      out.addEventListener("click", async () => {
        try {
          await api("POST", "/logout", {});
        } finally {
          location.assign("/login");
        }
      });
    }
  });

  window.semaflow = { patch, unflash, when, namespacePicker, pretty, api, stream, el, svg, duration, ago, phaseBadge, flash, param, setParams, seg, namespaces, csrf, APIError };
})();
