// Progressive enhancement only: every form here also works without this file.
(function () {
  "use strict";
  var toggle = document.getElementById("theme-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var root = document.documentElement;
      var dark = root.dataset.theme ? root.dataset.theme === "dark"
        : window.matchMedia("(prefers-color-scheme: dark)").matches;
      root.dataset.theme = dark ? "light" : "dark";
      localStorage.setItem("pw-theme", root.dataset.theme);
    });
  }
  // TeX math (spans the server marked, see paperwire/web/texmath.py): typeset with the vendored KaTeX.
  var maths = document.querySelectorAll(".math[data-tex]");
  if (maths.length) {
    var script = document.createElement("script");
    script.src = document.body.dataset.katex + "katex.min.js";
    script.onload = function () {
      Array.prototype.forEach.call(maths, function (el) {
        try {
          window.katex.render(el.dataset.tex, el, { displayMode: el.dataset.display === "true", throwOnError: false });
        } catch (e) { /* leave the TeX as written */ }
      });
    };
    document.head.appendChild(script);
  }
  var csrf = document.querySelector('meta[name="csrf-token"]');
  // Upvote without a page reload: the form posts as usual, we just read the JSON answer.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.vote-form")) return;
    event.preventDefault();
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.action, {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf ? csrf.content : "" },
      body: new FormData(form)
    }).then(function (r) {
      if (r.status === 401) { window.location = form.dataset.signin; return null; }
      return r.json();
    }).then(function (data) {
      if (!data) return;
      if (data.ok === false) { alert(data.error); return; }
      button.setAttribute("aria-pressed", data.voted ? "true" : "false");
      form.querySelector(".count").textContent = data.upvotes;
    }).catch(function () { form.submit(); }).finally(function () { button.disabled = false; });
  });
  document.addEventListener("click", function (event) {
    var btn = event.target.closest && event.target.closest("[data-copy]");
    if (!btn) return;
    var source = document.getElementById(btn.dataset.copy);
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent).then(function () { btn.textContent = "Copied"; });
    }
  });
})();
