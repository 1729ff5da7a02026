"use strict";
// The Cron workflows page: a namespace's cron workflows and their schedules.
(function () {
  const { el, api, ago, seg, flash, namespacePicker } = window.semaflow;
  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("page");
    const body = el("tbody", { id: "cron-rows" });
    const picker = namespacePicker(load);
    root.append(el("form", { class: "filters" }, picker.element),
      el("table", {}, el("thead", {}, el("tr", {}, ["Name", "Namespace", "Schedule", "Timezone", "Suspended", "Last run", "Active", "Succeeded", "Failed"].map((h) => el("th", {}, h)))), body));
    async function load(ns) {
      try {
        const list = await api("GET", "/api/v1/cron-workflows/" + seg(ns));
        const items = (list && list.items) || [];
        const rows = items.map((cw) => {
          const sp = cw.spec || {}, st = cw.status || {};
          return el("tr", { "data-name": cw.metadata.name },
            el("td", {}, el("a", { href: "/cron-workflows/" + seg(cw.metadata.namespace) + "/" + seg(cw.metadata.name) }, cw.metadata.name)),
            el("td", {}, cw.metadata.namespace),
            el("td", { class: "mono" }, [...new Set([sp.schedule, ...(sp.schedules || [])].filter(Boolean))].join("; ")),
            el("td", {}, sp.timezone || "server's"),
            el("td", {}, sp.suspend ? "yes" : "no"),
            el("td", { title: st.lastScheduledTime || "" }, st.lastScheduledTime ? ago(st.lastScheduledTime) : "never"),
            el("td", {}, String((st.active || []).length)),
            el("td", {}, String(st.succeeded || 0)),
            el("td", {}, String(st.failed || 0)));
        });
        if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 9, class: "empty" }, "No cron workflows in " + ns + ". Add one with: semaflow cron create FILE")));
        body.replaceChildren(...rows);
        flash("");
      } catch (e) {
        flash(e.message, true);
      }
    }
    load(picker.value());
    setInterval(() => load(picker.value()), 5000);
  });
})();
