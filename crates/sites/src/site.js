// StackPro's form helper for published sites, served from the site itself
// at /_stackpro/site.js. Forms work without it (a plain POST); with it they
// solve the anti-spam challenge and confirm inline, without leaving the page.
(function () {
  "use strict";
  function hex(buf) {
    return Array.from(new Uint8Array(buf)).map(function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }
  async function solve(c) {
    var enc = new TextEncoder();
    for (var n = 0; n <= c.maxnumber; n++) {
      var h = hex(await crypto.subtle.digest("SHA-256", enc.encode(c.salt + n)));
      if (h === c.challenge) {
        return btoa(JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: n, salt: c.salt, signature: c.signature }));
      }
    }
    return null;
  }
  function status(form, text, ok) {
    var el = form.querySelector(".sp-status");
    if (!el) {
      el = document.createElement("p");
      el.className = "sp-status";
      el.setAttribute("role", "status");
      el.setAttribute("aria-live", "polite");
      form.appendChild(el);
    }
    el.textContent = text;
    el.style.color = ok ? "" : "#b91c1c";
  }
  function wire(form) {
    form.addEventListener("submit", async function (ev) {
      if (!window.crypto || !crypto.subtle || !window.fetch) return; // plain POST
      ev.preventDefault();
      var button = form.querySelector("[type=submit]");
      if (button) button.disabled = true;
      status(form, "Sending…", true);
      try {
        var data = new URLSearchParams(new FormData(form));
        var c = await (await fetch("/_stackpro/pow", { headers: { Accept: "application/json" } })).json();
        var pow = await solve(c);
        if (pow) data.set("_pow", pow);
        var res = await fetch(form.getAttribute("action"), {
          method: "POST",
          headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
          body: data.toString(),
        });
        var body = await res.json().catch(function () { return {}; });
        if (res.ok) {
          form.reset();
          status(form, body.message || "Thank you: your message was sent.", true);
        } else {
          status(form, body.detail || "The message could not be sent; please try again.", false);
        }
      } catch (e) {
        status(form, "The message could not be sent; check your connection and try again.", false);
      } finally {
        if (button) button.disabled = false;
      }
    });
  }
  document.querySelectorAll("form[data-sp-form]").forEach(wire);
})();
