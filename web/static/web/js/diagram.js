// The BPMN diagram of a procedure (bpmn-js NavigatedViewer). On a case page, the open activities are
// highlighted and the path already walked (completed activities, the branches taken) is marked.
(function () {
  "use strict";

  function mark(canvas, registry, id, marker) {
    if (registry.get(id)) canvas.addMarker(id, marker);
  }

  function markPath(viewer, state) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    var visited = new Set(state.current.concat(state.done.map(function (d) { return d.id; })));

    function follow(shape, decision) {
      (shape.outgoing || []).forEach(function (flow) {
        var target = flow.target;
        if (target.type === "bpmn:ExclusiveGateway") {
          var taken = target.outgoing.filter(function (branch) {
            return decision ? branch.businessObject.name === decision : visited.has(branch.target.id);
          });
          if (!taken.length) return;
          mark(canvas, registry, flow.id, "is-done");
          mark(canvas, registry, target.id, "is-done");
          taken.forEach(function (branch) {
            mark(canvas, registry, branch.id, "is-done");
            if (branch.target.type === "bpmn:EndEvent") mark(canvas, registry, branch.target.id, "is-done");
          });
        } else if (visited.has(target.id) || (target.type === "bpmn:EndEvent" && state.closed)) {
          mark(canvas, registry, flow.id, "is-done");
          if (target.type === "bpmn:EndEvent") mark(canvas, registry, target.id, "is-done");
        }
      });
    }

    registry.filter(function (e) { return e.type === "bpmn:StartEvent"; }).forEach(function (start) {
      mark(canvas, registry, start.id, "is-done");
      follow(start, null);
    });
    state.done.forEach(function (done) {
      mark(canvas, registry, done.id, "is-done");
      var shape = registry.get(done.id);
      if (shape) follow(shape, done.decision);
    });
    state.current.forEach(function (id) {
      if (!registry.get(id)) return;
      canvas.removeMarker(id, "is-done");
      canvas.addMarker(id, "is-current");
      overlays.add(id, { position: { top: -14, left: -6 }, html: '<span class="diagram-badge">Actual</span>' });
    });
    return state.current.length ? registry.get(state.current[0]) : null;
  }

  // The box takes the diagram's proportions (within limits), so a wide, flat diagram leaves no empty band.
  function sizeToDiagram(viewer, container) {
    var inner = viewer.get("canvas").viewbox().inner;
    if (!inner.width) return;
    var height = Math.round((container.clientWidth * inner.height) / inner.width) + 48;
    container.style.height = Math.min(Math.max(height, 240), 520) + "px";
    viewer.get("canvas").resized();
  }

  function fit(viewer, focus) {
    var canvas = viewer.get("canvas");
    sizeToDiagram(viewer, canvas.getContainer().closest(".diagram"));
    canvas.zoom("fit-viewport", "auto");
    if (focus && canvas.zoom() < 0.55) {
      canvas.zoom(0.75);
      canvas.scrollToElement(focus, { top: 60, left: 80, right: 80, bottom: 60 });
    }
  }

  async function show(container) {
    if (typeof window.BpmnJS === "undefined") {
      container.innerHTML = '<p class="muted small">No se pudo cargar el visor de diagramas (falta web/static/vendor: ejecute scripts/bootstrap.sh).</p>';
      return;
    }
    var viewer = new window.BpmnJS({ container: container });
    try {
      var response = await fetch(container.dataset.bpmnUrl, { credentials: "same-origin" });
      await viewer.importXML(await response.text());
    } catch (error) {
      container.innerHTML = '<p class="muted small">No se pudo mostrar el diagrama.</p>';
      return;
    }
    var loading = container.querySelector(".diagram-loading");
    if (loading) loading.remove();
    var focus = null;
    if (container.dataset.state) {
      var state = JSON.parse(document.getElementById(container.dataset.state).textContent);
      focus = markPath(viewer, state);
    }
    fit(viewer, focus);
    var reset = document.createElement("button");
    reset.type = "button";
    reset.className = "btn btn-secondary btn-small diagram-fit";
    reset.textContent = "Ajustar a la vista";
    reset.addEventListener("click", function () { fit(viewer, focus); });
    container.appendChild(reset);
    // A phone turned sideways, or a window resized: refit once the size settles.
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        viewer.get("canvas").resized();
        fit(viewer, focus);
      }, 100);
    });
    container.dataset.ready = "true";
  }

  document.querySelectorAll(".diagram[data-bpmn-url]").forEach(show);
})();
