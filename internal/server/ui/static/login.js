"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("login-form");
  const err = document.getElementById("login-error");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.hidden = true;
    const resp = await fetch("/login", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ token: document.getElementById("token").value }),
    });
    if (resp.ok) {
      location.assign(form.dataset.next || "/");
      return;
    }
    let msg = "login failed (" + resp.status + ")";
    try {
      msg = (await resp.json()).message || msg;
    } catch (e) {
      /* not JSON */
    }
    err.textContent = msg;
    err.hidden = false;
  });
});
