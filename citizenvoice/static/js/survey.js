// The survey page: keep the rater's choices in this browser until they are sent, and show
// progress. The page works without this script (a plain form); CSP forbids inline script.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) {
    // The thanks page: the answers are stored, forget the draft.
    if (document.getElementById("survey-done")) {
      try {
        Object.keys(window.localStorage).forEach(function (key) {
          if (key.indexOf("survey-") === 0) { window.localStorage.removeItem(key); }
        });
      } catch (e) { /* storage disabled: nothing kept */ }
    }
    return;
  }
  var key = form.getAttribute("data-storage-key");
  var items = form.querySelectorAll(".survey-item");
  var progress = document.getElementById("survey-progress");

  function load() {
    try { return JSON.parse(window.localStorage.getItem(key) || "{}"); } catch (e) { return {}; }
  }
  function save(state) {
    try { window.localStorage.setItem(key, JSON.stringify(state)); } catch (e) { /* full or off */ }
  }
  function update() {
    var done = 0;
    items.forEach(function (item) {
      if (item.querySelector("input[type=radio]:checked")) { done += 1; }
    });
    progress.textContent = "已完成 " + done + " / " + items.length;
  }

  var picks = form.querySelectorAll("input[name='priority']");
  var MAX_PICKS = 3;
  function limitPicks() {
    // At most three priorities: the others are disabled once three are ticked.
    var ticked = [];
    picks.forEach(function (box) { if (box.checked) { ticked.push(box.value); } });
    picks.forEach(function (box) { box.disabled = !box.checked && ticked.length >= MAX_PICKS; });
    return ticked;
  }

  var state = load();
  if (Array.isArray(state.priority)) {
    picks.forEach(function (box) {
      if (state.priority.indexOf(box.value) !== -1) { box.checked = true; }
    });
  }
  limitPicks();
  Object.keys(state).forEach(function (name) {
    var field = form.elements[name];
    if (!field || name === "priority") { return; }
    if (name.indexOf("rating-") === 0) {
      var radio = form.querySelector("input[name='" + name + "'][value='" + state[name] + "']");
      if (radio && !form.querySelector("input[name='" + name + "']:checked")) { radio.checked = true; }
    } else if (!field.value) {
      field.value = state[name];
    }
  });
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "priority") {
      state.priority = limitPicks();
      save(state);
    } else if (target.name) { state[target.name] = target.value; save(state); }
    update();
  });
  form.addEventListener("input", function (event) {
    var target = event.target;
    if (target.tagName === "TEXTAREA") { state[target.name] = target.value; save(state); }
  });
  update();
})();
