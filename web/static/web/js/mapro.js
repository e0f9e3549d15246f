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

  // A decision is confirmed before it is sent: it moves the case on and cannot be undone. A native <dialog>
  // (focus moves into it, Escape closes it, the page behind is inert); a branch that asks for a reason asks
  // for it there and copies it into the form's field. Without <dialog> support the buttons submit as before.
  var decision = document.querySelector("[data-decision]");
  var dialog = decision && decision.querySelector("dialog");
  if (dialog && typeof dialog.showModal === "function") {
    var formReason = decision.querySelector('[data-decision-reason] textarea');
    var reasonBox = dialog.querySelector("[data-confirm-reason]");
    var reasonInput = reasonBox.querySelector("textarea");
    var reasonError = dialog.querySelector("[data-confirm-error]");
    var chosen = null;
    if (formReason) decision.querySelector("[data-decision-reason]").hidden = true;
    decision.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-confirm]");
      if (!button) return;
      event.preventDefault();
      chosen = button;
      dialog.querySelector("[data-confirm-label]").textContent = button.value;
      dialog.querySelector("[data-confirm-text]").textContent = button.dataset.confirm;
      reasonBox.hidden = !button.dataset.reason;
      reasonError.hidden = true;
      reasonInput.removeAttribute("aria-invalid");
      reasonInput.removeAttribute("aria-describedby");
      if (button.dataset.reason) {
        dialog.querySelector("[data-confirm-reason-label]").textContent = button.dataset.reason + " (obligatorio)";
        reasonInput.value = formReason ? formReason.value : "";
      }
      dialog.showModal();
      (button.dataset.reason ? reasonInput : dialog.querySelector("[data-confirm-ok]")).focus();
    });
    dialog.querySelector("[data-confirm-cancel]").addEventListener("click", function () { dialog.close(); });
    dialog.querySelector("[data-confirm-ok]").addEventListener("click", function () {
      if (chosen.dataset.reason) {
        if (!reasonInput.value.trim()) {
          reasonError.hidden = false;
          reasonInput.setAttribute("aria-invalid", "true");
          reasonInput.setAttribute("aria-describedby", reasonError.id);
          reasonInput.focus();
          return;
        }
        if (formReason) formReason.value = reasonInput.value;
      } else if (formReason) {
        formReason.value = "";
      }
      dialog.close();
      chosen.form.requestSubmit(chosen);
    });
  }

  // A failed htmx request says so instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    window.alert(status === 403 ? "No tiene permiso para hacer esto." : "No se pudo completar la acción (error " + status + "). Recargue la página.");
  });
})();
