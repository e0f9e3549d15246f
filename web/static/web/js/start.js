// Start form: only the requester panel that was chosen is shown ("otra persona", "contacto externo"); without
// this script every panel stays visible and the server reads only the chosen one.
(function () {
  "use strict";
  var choice = document.querySelector("[data-requester]");
  if (!choice) return;
  function show() {
    var checked = choice.querySelector("input[name=solicitante]:checked");
    var mode = checked ? checked.value : "yo";
    document.querySelectorAll("[data-requester-panel]").forEach(function (panel) {
      panel.hidden = panel.dataset.requesterPanel !== mode;
    });
  }
  choice.addEventListener("change", show);
  show();
})();
