// Cairn's charts, drawn with the vendored Chart.js from JSON the page provides.
(function () {
  "use strict";
  const BLUE = "rgba(32, 107, 196, 0.65)", ORANGE = "rgba(247, 103, 7, 0.65)";
  Chart.defaults.animation = false;  // draw at once: steadier to read, and to screenshot
  const FEAS = { hard: 0, medium: 1, easy: 2 }, IMPACT = { low: 0, medium: 1, high: 2 };
  // As core.money.format_money writes it: the organisation's sign (from the page), then
  // whole units with thousands commas: "€1,250,000".
  const symbolTag = document.getElementById("money-symbol");
  const symbol = symbolTag ? JSON.parse(symbolTag.textContent) : "";
  const money = (n) => (n < 0 ? "−" : "") + symbol + Math.round(Math.abs(n)).toLocaleString("en-US");

  const TOP = 2.8;  // headroom above the high row: the names of its regions sit there
  const REGIONS = [  // x0, x1, y0, y1 in cells; fill; name
    [0.5, 2.5, 1.5, TOP, "rgba(47, 179, 68, 0.10)", "Quick wins"],
    [-0.5, 0.5, 1.5, TOP, "rgba(32, 107, 196, 0.10)", "Strategic bets"],
    [-0.5, 2.5, -0.5, 1.5, "rgba(0, 0, 0, 0.03)", "Back burner"],
  ];
  const pixels = ({ scales: { x, y } }, [x0, x1, y0, y1]) => ({
    left: x.getPixelForValue(x0), right: x.getPixelForValue(x1),
    top: y.getPixelForValue(y1), bottom: y.getPixelForValue(y0),
  });

  // Each region's name in its top left corner, on a light backing so that bubbles never hide
  // it, wrapped onto more lines (and smaller) when its region is narrow, as on a phone: a name
  // never runs into the next region.
  const names = {
    id: "cairnRegionNames",
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      chart.$names = [];  // where each name went, region and box: read by the browser test
      REGIONS.forEach((region) => {
        const box = pixels(chart, region), { left, right, top } = box, room = right - left - 12;
        let size = 12, lines = [region[5]];
        ctx.save();
        const fits = () => { ctx.font = `600 ${size}px system-ui, sans-serif`;
                             return lines.every((l) => ctx.measureText(l).width <= room); };
        if (!fits()) lines = region[5].split(" ");
        while (!fits() && size > 8) size -= 1;
        const width = Math.min(room, Math.max(...lines.map((l) => ctx.measureText(l).width)));
        ctx.fillStyle = "rgba(255, 255, 255, 0.7)";
        const label = { left: left + 4, top: top + 4, width: width + 8,
                        height: lines.length * (size + 3) + 6 };
        chart.$names.push({ name: region[5], region: box, label, lines: lines.length, size });
        ctx.fillRect(label.left, label.top, label.width, label.height);
        ctx.fillStyle = "rgba(0, 0, 0, 0.7)";
        ctx.textBaseline = "top";
        lines.forEach((l, i) => ctx.fillText(l, left + 8, top + 7 + i * (size + 3), room));
        ctx.restore();
      });
    },
  };

  // The initiative's number (as in the lists beside the chart) in the middle of its bubble.
  const numbers = {
    id: "cairnBubbleNumbers",
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      chart.data.datasets.forEach((set, d) => {
        if (!chart.isDatasetVisible(d)) return;
        chart.getDatasetMeta(d).data.forEach((el, k) => {
          const { r, p } = set.data[k];
          ctx.font = `700 ${r >= 9 ? 11 : 9}px system-ui, sans-serif`;
          ctx.lineWidth = 3;
          ctx.strokeStyle = "rgba(0, 0, 0, 0.55)";
          ctx.strokeText(String(p.n), el.x, el.y);
          ctx.fillStyle = "#fff";
          ctx.fillText(String(p.n), el.x, el.y);
        });
      });
      ctx.restore();
    },
  };

  // Shade the method's three regions behind the points.
  const quadrants = {
    id: "cairnQuadrants",
    beforeDatasetsDraw(chart) {
      const { ctx, scales: { x, y } } = chart;
      REGIONS.forEach((region) => {
        const { left, right, top, bottom } = pixels(chart, region);
        ctx.save();
        ctx.fillStyle = region[4];
        ctx.fillRect(left, top, right - left, bottom - top);
        ctx.restore();
      });
      ctx.save();  // thin lines between the nine cells
      ctx.strokeStyle = "rgba(0, 0, 0, 0.12)";
      [0.5, 1.5].forEach((v) => {
        ctx.beginPath();
        ctx.moveTo(x.getPixelForValue(v), y.top);
        ctx.lineTo(x.getPixelForValue(v), y.bottom);
        ctx.moveTo(x.left, y.getPixelForValue(v));
        ctx.lineTo(x.right, y.getPixelForValue(v));
        ctx.stroke();
      });
      ctx.restore();
    },
  };

  // One tick in the middle of each of the three columns (and rows).
  const centres = (axis) => { axis.ticks = [0, 1, 2].map((value) => ({ value })); };

  window.cairnMatrix = function (canvas, points) {
    const maxCost = Math.max(1, ...points.map((p) => p.cost));
    const cells = {};
    points.forEach((p) => { (cells[p.impact + p.feasibility] ||= []).push(p); });
    // Spread points that share a cell on a small spiral so every one stays visible.
    const place = (p) => {
      const cell = cells[p.impact + p.feasibility], k = cell.indexOf(p), n = cell.length;
      const r = n > 1 ? 0.36 * Math.sqrt((k + 0.5) / n) : 0, a = k * 2.39996;
      return { x: FEAS[p.feasibility] + r * Math.cos(a), y: IMPACT[p.impact] + r * Math.sin(a) * 0.9 };
    };
    const dataset = (kind, label, colour) => ({
      label, backgroundColor: colour, borderColor: colour.replace("0.65", "1"),
      data: points.filter((p) => p.kind === kind).map((p) => ({
        ...place(p), r: 5 + 17 * Math.sqrt(p.cost / maxCost), p })),
    });
    return new Chart(canvas, {
      type: "bubble",
      data: { datasets: [dataset("change", "Change the business", BLUE),
                         dataset("run", "Run the business", ORANGE)] },
      options: {
        maintainAspectRatio: false,
        scales: {
          x: { min: -0.5, max: 2.5, title: { display: true, text: "Feasibility →" },
               grid: { display: false }, afterBuildTicks: centres,
               ticks: { callback: (v) => ["Hard", "Medium", "Easy"][v] ?? "" } },
          y: { min: -0.5, max: TOP, title: { display: true, text: "Business impact →" },
               grid: { display: false }, afterBuildTicks: centres,
               ticks: { callback: (v) => ["Low", "Medium", "High"][v] ?? "" } },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: (c) => `${c.raw.p.n}. ${c.raw.p.title}: score ` +
                                                  `${c.raw.p.score}, cost ${money(c.raw.p.cost)}` } },
        },
        onClick: (event, elements) => {
          if (elements.length) window.location = elements[0].element.$context.raw.p.url;
        },
        onHover: (event, elements) => {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
      },
      plugins: [quadrants, names, numbers],  // numbers last: never hidden by a name
    });
  };

  window.cairnCapacity = function (canvas, labels, c) {
    return new Chart(canvas, {
      data: {
        labels,
        datasets: [
          { type: "line", label: "Capacity", data: c.capacity, borderColor: "#1d273b",
            borderWidth: 2, pointRadius: 0, stepped: "middle" },
          { type: "bar", label: "Demand", data: c.demand,
            backgroundColor: c.demand.map((d, i) => (d > c.capacity[i] ? "rgba(214, 57, 57, 0.85)" : BLUE)) },
        ],
      },
      options: {
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  };

  // Spend on a budget line, cumulated month by month: the plan as a line, the actuals to
  // the end of last month as bars, and the forecast at completion dashed.
  window.cairnSpend = function (canvas, c) {
    return new Chart(canvas, {
      data: {
        labels: c.labels,
        datasets: [
          { type: "bar", label: "Spent", data: c.actual, backgroundColor: BLUE, order: 2 },
          { type: "line", label: "Plan", data: c.plan, borderColor: "#1d273b", borderWidth: 2,
            pointRadius: 0, order: 1 },
          { type: "line", label: "Forecast", data: c.forecast, borderColor: ORANGE,
            borderWidth: 2, borderDash: [6, 4], pointRadius: 0, spanGaps: false, order: 0 },
        ],
      },
      options: {
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { callback: (v) => money(v) } },
                  x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } } },
        plugins: { legend: { position: "bottom" },
                   tooltip: { callbacks: { label: (t) => `${t.dataset.label}: ${money(t.raw)}` } } },
      },
    });
  };

  window.cairnBalance = function (canvas, rows, target) {
    const labels = [], run = [], change = [];
    rows.forEach((row) => {
      [["cost", "one-off cost"], ["effort", "staff effort"]].forEach(([key, name]) => {
        const m = row[key], total = m.run + m.change;
        labels.push(`${row.label}: ${name}`);
        run.push(total ? (100 * m.run) / total : 0);
        change.push(total ? (100 * m.change) / total : 0);
      });
    });
    labels.push("Target");
    run.push(100 - target);
    change.push(target);
    return new Chart(canvas, {
      type: "bar",
      data: { labels, datasets: [
        { label: "Run the business", data: run, backgroundColor: ORANGE },
        { label: "Change the business", data: change, backgroundColor: BLUE },
      ] },
      options: {
        indexAxis: "y", maintainAspectRatio: false,
        scales: { x: { stacked: true, max: 100, ticks: { callback: (v) => v + "%" } },
                  y: { stacked: true } },
        plugins: { legend: { position: "bottom" },
                   tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.raw.toFixed(0)}%` } } },
      },
    });
  };
  // A KPI over time: its values, the straight path from baseline to target, the target,
  // and the forecast at the target date with its likely range.
  window.cairnKpi = function (canvas, data) {
    const t = (iso) => new Date(iso + "T00:00:00Z").getTime();
    const fmt = (v) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString()
      : (+v.toFixed(2)).toLocaleString()) + (data.unit === "%" ? "%" : "");
    const day = (ms) => new Date(ms).toLocaleDateString(undefined, { month: "short", year: "numeric", timeZone: "UTC" });
    const values = data.values.map(([d, v]) => ({ x: t(d), y: v }));
    const sets = [{
      label: "Measured", data: values, borderColor: "#206bc4", backgroundColor: "#206bc4",
      pointRadius: values.length > 60 ? 0 : 3, borderWidth: 2, tension: 0,
    }];
    if (data.baseline && data.target) {
      sets.push({
        label: data.pathLabel || "Straight path to the target", data: [data.baseline, data.target].map(([d, v]) => ({ x: t(d), y: v })),
        borderColor: "#667382", borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0,
      });
      const first = Math.min(values.length ? values[0].x : t(data.baseline[0]), t(data.baseline[0]));
      sets.push({
        label: data.targetLabel || "Target", data: [{ x: first, y: data.target[1] }, { x: t(data.target[0]), y: data.target[1] }],
        borderColor: "#2fb344", borderWidth: 1.5, borderDash: [2, 3], pointRadius: [0, 5],
        pointStyle: "rectRot", pointBackgroundColor: "#2fb344",
      });
    }
    if (data.forecast) {
      const f = data.forecast, from = { x: t(f.from[0]), y: f.from[1] }, at = t(f.at);
      sets.push({
        label: "Likely range", data: [from, { x: at, y: f.high }], borderWidth: 0, pointRadius: 0,
        backgroundColor: "rgba(247, 103, 7, 0.15)", fill: "+1",
      });
      sets.push({ label: "Likely range (low)", data: [from, { x: at, y: f.low }], borderWidth: 0, pointRadius: 0 });
      sets.push({
        label: "Forecast at this pace", data: [from, { x: at, y: f.value }], borderColor: "#f76707",
        borderDash: [4, 4], borderWidth: 2, pointRadius: [0, 4], pointBackgroundColor: "#f76707",
      });
    }
    return new Chart(canvas, {
      type: "line",
      data: { datasets: sets },
      options: {
        maintainAspectRatio: false, parsing: false, normalized: true,
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: { type: "linear", ticks: { callback: day, maxTicksLimit: 8 } },
          y: { ticks: { callback: fmt } },
        },
        plugins: {
          legend: { position: "bottom", labels: { filter: (item) => !item.text.endsWith("(low)") } },
          tooltip: { callbacks: {
            title: (items) => items.length ? new Date(items[0].parsed.x).toLocaleDateString(undefined, { timeZone: "UTC" }) : "",
            label: (c) => `${c.dataset.label}: ${fmt(c.parsed.y)}`,
          } },
        },
      },
    });
  };
  // Each page's charts, from the JSON it carries (json_script: not run, so the Content
  // Security Policy allows it); the pages themselves hold no script.
  const json = (id) => JSON.parse(document.getElementById(id).textContent);
  function drawPage() {
    const matrix = document.getElementById("matrix");
    if (matrix) window.cairnMatrix(matrix, json("matrix-data"));
    const balance = document.getElementById("balance");
    if (balance) window.cairnBalance(balance, json("balance-data"), Number(balance.dataset.target));
    const kpi = document.getElementById("kpi-chart");
    if (kpi) window.cairnKpi(kpi, json("kpi-data"));
    if (document.getElementById("capacity-data")) {
      const labels = json("capacity-labels");
      json("capacity-data").forEach((c, i) =>
        window.cairnCapacity(document.getElementById(`cap-${i + 1}`), labels, c));
    }
    if (document.getElementById("spend-data")) {
      json("spend-data").forEach((c, i) =>
        window.cairnSpend(document.getElementById(`spend-${i + 1}`), c));
    }
    if (document.getElementById("benefit-data")) {
      json("benefit-data").forEach((c) =>
        window.cairnKpi(document.getElementById(`benefit-${c.id}`), c.data));
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawPage);
  else drawPage();
})();
