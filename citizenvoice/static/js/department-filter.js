// The department picker: type a name, a short name or an everyday word (城管, 环卫, 住建,
// 社保 ...) and tap one of the departments it matches. Nothing is chosen for the resident:
// the old picker selected the first partial match letter by letter ("城" -> 市住房和城乡建设局)
// and that wrong choice silently stuck. Without JavaScript the plain list still works.
(function () {
  "use strict";
  var search = document.getElementById("department-search");
  var select = document.getElementById("department");
  var list = document.getElementById("department-matches");
  var status = document.getElementById("department-search-status");
  var data = document.getElementById("department-data");
  if (!search || !select || !list || !status || !data) { return; }
  var departments = JSON.parse(data.dataset.departments || "[]");
  var MAX_SHOWN = 6;
  var unsureText = select.options.length ? select.options[0].text : "";
  var isRating = (document.getElementById("feedback-form") || {}).dataset &&
    document.getElementById("feedback-form").dataset.kind === "rating";
  search.hidden = false;

  function normalise(text) { return (text || "").replace(/\s+/g, "").toLowerCase(); }

  // Why a department matches: its name contains the query, or one of its aliases does, or
  // the query contains a whole alias ("小区垃圾" names 垃圾). Returns the alias that matched.
  function matchOf(department, query) {
    if (normalise(department.name).indexOf(query) !== -1) { return { alias: null, exact: normalise(department.name) === query }; }
    var aliases = department.aliases || [];
    for (var i = 0; i < aliases.length; i++) {
      var alias = normalise(aliases[i]);
      if (alias.indexOf(query) !== -1 || (alias.length >= 2 && query.indexOf(alias) !== -1)) {
        return { alias: aliases[i], exact: alias === query };
      }
    }
    return null;
  }

  function choose(code, name) {
    select.value = code;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    status.textContent = "已选择：" + name + "。如选错了，可以重新查找或在下方列表中更改。";
    Array.prototype.forEach.call(list.children, function (button) {
      button.setAttribute("aria-pressed", button.dataset.code === code ? "true" : "false");
      button.classList.toggle("active", button.dataset.code === code);
    });
  }

  function render() {
    var query = normalise(search.value);
    list.textContent = "";
    if (query === "") { status.textContent = ""; return; }
    var found = [];
    departments.forEach(function (department) {
      var match = matchOf(department, query);
      if (match) { found.push({ department: department, match: match }); }
    });
    // Exact names and aliases first; otherwise the seed's order (group, code).
    found.sort(function (a, b) { return (b.match.exact ? 1 : 0) - (a.match.exact ? 1 : 0); });
    found.slice(0, MAX_SHOWN).forEach(function (item) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "list-group-item list-group-item-action department-match";
      button.dataset.code = item.department.code;
      button.setAttribute("aria-pressed", select.value === item.department.code ? "true" : "false");
      if (select.value === item.department.code) { button.classList.add("active"); }
      button.textContent = item.department.name;
      if (item.match.alias) {
        var hint = document.createElement("small");
        hint.className = "text-muted ms-1";
        hint.textContent = "（" + item.match.alias + "）";
        button.appendChild(hint);
      }
      button.addEventListener("click", function () { choose(item.department.code, item.department.name); });
      list.appendChild(button);
    });
    var unsure = isRating ? "" : "不确定也没关系，选择“" + unsureText + "”，系统会自动分派。";
    if (found.length === 0) {
      status.textContent = "没有找到相关部门。" + unsure;
    } else {
      status.textContent = "找到 " + found.length + " 个相关部门，请点选。" + unsure;
    }
  }

  search.addEventListener("input", render);
  // Enter in the search box must not send the half-filled form.
  search.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); } });
})();
