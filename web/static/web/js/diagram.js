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

  function button(label, title, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-secondary btn-small";
    b.textContent = label;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.addEventListener("click", onClick);
    return b;
  }

  function zoomBy(viewer, factor) {
    var canvas = viewer.get("canvas");
    canvas.zoom(Math.min(Math.max(canvas.zoom() * factor, 0.2), 4), "auto");
  }

  // A lane filling the box's height, its start at the left: read along it by dragging or scrolling sideways.
  function showLane(viewer, lane) {
    var canvas = viewer.get("canvas");
    var box = canvas.getContainer();
    var scale = Math.min(box.clientHeight / (lane.height + 40), 1.5);
    canvas.viewbox({
      x: lane.x - 10,
      y: lane.y - 20,
      width: box.clientWidth / scale,
      height: box.clientHeight / scale,
    });
  }

  function laneChooser(viewer) {
    var lanes = viewer.get("elementRegistry").filter(function (e) { return e.type === "bpmn:Lane"; });
    if (lanes.length < 2) return null;
    var label = document.createElement("label");
    label.className = "small diagram-lane";
    label.textContent = "Ver el carril ";
    var select = document.createElement("select");
    select.appendChild(new Option("— todos —", ""));
    lanes.forEach(function (lane) { select.appendChild(new Option(lane.businessObject.name || lane.id, lane.id)); });
    select.addEventListener("change", function () {
      var lane = viewer.get("elementRegistry").get(select.value);
      if (lane) showLane(viewer, lane);
      else viewer.get("canvas").zoom("fit-viewport", "auto");
    });
    label.appendChild(select);
    return label;
  }

  // Zoom, fit, one lane at a time and full screen: a 20-activity ficha is readable on a phone too.
  function toolbar(viewer, container, focus) {
    var bar = document.createElement("div");
    bar.className = "diagram-tools";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Controles del diagrama");
    bar.appendChild(button("+", "Acercar", function () { zoomBy(viewer, 1.25); }));
    bar.appendChild(button("−", "Alejar", function () { zoomBy(viewer, 0.8); }));
    bar.appendChild(button("Ajustar a la vista", "Ajustar a la vista", function () { fit(viewer, focus); }));
    var lanes = laneChooser(viewer);
    if (lanes) bar.appendChild(lanes);
    if (container.requestFullscreen) {
      bar.appendChild(button("Pantalla completa", "Ver el diagrama en pantalla completa", function () {
        container.requestFullscreen().then(function () {
          viewer.get("canvas").resized();
          viewer.get("canvas").zoom("fit-viewport", "auto");
        });
      }));
    }
    var hint = document.createElement("span");
    hint.className = "small muted";
    hint.textContent = "Arrastre para desplazarse; Ctrl + rueda para acercar.";
    bar.appendChild(hint);
    return bar;
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
    container.parentNode.insertBefore(toolbar(viewer, container, focus), container);
    document.addEventListener("fullscreenchange", function () {
      viewer.get("canvas").resized();
      viewer.get("canvas").zoom("fit-viewport", "auto");
    });
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
