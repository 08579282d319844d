// The crate's pages: show/hide password buttons, and the password rules ticked off as the
// person types. Computed in the page only; nothing is sent before the form is submitted.
// The server checks every rule again.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-toggle]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-toggle"));
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var show = field.type === "password";
      field.type = show ? "text" : "password";
      button.textContent = button.getAttribute(show ? "data-hide" : "data-show");
      button.setAttribute("aria-pressed", show ? "true" : "false");
    });
  });
  document.querySelectorAll("ul.rules[data-for]").forEach(function (list) {
    var field = document.getElementById(list.getAttribute("data-for"));
    if (!field) return;
    var update = function () {
      // Characters as the server counts them: Unicode scalar values after NFKC.
      var value = field.value.normalize("NFKC");
      list.querySelectorAll("li[data-rule]").forEach(function (item) {
        var rule = item.getAttribute("data-rule");
        var met = rule === "length" ? Array.from(value).length >= Number(item.getAttribute("data-min"))
          : rule === "digit" ? /\p{N}/u.test(value)
          : rule === "letter" ? /\p{Alphabetic}/u.test(value)
          : false;
        item.classList.toggle("met", met);
        item.setAttribute("aria-label", item.textContent + (met ? ": done" : ": not yet"));
      });
    };
    field.addEventListener("input", update);
    update();
  });
});
