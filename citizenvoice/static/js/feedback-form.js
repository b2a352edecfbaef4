// The feedback form: a live character counter (no silent cut: the textarea has no maxlength),
// "anonymous" switching the phone and e-mail fields off, and a draft kept in this tab's
// sessionStorage so that a refused submission (413: the server cannot read an oversized body)
// can put the text back. The draft never holds the phone number or the e-mail address and
// never leaves the browser.
(function () {
  "use strict";
  var form = document.getElementById("feedback-form");
  if (!form) { return; }
  var text = document.getElementById("text");
  var counter = document.getElementById("text-counter");
  var anonymous = document.getElementById("anonymous");
  var phone = document.getElementById("contact_phone");
  var email = document.getElementById("contact_email");
  var note = document.getElementById("anonymous-note");
  var max = parseInt(form.dataset.maxLength || "2000", 10);
  var draftKey = "cv-draft-" + (form.dataset.kind || "");
  var DRAFT_FIELDS = ["title", "text", "location", "department"];

  // Characters as the server counts them: code points, line breaks as one.
  function length(value) { return Array.from(value.replace(/\r\n/g, "\n").trim()).length; }

  function updateCounter() {
    if (!text || !counter) { return; }
    var n = length(text.value);
    if (n > max) {
      counter.textContent = "已超出 " + (n - max) + " 字（" + n + " / " + max + "），请删减后再提交";
      counter.classList.add("text-danger", "fw-bold");
      text.setAttribute("aria-invalid", "true");
    } else {
      counter.textContent = "已输入 " + n + " / " + max + " 字";
      counter.classList.remove("text-danger", "fw-bold");
      if (!text.classList.contains("is-invalid")) { text.removeAttribute("aria-invalid"); }
    }
  }

  function updateAnonymous() {
    if (!anonymous || !phone) { return; }
    phone.disabled = anonymous.checked;  // a disabled field is not sent at all
    if (email) { email.disabled = anonymous.checked; }
    var group = document.getElementById("phone-group");
    if (group) { group.hidden = anonymous.checked; }
    if (note) {
      note.classList.toggle("text-danger", anonymous.checked);
      note.textContent = anonymous.checked
        ? "已选择匿名提交：手机号和电子邮箱不会被保存，工作人员无法回访联系您；您仍可用查询码查看进度。"
        : "勾选匿名提交后，手机号和电子邮箱不会被保存，工作人员无法回访联系您；您仍可用查询码查看进度。";
    }
  }

  function saveDraft() {
    try {
      var draft = { anonymous: anonymous ? anonymous.checked : false };
      DRAFT_FIELDS.forEach(function (name) {
        var field = document.getElementById(name);
        if (field) { draft[name] = field.value; }
      });
      window.sessionStorage.setItem(draftKey, JSON.stringify(draft));
    } catch (error) { /* storage full or disabled: the form still works */ }
  }

  function restoreDraft() {
    if (form.dataset.restoreDraft !== "true" || !text || text.value !== "") { return; }
    try {
      var draft = JSON.parse(window.sessionStorage.getItem(draftKey) || "null");
      if (!draft) { return; }
      DRAFT_FIELDS.forEach(function (name) {
        var field = document.getElementById(name);
        if (field && typeof draft[name] === "string") { field.value = draft[name]; }
      });
      if (anonymous) { anonymous.checked = !!draft.anonymous; }
    } catch (error) { /* a broken draft is simply not restored */ }
  }

  restoreDraft();
  updateCounter();
  updateAnonymous();
  if (text) { text.addEventListener("input", updateCounter); }
  if (anonymous) { anonymous.addEventListener("change", updateAnonymous); }
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  form.addEventListener("submit", saveDraft);
})();
