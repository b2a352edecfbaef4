// Filters the department list as the resident types; without JavaScript the list still works.
(function () {
  "use strict";
  var search = document.getElementById("department-search");
  var select = document.getElementById("department");
  if (!search || !select) { return; }
  var options = Array.prototype.slice.call(select.options);
  search.addEventListener("input", function () {
    var query = search.value.trim();
    var firstMatch = null;
    options.forEach(function (option) {
      var visible = option.value === "" || query === "" || option.text.indexOf(query) !== -1;
      option.hidden = !visible;
      if (visible && option.value !== "" && firstMatch === null) { firstMatch = option; }
    });
    if (query !== "" && firstMatch !== null) { select.value = firstMatch.value; }
  });
})();
