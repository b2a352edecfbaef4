// 我的诉求: the tracking codes of cases filed or opened on this device, kept in the browser's
// localStorage and used only to build links to their tracking pages. They are never sent
// anywhere else. Also the copy button of the confirmation page.
(function () {
  "use strict";
  var KEY = "cv-my-cases";
  var MAX_CASES = 20;

  function load() {
    try {
      var cases = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(cases) ? cases.filter(function (c) { return c && typeof c.code === "string"; }) : [];
    } catch (error) { return []; }
  }

  function store(cases) {
    try { window.localStorage.setItem(KEY, JSON.stringify(cases.slice(0, MAX_CASES))); return true; }
    catch (error) { return false; }
  }

  // Remember the case this page is about (confirmation and tracking pages).
  var remember = document.querySelector("[data-remember]");
  if (remember) {
    var code = remember.dataset.remember;
    var cases = load().filter(function (c) { return c.code !== code; });
    cases.unshift({ code: code, kind: remember.dataset.kind || "", saved: new Date().toISOString().slice(0, 10) });
    if (store(cases)) {
      var saved = document.getElementById("saved-on-device");
      if (saved) { saved.hidden = false; }
    }
    // A submitted form's draft is no longer needed.
    if (document.getElementById("tracking-code")) {
      try {
        Object.keys(window.sessionStorage).forEach(function (key) {
          if (key.indexOf("cv-draft-") === 0) { window.sessionStorage.removeItem(key); }
        });
      } catch (error) { /* nothing to clear */ }
    }
  }

  // The copy button: the Clipboard API, or selecting the code for the phone's own copy menu.
  var copy = document.getElementById("copy-code");
  var copyStatus = document.getElementById("copy-status");
  if (copy) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var value = copy.dataset.code;
      function selectCode() {
        var element = document.getElementById("tracking-code");
        var range = document.createRange();
        range.selectNodeContents(element);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        copyStatus.textContent = "查询码已选中，请长按选择“复制”";
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(value).then(function () {
          copyStatus.textContent = "已复制查询码";
        }, selectCode);
      } else {
        selectCode();
      }
    });
  }

  // The list on the home and lookup pages.
  var list = document.getElementById("my-cases");
  if (list) {
    var render = function () {
      var items = load();
      var body = document.getElementById("my-cases-list");
      body.textContent = "";
      list.hidden = items.length === 0;
      items.forEach(function (item) {
        var row = document.createElement("li");
        row.className = "list-group-item d-flex justify-content-between align-items-center gap-2";
        var link = document.createElement("a");
        link.href = "/track/" + encodeURIComponent(item.code);
        link.className = "my-case text-break";
        link.textContent = (item.kind ? item.kind + " · " : "") + item.code;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-sm btn-link text-muted text-nowrap";
        remove.textContent = "移除";
        remove.setAttribute("aria-label", "从本机移除 " + item.code);
        remove.addEventListener("click", function () {
          store(load().filter(function (c) { return c.code !== item.code; }));
          render();
        });
        row.appendChild(link);
        row.appendChild(remove);
        body.appendChild(row);
      });
    };
    render();
  }
})();
