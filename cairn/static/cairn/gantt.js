// The roadmap's Gantt chart (frappe-gantt), and moving a bar by hand.
(function () {
  "use strict";
  const token = () => document.querySelector('meta[name="csrf-token"]').content;

  function showProblems(result) {
    const box = document.getElementById("move-result");
    if (!box) return;
    box.hidden = false;
    box.className = "alert " + (result.error || result.problems.length ? "alert-danger" : "alert-success");
    box.replaceChildren();
    const title = document.createElement("strong");
    if (result.error) {
      title.textContent = result.error;
      box.append(title);
      return;
    }
    title.textContent = result.problems.length
      ? `Moved to ${result.label}, and kept there. This plan now breaks ${result.problems.length} rule(s):`
      : `Moved to ${result.label}, and kept there. Everything still fits.`;
    box.append(title);
    if (result.problems.length) {
      const list = document.createElement("ul");
      list.className = "mb-0";
      result.problems.forEach((p) => {
        const li = document.createElement("li");
        li.textContent = p;
        list.append(li);
      });
      box.append(list);
    }
  }

  window.cairnGantt = function (element, tasks, readOnly) {
    const byId = Object.fromEntries(tasks.map((t) => [t.id, t]));
    return new Gantt(element, tasks, {
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
        }).then((r) => r.json()).then(showProblems);
      },
    });
  };
  window.cairnShowMove = showProblems;
})();
