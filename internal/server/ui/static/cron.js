"use strict";
// The Cron workflow page: its schedule, what it has run, suspend and resume.
(function () {
  const { el, api, ago, seg, flash, unflash, pretty, phaseBadge } = window.semaflow;
  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("page");
    const ns = root.dataset.namespace, name = root.dataset.name;
    const base = "/api/v1/cron-workflows/" + seg(ns) + "/" + seg(name);
    const summary = el("div", { class: "card", id: "summary" }, "Loading…");
    const suspend = el("button", { type: "button", id: "action-suspend" }, "Suspend");
    const resume = el("button", { type: "button", id: "action-resume" }, "Resume");
    const runs = el("tbody", { id: "cron-runs" });
    const spec = el("div", { id: "spec" });
    // Suspend and resume show once the cron workflow is read; a missing
    // or forbidden one offers neither.
    suspend.hidden = resume.hidden = true;
    root.append(summary, el("div", { class: "actions" }, suspend, resume),
      el("h2", {}, "Workflows it started"),
      el("table", {}, el("thead", {}, el("tr", {}, ["Name", "Phase", "Started"].map((h) => el("th", {}, h)))), runs),
      el("h2", {}, "Manifest"), spec);
    for (const [b, verb] of [[suspend, "suspend"], [resume, "resume"]]) {
      b.addEventListener("click", async () => {
        try {
          await api("PUT", base + "/" + verb, {});
          flash("Cron workflow " + name + ": " + verb + "d");
          load();
        } catch (e) {
          flash(e.message, true);
        }
      });
    }
    let timer = null;
    async function load() {
      clearTimeout(timer);
      try {
        const cw = await api("GET", base);
        unflash("load");
        const sp = cw.spec || {}, st = cw.status || {};
        suspend.hidden = !!sp.suspend;
        resume.hidden = !sp.suspend;
        summary.replaceChildren(el("dl", { class: "kv" },
          el("dt", {}, "Schedule"), el("dd", { class: "mono" }, [...new Set([sp.schedule, ...(sp.schedules || [])].filter(Boolean))].join("; ")),
          el("dt", {}, "Timezone"), el("dd", {}, sp.timezone || "the server's"),
          el("dt", {}, "Concurrency policy"), el("dd", {}, sp.concurrencyPolicy || "Allow"),
          el("dt", {}, "Suspended"), el("dd", { id: "cron-suspended" }, sp.suspend ? "yes" : "no"),
          el("dt", {}, "Last run"), el("dd", {}, st.lastScheduledTime ? st.lastScheduledTime + " (" + ago(st.lastScheduledTime) + ")" : "never"),
          el("dt", {}, "Succeeded / failed"), el("dd", {}, (st.succeeded || 0) + " / " + (st.failed || 0))));
        spec.replaceChildren(pretty(cw));
        const list = await api("GET", "/api/v1/workflows/" + seg(ns) + "?listOptions.labelSelector=" + encodeURIComponent("workflows.argoproj.io/cron-workflow=" + name));
        const rows = ((list && list.items) || []).sort((a, b) => (b.metadata.creationTimestamp || "").localeCompare(a.metadata.creationTimestamp || "")).slice(0, 50)
          .map((wf) => el("tr", {},
            el("td", {}, el("a", { href: "/workflows/" + seg(ns) + "/" + seg(wf.metadata.name) }, wf.metadata.name)),
            el("td", {}, phaseBadge(wf.status && wf.status.phase)),
            el("td", {}, ago(wf.status && wf.status.startedAt))));
        if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 3, class: "empty" }, "None yet.")));
        runs.replaceChildren(...rows);
      } catch (e) {
        if (e.status === 404 || e.status === 403) {
          suspend.hidden = resume.hidden = true;
          summary.replaceChildren(el("p", { class: "error" }, e.status === 404 ? "Cron workflow " + ns + "/" + name + " does not exist."
            : "You may not see cron workflow " + ns + "/" + name + ": " + e.message));
          return; // nothing to follow
        }
        flash(e.message, true, "load");
      }
      timer = setTimeout(load, 5000);
    }
    load();
  });
})();
