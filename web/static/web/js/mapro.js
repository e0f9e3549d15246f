// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Live filter of a list: <input data-filter=".item"> hides items whose data-text lacks the query.
  document.addEventListener("input", function (event) {
    var input = event.target.closest("[data-filter]");
    if (!input) return;
    var query = input.value.trim().toLowerCase();
    document.querySelectorAll(input.dataset.filter).forEach(function (item) {
      var text = (item.dataset.text || item.textContent).toLowerCase();
      item.hidden = query !== "" && text.indexOf(query) === -1;
    });
    document.querySelectorAll(".group").forEach(function (group) {
      group.hidden = group.querySelectorAll(input.dataset.filter + ":not([hidden])").length === 0;
    });
  });

  // Table fields: "Agregar fila" copies the last row with the next row number in the input names.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row]");
    if (!button) return;
    var field = button.closest("[data-table]");
    var counter = field.querySelector('input[name$="__rows"]');
    var body = field.querySelector("tbody");
    var last = body.lastElementChild;
    var index = parseInt(counter.value, 10);
    var row = last.cloneNode(true);
    row.querySelectorAll("input, select").forEach(function (input) {
      input.name = input.name.replace(/__\d+__/, "__" + index + "__");
      input.value = "";
      input.setAttribute("aria-label", input.getAttribute("aria-label").replace(/\d+$/, String(index + 1)));
    });
    body.appendChild(row);
    counter.value = String(index + 1);
    row.querySelector("input, select").focus();
  });

  // "Volver" goes back in the history when there is one (its href, the inbox, otherwise); a click handler
  // rather than a javascript: URL, which the Content-Security-Policy refuses.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-history-back]");
    if (!link || window.history.length < 2) return;
    event.preventDefault();
    window.history.back();
  });

  // After a refused submission, take the person to the first field to fix (long formats scroll far).
  var invalid = document.querySelector('.field--invalid input, .field--invalid select, .field--invalid textarea');
  if (invalid) invalid.focus();

  // A failed htmx request says so instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    window.alert(status === 403 ? "No tiene permiso para hacer esto." : "No se pudo completar la acción (error " + status + "). Recargue la página.");
  });
})();
