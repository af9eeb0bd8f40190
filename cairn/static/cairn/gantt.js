// The roadmap's Gantt chart (frappe-gantt), and moving a bar by hand.
(function () {
  "use strict";
  const token = () => document.querySelector('meta[name="csrf-token"]').content;

  // frappe-gantt 1.2.2 adds its hatch pattern (for ignored dates) with
  // `grid.innerHTML += '<pattern>…<path style="…">'`: a style attribute, which the Content
  // Security Policy refuses, and a re-parse of the whole grid. While it draws the highlights,
  // `+=` here appends the new markup alone, without the attribute (its stroke is in gantt.css).
  const drawHighlights = Gantt.prototype.make_grid_highlights;
  Gantt.prototype.make_grid_highlights = function () {
    const grid = this.layers.grid;
    Object.defineProperty(grid, "innerHTML", {
      configurable: true,
      get: () => "",
      set: (markup) => grid.insertAdjacentHTML("beforeend", markup.replace(/\sstyle="[^"]*"/g, "")),
    });
    try {
      return drawHighlights.call(this);
    } finally {
      delete grid.innerHTML; // Element.prototype's own again
    }
  };

  function showProblems(result) {
    // The page itself lists what the roadmap now breaks; this says what the move did.
    const box = document.getElementById("move-result");
    if (!box) return;
    box.hidden = false;
    box.className = "alert " + (result.error ? "alert-danger" : "alert-info");
    box.textContent = result.error
      ? result.error
      : `Moved to ${result.label}, and kept there. ` +
        (result.problems.length ? "It now breaks the rules listed below." : "Everything still fits.");
  }

  function nameColumn(element, tasks) {
    // A column of initiative names beside the chart that stays put while the chart scrolls
    // sideways; each name sits level with its bar (measured, so it survives any layout).
    const chart = document.querySelector(element);
    const column = chart && chart.parentElement.querySelector(".gantt-names");
    if (!column) return;
    const place = () => {
      column.replaceChildren();
      const top = column.getBoundingClientRect().top;
      const header = chart.querySelector(".grid-header");
      if (header) column.style.paddingTop = `${header.getBoundingClientRect().height}px`;
      for (const t of tasks) {
        const bar = chart.querySelector(`.bar-wrapper[data-id="${CSS.escape(t.id)}"] .bar`);
        if (!bar) continue;
        const box = bar.getBoundingClientRect();
        const row = document.createElement(t.url ? "a" : "div");
        if (t.url) row.href = t.url;
        row.className = "gantt-name" + (t.custom_class === "bar-group" ? " gantt-name-group" : "");
        if (t.health_label) {
          // The latest status report's health (or that it is missing), named for screen readers.
          const dot = document.createElement("span");
          dot.className = `status-dot me-1 ${t.health_colour ? "status-" + t.health_colour : ""}`;
          dot.setAttribute("role", "img");
          dot.setAttribute("aria-label", t.health_label);
          row.appendChild(dot);
        }
        row.appendChild(document.createTextNode(t.name));
        row.title = t.description ? `${t.name}: ${t.description}` : t.name;
        row.style.top = `${box.top - top}px`;
        row.style.height = row.style.lineHeight = `${box.height}px`;
        column.appendChild(row);
      }
    };
    place();
    window.addEventListener("resize", place);
  }

  window.cairnGantt = function (element, tasks, readOnly, scrollTo) {
    const byId = Object.fromEntries(tasks.map((t) => [t.id, t]));
    const gantt = new Gantt(element, tasks, {
      scroll_to: scrollTo || "today", // the plan's start or today, whichever is later
      view_mode: "Month",
      readonly: readOnly,
      readonly_progress: true,
      move_dependencies: false, // a move by hand changes nothing else
      infinite_padding: false,
      holidays: {},
      bar_height: 26,
      padding: 14,
      popup_on: "click",
      today_button: true,
      on_double_click: (task) => { if (byId[task.id].url) window.location = byId[task.id].url; },
      on_date_change: (task, start) => {
        const t = byId[task.id];
        if (!t.move_url) { window.location.reload(); return; } // groups and milestones stay
        const day = new Date(start.getTime() - start.getTimezoneOffset() * 60000)
          .toISOString().slice(0, 10);
        fetch(t.move_url, {
          method: "POST",
          headers: { "X-CSRFToken": token(), "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ start: day }),
        }).then((r) => r.json()).then((result) => {
          // Redraw from the server so the bar snaps to its period; say what happened after.
          sessionStorage.setItem("cairn-move", JSON.stringify(result));
          window.location.reload();
        });
      },
    });
    nameColumn(element, tasks);
    return gantt;
  };
  document.addEventListener("DOMContentLoaded", () => {
    // The page's chart: tasks from its JSON, read-only and where to scroll from data- attributes.
    const chart = document.getElementById("gantt");
    if (chart) {
      window.cairnGantt("#gantt", JSON.parse(document.getElementById("gantt-data").textContent),
        chart.dataset.readonly === "true", chart.dataset.scrollTo);
    }
    const saved = sessionStorage.getItem("cairn-move");
    if (saved) {
      sessionStorage.removeItem("cairn-move");
      showProblems(JSON.parse(saved));
    }
  });
})();
