"""The message-sequence view's browser side: the layout and the click, in JavaScript.

Kept apart from :mod:`emergent_lab.jupyter.sequence`, which builds the Bokeh
models these callbacks drive: everything after the build runs in the browser,
so the same view works in a notebook and in a standalone HTML file.
"""

HIGHLIGHT = "#ff7f0e"
"""The colour of the causal past."""

LAYOUT_JS = """
const chosen = new Set(picker.value);
const lanes = picker.options.filter((o) => chosen.has(o));  // the picker shows them so
const t = slider.value;
const show = fold.active.length > 0;
const a = arrows.data;
const past = new Set(state.past);
const n = a.id.length;
const y0 = new Array(n), y1 = new Array(n), alpha = new Array(n), width = new Array(n);
const color = new Array(n), text = new Array(n);
let drawn = 0, lit = 0, folded = 0;
for (let i = 0; i < n; i++) {
  const s = lanes.indexOf(a.src[i]), d = lanes.indexOf(a.dst[i]);
  const on = s >= 0 && d >= 0 && a.sent[i] <= t && a.arrived[i] >= t - span;
  const hot = on && past.has(a.id[i]);
  const hidden = a.folded[i] && !show && !hot;
  if (on && a.folded[i] && !show) folded++;
  y0[i] = on ? s : NaN; y1[i] = on ? d : NaN;
  alpha[i] = !on || hidden ? 0 : (hot ? 1 : (a.folded[i] ? 0.25 : 0.8));
  width[i] = hot ? 3 : 1.2;
  color[i] = hot ? "HIGHLIGHT" : (a.dropped[i] ? "#999999" : "#555555");
  const mine = a.dst[i] === why.tags[0] && !a.folded[i];
  text[i] = on && (hot || mine) ? a.label[i] : "";
  if (on && !hidden) drawn++;
  if (hot) lit++;
}
arrows.data = {...a, y0, y1, alpha, width, color, text};
const m = marks.data;
const my = m.node.map((node, i) => (m.time[i] <= t ? lanes.indexOf(node) : -1));
marks.data = {...m, y: my.map((y, i) => (y >= 0 ? y + m.dy[i] : NaN))};
const ticks = lanes.map((_, i) => i);
plot.left[0].ticker.ticks = ticks;
const names = {};
lanes.forEach((name, i) => { names[i] = name; });
plot.left[0].major_label_overrides = names;
plot.y_range.start = lanes.length - 0.5;
plot.y_range.end = -0.5;
plot.x_range.start = t - span;
plot.x_range.end = t;
plot.tags = [drawn, lit];
status.text = `t = ${t.toFixed(1)} s · ${lanes.length} lanes · ${drawn} messages drawn` +
  (folded ? ` · ${folded} heartbeat-only folded` : "") +
  (lit ? ` · ${lit} in the causal past` : "");
""".replace("HIGHLIGHT", HIGHLIGHT)
"""Lays the view out for the picked lanes and the slider's time: which arrows and marks
show, where, and which are lit as the clicked mark's causal past; it runs on every
change of lanes, time or folding, so the view needs no kernel."""

PICK_JS = """
const k = marks.selected.indices;
if (k.length) {
  const i = k[0];
  state.past = marks.data.past[i];
  detail.text = "<b>" + marks.data.text[i] + "</b>: " + state.past.length +
    " messages in its causal past (highlighted)";
} else {
  state.past = [];
  detail.text = "click a mark to highlight its causal past";
}
relayout.execute(cb_obj);
"""
"""Keeps the clicked mark's causal past and lays the view out again."""
