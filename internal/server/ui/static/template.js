"use strict";
// The Template page: a WorkflowTemplate or ClusterWorkflowTemplate, its
// templates and parameters, and a button that submits a workflow from it.
(function () {
  const { el, api, seg, flash, pretty, namespaces } = window.semaflow;
  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("page");
    const ns = root.dataset.namespace, name = root.dataset.name;
    const cluster = !ns;
    const path = cluster ? "/api/v1/cluster-workflow-templates/" + seg(name) : "/api/v1/workflow-templates/" + seg(ns) + "/" + seg(name);
    const summary = el("div", { class: "card", id: "summary" }, "Loading…");
    const submit = el("button", { type: "button", id: "action-submit" }, "Submit a workflow from it");
    const list = el("tbody", { id: "template-templates" });
    const spec = el("div", { id: "spec" });
    // Submit shows once the template is read.
    submit.hidden = true;
    root.append(summary, el("div", { class: "actions" }, submit),
      el("h2", {}, "Templates"), el("table", {}, el("thead", {}, el("tr", {}, ["Name", "Kind", "Locks"].map((h) => el("th", {}, h)))), list),
      el("h2", {}, "Manifest"), spec);
    submit.addEventListener("click", async () => {
      const target = ns || namespaces[0] || "default";
      try {
        const wf = await api("POST", "/api/v1/workflows/" + seg(target) + "/submit",
          { namespace: target, resourceKind: cluster ? "ClusterWorkflowTemplate" : "WorkflowTemplate", resourceName: name });
        location.assign("/workflows/" + seg(wf.metadata.namespace) + "/" + seg(wf.metadata.name));
      } catch (e) {
        flash(e.message, true);
      }
    });
    const kinds = ["container", "script", "dag", "steps", "suspend", "resource", "http", "data", "containerSet", "plugin"];
    const locks = (s) => {
      if (!s) return "";
      const out = [];
      for (const m of s.mutexes || (s.mutex ? [s.mutex] : [])) out.push("mutex " + m.name);
      for (const x of s.semaphores || (s.semaphore ? [s.semaphore] : [])) {
        const ref = x.configMapKeyRef;
        out.push("semaphore " + (ref ? ref.name + "/" + ref.key : (x.database && x.database.key) || ""));
      }
      return out.join(", ");
    };
    (async () => {
      try {
        const t = await api("GET", path);
        const sp = t.spec || {};
        const params = ((sp.arguments || {}).parameters || []).map((p) => el("div", {}, el("code", {}, p.name), p.value !== undefined ? " = " + p.value : ""));
        summary.replaceChildren(el("dl", { class: "kv" },
          el("dt", {}, "Kind"), el("dd", {}, cluster ? "ClusterWorkflowTemplate" : "WorkflowTemplate"),
          ns ? [el("dt", {}, "Namespace"), el("dd", {}, ns)] : null,
          el("dt", {}, "Entrypoint"), el("dd", {}, sp.entrypoint || "(none)"),
          params.length ? [el("dt", {}, "Parameters"), el("dd", {}, params)] : null,
          sp.synchronization ? [el("dt", {}, "Workflow locks"), el("dd", {}, locks(sp.synchronization))] : null));
        const rows = (sp.templates || []).map((x) => el("tr", {},
          el("td", {}, x.name), el("td", {}, kinds.find((k) => x[k] !== undefined) || ""), el("td", {}, locks(x.synchronization))));
        list.replaceChildren(...rows);
        spec.replaceChildren(pretty(t));
        submit.hidden = false;
      } catch (e) {
        if (e.status === 404) summary.replaceChildren(el("p", { class: "error" }, "Template " + name + " does not exist."));
        else if (e.status === 403) summary.replaceChildren(el("p", { class: "error" }, "You may not see template " + name + ": " + e.message));
        else summary.replaceChildren(el("p", { class: "error" }, "The template could not be read: " + e.message));
      }
    })();
  });
})();
