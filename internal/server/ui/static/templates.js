"use strict";
// The Templates page: a namespace's WorkflowTemplates and the
// ClusterWorkflowTemplates.
(function () {
  const { el, api, seg, flash, namespacePicker, namespaces } = window.semaflow;
  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("page");
    const picker = namespacePicker(load);
    const nsRows = el("tbody", { id: "template-rows" });
    const clusterRows = el("tbody", { id: "cluster-template-rows" });
    const head = () => el("thead", {}, el("tr", {}, ["Name", "Entrypoint", "Templates", "Parameters"].map((h) => el("th", {}, h))));
    root.append(el("form", { class: "filters" }, picker.element),
      el("h2", {}, "Workflow templates"), el("table", {}, head(), nsRows),
      el("h2", {}, "Cluster workflow templates"), el("table", {}, head(), clusterRows));
    const row = (t, href) => {
      const sp = t.spec || {};
      return el("tr", { "data-name": t.metadata.name },
        el("td", {}, el("a", { href }, t.metadata.name)),
        el("td", {}, sp.entrypoint || ""),
        el("td", {}, (sp.templates || []).map((x) => x.name).join(", ")),
        el("td", {}, ((sp.arguments || {}).parameters || []).map((p) => p.name).join(", ")));
    };
    const fill = (body, items, href, none) => {
      const rows = items.map((t) => row(t, href(t)));
      if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 4, class: "empty" }, none)));
      body.replaceChildren(...rows);
    };
    async function load(ns) {
      try {
        const list = await api("GET", "/api/v1/workflow-templates/" + seg(ns));
        fill(nsRows, (list && list.items) || [], (t) => "/templates/" + seg(ns) + "/" + seg(t.metadata.name),
          "No workflow templates in " + ns + ". Add one with: semaflow template create FILE");
        if (namespaces.length) {
          clusterRows.replaceChildren(el("tr", {}, el("td", { colspan: 4, class: "empty" }, "Cluster templates are listed for tokens not limited to namespaces.")));
        } else {
          const cl = await api("GET", "/api/v1/cluster-workflow-templates");
          fill(clusterRows, (cl && cl.items) || [], (t) => "/cluster-templates/" + seg(t.metadata.name), "No cluster workflow templates.");
        }
        flash("");
      } catch (e) {
        flash(e.message, true);
      }
    }
    load(picker.value());
  });
})();
