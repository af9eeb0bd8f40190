// The charts of decisions under uncertainty: what more budget buys (the frontier) and how
// likely the dates are (milestone probabilities, the tornado). Drawn with the vendored
// Chart.js from JSON the page provides, again after htmx swaps a polled panel in.
(function () {
  "use strict";
  Chart.defaults.animation = false;
  const BLUE = "rgba(32, 107, 196, 1)", ORANGE = "rgba(247, 103, 7, 1)", GREY = "rgba(0,0,0,0.45)";
  const symbolTag = document.getElementById("money-symbol");
  const symbol = symbolTag ? JSON.parse(symbolTag.textContent) : "";
  const money = (n) => symbol + Math.round(n).toLocaleString("en-US");
  const short = (n) => {
    const a = Math.abs(n);
    if (a >= 1e6) return symbol + (n / 1e6).toLocaleString("en-US", { maximumFractionDigits: 1 }) + "M";
    if (a >= 1e3) return symbol + (n / 1e3).toLocaleString("en-US", { maximumFractionDigits: 0 }) + "k";
    return money(n);
  };
  const json = (id) => JSON.parse(document.getElementById(id).textContent);
  const charts = {};
  const draw = (id, config) => {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart(canvas, config);
  };

  // A dashed vertical line at the scenario's budget, with its name.
  const marker = {
    id: "cairnMarker",
    afterDatasetsDraw(chart, args, options) {
      if (options.at === undefined || options.at === null) return;
      const { ctx, scales: { x, y } } = chart, px = x.getPixelForValue(options.at);
      ctx.save();
      ctx.strokeStyle = GREY;
      ctx.setLineDash([5, 4]);
      ctx.beginPath(); ctx.moveTo(px, y.top); ctx.lineTo(px, y.bottom); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = GREY;
      ctx.font = "12px system-ui, sans-serif";
      ctx.textAlign = px > (x.left + x.right) / 2 ? "right" : "left";
      ctx.fillText(options.label, px + (ctx.textAlign === "left" ? 6 : -6), y.top + 12);
      ctx.restore();
    },
  };

  function frontier() {
    if (!document.getElementById("frontier-data")) return;
    const d = json("frontier-data");
    const fits = d.points.filter((p) => p[2] !== "infeasible");
    const line = fits.map((p) => ({ x: p[0], y: p[1] }));
    const datasets = [{
      label: "Best value", data: line, stepped: "after", borderColor: BLUE, borderWidth: 2,
      pointRadius: 3, pointBackgroundColor: fits.map((p) => (p[2] === "optimal" ? BLUE : "#fff")),
      pointBorderColor: BLUE,
    }];
    if (d.knee) datasets.push({
      label: "Where the curve bends", data: [{ x: d.knee[0], y: d.knee[1] }], showLine: false,
      pointRadius: 7, pointStyle: "rectRot", backgroundColor: ORANGE, borderColor: ORANGE,
    });
    draw("frontier-chart", {
      type: "line", data: { datasets }, plugins: [marker],
      options: {
        maintainAspectRatio: false, parsing: true,
        scales: {
          x: { type: "linear", min: 0, title: { display: true, text: "Budget" }, ticks: { callback: short, maxTicksLimit: 6 } },
          y: { beginAtZero: true, title: { display: true, text: "Value" } },
        },
        plugins: {
          cairnMarker: { at: d.current, label: "This scenario" },
          legend: { position: "bottom" },
          tooltip: { callbacks: { title: (items) => money(items[0].parsed.x) } },
        },
      },
    });
  }

  function risk() {
    document.querySelectorAll("canvas[data-milestone]").forEach((canvas) => {
      const d = json(canvas.dataset.milestone);
      draw(canvas.id, {
        type: "line",
        data: { labels: d.labels, datasets: [{
          label: "Chance of being done by then", data: d.chance.map((c) => 100 * c),
          borderColor: BLUE, backgroundColor: "rgba(32, 107, 196, 0.12)", fill: true, pointRadius: 2,
          borderWidth: 2, stepped: "after",
        }] },
        plugins: [marker],
        options: {
          maintainAspectRatio: false,
          scales: { y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } },
                    x: { ticks: { maxTicksLimit: 8, autoSkip: true } } },
          plugins: { legend: { display: false },
                     cairnMarker: { at: d.due_index, label: d.due_label } },
        },
      });
    });
    const tornado = document.getElementById("tornado-data");
    if (tornado) {
      const d = json("tornado-data");
      const unit = document.getElementById("tornado-chart").dataset.unit || "periods";
      draw("tornado-chart", {
        type: "bar",
        data: { labels: d.map((r) => r.title), datasets: [
          { label: "When it goes well", data: d.map((r) => r.low), backgroundColor: "rgba(47, 179, 68, 0.7)" },
          { label: "When it goes badly", data: d.map((r) => r.high), backgroundColor: "rgba(214, 57, 57, 0.7)" },
        ] },
        options: {
          indexAxis: "y", maintainAspectRatio: false,
          scales: { x: { stacked: true, title: { display: true, text: `${unit[0].toUpperCase()}${unit.slice(1)} earlier (−) or later (+) than the usual end` } },
                    y: { stacked: true, ticks: { autoSkip: false, callback(value) {
                      const label = this.getLabelForValue(value);
                      const room = this.chart.width < 500 ? 16 : 28; // a phone keeps the bars
                      return label.length > room ? label.slice(0, room - 1) + "…" : label; } } } },
          plugins: { legend: { position: "bottom" } },
        },
      });
    }
  }

  function drawPage() { frontier(); risk(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawPage);
  else drawPage();
  document.body.addEventListener("htmx:afterSettle", drawPage);
})();
