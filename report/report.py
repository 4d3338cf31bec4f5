#!/usr/bin/env python3
"""report.py — `spikechip report`: one self-contained HTML page from a run's JSON report or a sweep.

    report.py RESULT.json|SWEEP_DIR OUT.html

RESULT.json is what `spikechip sim --json` writes (doc/simulator.md "The report"; "layers" and
each tile's "layers" since issue 22, "critical_path" with --critical-path); SWEEP_DIR is what
`spikechip sweep --out` writes (DIR/results.json, doc/dse.md). The page (doc/report.md "The HTML
report") holds a summary and figures, each a <figure data-figure="NAME"> around an inline <svg>
whose data marks carry class "m"; tests/cli/report.sh checks them in headless Chromium.

The figures are SVG written here, not matplotlib: a few hundred marks each, text that stays text
(searchable, small), no dependency beyond the Python standard library, and the same bytes for the
same input. No network, scripts or fonts from outside: a few lines of inline JavaScript sort the
sweep's table.

Errors are the user's: a missing or unreadable input, a file that is neither, an output that
cannot be written: "report: PATH: what" on stderr and exit status 2; the output is written to a
temporary file beside it and renamed, so a failed run leaves none.
"""
import html
import json
import math
import os
import sys
import tempfile

EXIT_USAGE = 2


class UserError(Exception):
    pass


def esc(s):
    return html.escape(str(s), quote=True)


def num(v, digits=4):
    """A number for people: integers with thousands separators, others to `digits` figures."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 1e5 or abs(v) < 1e-3:
            return f"{v:.{digits - 1}e}"
        return f"{v:.{digits}g}"
    return str(v)


# ---- colours ---------------------------------------------------------------------------------

# Energy rows, in the order of the JSON breakdown (a palette that survives colour blindness).
ENERGY_ROWS = [
    ("synaptic_adds", "synaptic adds", "#4477aa"),
    ("weight_reads", "weight reads", "#66ccee"),
    ("neuron_updates", "neuron updates", "#228833"),
    ("spikes", "spikes/packets out", "#ccbb44"),
    ("router_hops", "router hops", "#ee6677"),
    ("links", "links", "#aa3377"),
    ("attention", "attention", "#bbbbbb"),
    ("encoder", "encoder", "#000000"),
    ("static", "static", "#dddddd"),
]

# viridis at 0, 0.25, 0.5, 0.75, 1
RAMP = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]


def ramp(f):
    """A colour for f in [0, 1] (linear between the viridis stops)."""
    f = min(max(f, 0.0), 1.0) * (len(RAMP) - 1)
    i = min(int(f), len(RAMP) - 2)
    t = f - i
    c = [round(a + (b - a) * t) for a, b in zip(RAMP[i], RAMP[i + 1])]
    return "#%02x%02x%02x" % tuple(c)


def ink(f):
    """Text colour readable on ramp(f)."""
    return "#000" if f > 0.55 else "#fff"


# ---- SVG pieces -------------------------------------------------------------------------------

def svg_open(w, h, label):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" role="img" aria-label="{esc(label)}">')


def nice_max(v):
    """A round axis maximum >= v."""
    if v <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if m * e >= v:
            return m * e
    return 10 * e


def y_axis(x0, y0, h, vmax, label, width):
    """Ticks and grid lines of a value axis from y0 (0) up h pixels (vmax)."""
    out = []
    for k in range(5):
        v = vmax * k / 4
        y = y0 - h * k / 4
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + width}" y2="{y:.1f}" '
                   f'stroke="#e5e5e5"/>')
        out.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end" '
                   f'font-size="10">{esc(num(v, 3))}</text>')
    out.append(f'<text x="12" y="{y0 - h / 2:.1f}" font-size="11" text-anchor="middle" '
               f'transform="rotate(-90 12 {y0 - h / 2:.1f})">{esc(label)}</text>')
    return out


def legend(items, x, y):
    out = []
    for i, (name, colour) in enumerate(items):
        xx = x + (i % 5) * 150
        yy = y + (i // 5) * 16
        out.append(f'<rect x="{xx}" y="{yy}" width="10" height="10" fill="{colour}" '
                   f'stroke="#888" stroke-width="0.5"/>')
        out.append(f'<text x="{xx + 14}" y="{yy + 9}" font-size="10">{esc(name)}</text>')
    return out


def bar_chart(name, caption, labels, series, ylabel, tips=None, width_per=None):
    """Vertical bars, stacked when series has several (name, colour, values) entries."""
    n = len(labels)
    if n == 0:
        return ""
    per = width_per or max(4, min(40, 900 // max(n, 1)))
    legend_rows = (len(series) + 4) // 5 if len(series) > 1 else 0
    left, top, h = 70, 16 + 16 * legend_rows, 220
    w = max(left + per * n + 20, 780)
    hh = top + h + 110
    totals = [sum(s[2][i] for s in series) for i in range(n)]
    vmax = nice_max(max(totals) if totals else 0)
    y0 = top + h
    out = [svg_open(w, hh, caption)]
    out += y_axis(left, y0, h, vmax, ylabel, per * n)
    for i in range(n):
        x = left + i * per
        base = 0.0
        for sname, colour, vals in series:
            v = vals[i]
            if v <= 0:
                continue
            bh = h * v / vmax
            y = y0 - h * (base + v) / vmax
            tip = f"{labels[i]}: {sname} {num(v)}" if len(series) > 1 else \
                f"{labels[i]}: {num(v)}"
            if tips:
                tip += " — " + tips[i]
            out.append(f'<rect class="m" x="{x + 0.5:.1f}" y="{y:.2f}" '
                       f'width="{max(per - 1, 1)}" height="{max(bh, 0.5):.2f}" '
                       f'fill="{colour}"><title>{esc(tip)}</title></rect>')
            base += v
        if n <= 40 or i % max(1, n // 40) == 0:
            lab = labels[i] if len(labels[i]) <= 24 else labels[i][:23] + "…"
            out.append(f'<text x="{x + per / 2:.1f}" y="{y0 + 8}" font-size="9" '
                       f'text-anchor="end" transform="rotate(-60 {x + per / 2:.1f} {y0 + 8})">'
                       f'{esc(lab)}</text>')
    out.append(f'<line x1="{left}" y1="{y0}" x2="{left + per * n}" y2="{y0}" stroke="#333"/>')
    if len(series) > 1:
        out += legend([(s[0], s[1]) for s in series], left, 4)
    out.append("</svg>")
    return figure(name, caption, "".join(out))


def hbar_stack(name, caption, parts, unit):
    """One horizontal stacked bar: parts = [(label, colour, value)]."""
    total = sum(v for _, _, v in parts if v > 0)
    w, left, bw = 860, 10, 840
    legend_rows = (len(parts) + 4) // 5
    out = [svg_open(w, 60 + 16 * legend_rows, caption)]
    x = left
    for label, colour, v in parts:
        if v <= 0 or total <= 0:
            continue
        pw = bw * v / total
        out.append(f'<rect class="m" x="{x:.2f}" y="10" width="{max(pw, 0.5):.2f}" height="28" '
                   f'fill="{colour}"><title>{esc(label)}: {esc(num(v))} {esc(unit)} '
                   f'({100 * v / total:.1f} %)</title></rect>')
        if pw > 60:
            out.append(f'<text x="{x + 3:.1f}" y="28" font-size="10" '
                       f'fill="{"#000" if colour in ("#dddddd", "#bbbbbb", "#ccbb44", "#66ccee") else "#fff"}">'
                       f'{esc(label)} {100 * v / total:.0f} %</text>')
        x += pw
    out += legend([(f"{p[0]} ({num(p[2])})", p[1]) for p in parts], left, 46)
    out.append("</svg>")
    return figure(name, caption, "".join(out))


def figure(name, caption, svg, note=""):
    return (f'<figure data-figure="{esc(name)}">{svg}<figcaption>{esc(caption)}'
            f'{(" " + esc(note)) if note else ""}</figcaption></figure>\n')


def mesh_dims(tiles):
    return (max(t["x"] for t in tiles) + 1, max(t["y"] for t in tiles) + 1)


KIND_LETTER = {"core": "C", "attention": "A", "encoder": "E", "readout": "R"}


def heat_map(name, caption, tiles, values, layer_names, fmt):
    """The mesh, y = 0 on top: one cell per tile coloured by values[t] (None: unused), the
    unit's kind and the steps of the layers it hosts written in it, every name in its tooltip."""
    mx, my = mesh_dims(tiles)
    cell = max(44, min(80, 880 // mx))
    left, top = 30, 20
    w, h = left + cell * mx + 10, top + cell * my + 40
    vmax = max([v for v in values if v is not None] + [0])
    out = [svg_open(w, h, caption)]
    for x in range(mx):
        out.append(f'<text x="{left + x * cell + cell / 2}" y="{top - 6}" font-size="10" '
                   f'text-anchor="middle">{x}</text>')
    for y in range(my):
        out.append(f'<text x="{left - 6}" y="{top + y * cell + cell / 2 + 4}" font-size="10" '
                   f'text-anchor="end">{y}</text>')
    for t, tl in enumerate(tiles):
        x, y = left + tl["x"] * cell, top + tl["y"] * cell
        v = values[t]
        steps = tl.get("layers") or []
        names = [layer_names[i] if i < len(layer_names) else str(i) for i in steps]
        kind = tl.get("kind", "?")
        if v is None:
            out.append(f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                       f'fill="#f4f4f4" stroke="#ddd"><title>({tl["x"]},{tl["y"]}) {esc(kind)}'
                       f': unused</title></rect>')
            continue
        f = v / vmax if vmax > 0 else 0.0
        tip = f"({tl['x']},{tl['y']}) {kind}: {fmt(v)}"
        if names:
            tip += "\nlayers: " + ", ".join(names)
        out.append(f'<rect class="m" x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                   f'fill="{ramp(f)}"><title>{esc(tip)}</title></rect>')
        c = ink(f)
        out.append(f'<text x="{x + 3}" y="{y + 12}" font-size="10" fill="{c}">'
                   f'{KIND_LETTER.get(kind, "?")} {esc(fmt(v))}</text>')
        lab = ",".join(str(i) for i in steps)
        if len(lab) > cell // 5:
            lab = lab[:max(cell // 5 - 1, 1)] + "…"
        if lab:
            out.append(f'<text class="layers" x="{x + 3}" y="{y + cell - 8}" font-size="9" '
                       f'fill="{c}">L{esc(lab)}</text>')
    # the colour scale
    sy = top + cell * my + 12
    for k in range(50):
        out.append(f'<rect x="{left + k * 4}" y="{sy}" width="4" height="10" '
                   f'fill="{ramp(k / 49)}"/>')
    out.append(f'<text x="{left}" y="{sy + 22}" font-size="10">0</text>')
    out.append(f'<text x="{left + 200}" y="{sy + 22}" font-size="10" text-anchor="end">'
               f'{esc(fmt(vmax))}</text>')
    out.append("</svg>")
    return figure(name, caption, "".join(out),
                  "Each cell: the unit's kind (C core, A attention, E encoder, R readout) and "
                  "the steps of the layers it hosts (L…, the step column of the layer table; "
                  "hover for names).")


DIRS = {"east": (1, 0), "west": (-1, 0), "north": (0, -1), "south": (0, 1)}


def link_map(name, caption, tiles, layer_names):
    """Every tile-to-tile link as an arrow coloured and sized by its flits."""
    mx, my = mesh_dims(tiles)
    cell = max(44, min(80, 880 // mx))
    left, top = 30, 20
    w, h = left + cell * mx + 10, top + cell * my + 40
    vmax = max([tl["flits_out"].get(d, 0) for tl in tiles for d in DIRS] + [0])
    out = [svg_open(w, h, caption)]
    for tl in tiles:
        x, y = left + tl["x"] * cell, top + tl["y"] * cell
        steps = tl.get("layers") or []
        tip = f"({tl['x']},{tl['y']}) {tl.get('kind', '?')}"
        if steps:
            tip += "\nlayers: " + ", ".join(layer_names[i] if i < len(layer_names) else str(i)
                                            for i in steps)
        out.append(f'<rect x="{x + cell * 0.3:.1f}" y="{y + cell * 0.3:.1f}" '
                   f'width="{cell * 0.4:.1f}" height="{cell * 0.4:.1f}" '
                   f'fill="{"#ccc" if tl.get("used") else "#f4f4f4"}" stroke="#999">'
                   f'<title>{esc(tip)}</title></rect>')
        if steps:
            lab = ",".join(str(i) for i in steps)
            if len(lab) > cell // 6:
                lab = lab[:max(cell // 6 - 1, 1)] + "…"
            out.append(f'<text class="layers" x="{x + cell / 2:.1f}" y="{y + cell / 2 + 3:.1f}" '
                       f'font-size="8" text-anchor="middle">{esc(lab)}</text>')
    for tl in tiles:
        cx, cy = left + tl["x"] * cell + cell / 2, top + tl["y"] * cell + cell / 2
        for d, (dx, dy) in DIRS.items():
            v = tl["flits_out"].get(d, 0)
            if v <= 0:
                continue
            f = v / vmax if vmax > 0 else 0
            # offset the two directions of a link to either side of the line between tiles
            ox, oy = (-dy * 5, dx * 5)
            x1, y1 = cx + dx * cell * 0.22 + ox, cy + dy * cell * 0.22 + oy
            x2, y2 = cx + dx * cell * 0.78 + ox, cy + dy * cell * 0.78 + oy
            out.append(f'<line class="m" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                       f'stroke="{ramp(f)}" stroke-width="{1.5 + 4 * f:.2f}">'
                       f'<title>({tl["x"]},{tl["y"]}) {d}: {esc(num(v))} flits</title></line>')
    sy = top + cell * my + 12
    for k in range(50):
        out.append(f'<rect x="{left + k * 4}" y="{sy}" width="4" height="10" '
                   f'fill="{ramp(k / 49)}"/>')
    out.append(f'<text x="{left}" y="{sy + 22}" font-size="10">0</text>')
    out.append(f'<text x="{left + 200}" y="{sy + 22}" font-size="10" text-anchor="end">'
               f'{esc(num(vmax))} flits</text>')
    out.append("</svg>")
    return figure(name, caption, "".join(out),
                  "Each arrow: one router output towards a neighbour (east, west, north, south), "
                  "offset to its side of the link; numbers in the tiles are the steps they host.")


def histogram(name, caption, values, xlabel):
    if not values:
        return ""
    lo, hi = min(values), max(values)
    bins = max(1, min(30, int(math.sqrt(len(values))) + 1))
    width = (hi - lo) / bins if hi > lo else 1.0
    counts = [0] * bins
    for v in values:
        counts[min(int((v - lo) / width), bins - 1) if hi > lo else 0] += 1
    left, top, h, bw = 60, 10, 180, 700 / bins
    w, hh = left + 700 + 20, top + h + 50
    cmax = nice_max(max(counts))
    y0 = top + h
    out = [svg_open(w, hh, caption)]
    out += y_axis(left, y0, h, cmax, "images", 700)
    for i, c in enumerate(counts):
        if c == 0:
            continue
        a, b = lo + i * width, lo + (i + 1) * width
        bh = h * c / cmax
        out.append(f'<rect class="m" x="{left + i * bw + 0.5:.1f}" y="{y0 - bh:.1f}" '
                   f'width="{max(bw - 1, 1):.1f}" height="{bh:.1f}" fill="#4477aa">'
                   f'<title>{c} image{"s" if c != 1 else ""}: {num(a)} to {num(b)} cycles'
                   f'</title></rect>')
    out.append(f'<line x1="{left}" y1="{y0}" x2="{left + 700}" y2="{y0}" stroke="#333"/>')
    out.append(f'<text x="{left}" y="{y0 + 16}" font-size="10">{esc(num(lo))}</text>')
    out.append(f'<text x="{left + 700}" y="{y0 + 16}" font-size="10" text-anchor="end">'
               f'{esc(num(hi))}</text>')
    out.append(f'<text x="{left + 350}" y="{y0 + 34}" font-size="11" text-anchor="middle">'
               f'{esc(xlabel)}</text>')
    out.append("</svg>")
    return figure(name, caption, "".join(out))


def scatter(name, caption, pts, xlabel, ylabel):
    """pts: [(x, y, label, highlighted)]: highlighted points (the Pareto front) joined."""
    pts = [p for p in pts if p[0] is not None and p[1] is not None]
    if not pts:
        return ""
    left, top, wplot, h = 70, 10, 640, 300
    w, hh = left + wplot + 30, top + h + 50
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1 = min(xs), max(xs)
    y0v, y1v = min(ys), max(ys)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1v == y0v:
        y0v, y1v = y0v - 1, y1v + 1
    padx, pady = (x1 - x0) * 0.05, (y1v - y0v) * 0.05
    x0, x1, y0v, y1v = x0 - padx, x1 + padx, y0v - pady, y1v + pady

    def px(v):
        return left + wplot * (v - x0) / (x1 - x0)

    def py(v):
        return top + h - h * (v - y0v) / (y1v - y0v)

    out = [svg_open(w, hh, caption)]
    for k in range(5):
        vy = y0v + (y1v - y0v) * k / 4
        vx = x0 + (x1 - x0) * k / 4
        out.append(f'<line x1="{left}" y1="{py(vy):.1f}" x2="{left + wplot}" y2="{py(vy):.1f}" '
                   f'stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 4}" y="{py(vy) + 4:.1f}" font-size="10" '
                   f'text-anchor="end">{esc(num(vy, 3))}</text>')
        out.append(f'<text x="{px(vx):.1f}" y="{top + h + 14}" font-size="10" '
                   f'text-anchor="middle">{esc(num(vx, 3))}</text>')
    out.append(f'<text x="{left + wplot / 2}" y="{top + h + 34}" font-size="11" '
               f'text-anchor="middle">{esc(xlabel)}</text>')
    out.append(f'<text x="12" y="{top + h / 2}" font-size="11" text-anchor="middle" '
               f'transform="rotate(-90 12 {top + h / 2})">{esc(ylabel)}</text>')
    front = sorted((p for p in pts if p[3]), key=lambda p: (p[0], p[1]))
    if len(front) > 1:
        d = " ".join(f"{px(p[0]):.1f},{py(p[1]):.1f}" for p in front)
        out.append(f'<polyline points="{d}" fill="none" stroke="#ee6677" stroke-width="1.5"/>')
    for x, y, label, hl in pts:
        out.append(f'<circle class="m" cx="{px(x):.1f}" cy="{py(y):.1f}" r="{5 if hl else 4}" '
                   f'fill="{"#ee6677" if hl else "#4477aa"}" fill-opacity="0.8">'
                   f'<title>{esc(label)}: {esc(num(x))}, {esc(num(y))}'
                   f'{" (Pareto)" if hl else ""}</title></circle>')
    out.append("</svg>")
    return figure(name, caption, "".join(out),
                  "Red: the Pareto-optimal points (none better in both).")


def table(headers, rows, cls="", numeric=None):
    numeric = numeric or set()
    out = [f'<table class="{cls}"><thead><tr>']
    for i, hd in enumerate(headers):
        out.append(f'<th data-col="{i}">{esc(hd)}</th>')
    out.append("</tr></thead><tbody>")
    for r in rows:
        out.append("<tr>")
        for i, c in enumerate(r):
            if isinstance(c, tuple):  # (shown, sort key)
                out.append(f'<td data-v="{esc(c[1])}"'
                           f'{" class=num" if i in numeric else ""}>{esc(c[0])}</td>')
            else:
                out.append(f'<td{" class=num" if i in numeric else ""}>{esc(c)}</td>')
        out.append("</tr>")
    out.append("</tbody></table>\n")
    return "".join(out)


# ---- the page -----------------------------------------------------------------------------------

CSS = """
body { font-family: sans-serif; margin: 1.5em; color: #222; max-width: 1100px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
figure { margin: 1em 0; overflow-x: auto; }
figcaption { font-size: 0.85em; color: #555; max-width: 900px; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f2f2f2; }
table.sortable th { cursor: pointer; }
table.sortable th.asc::after { content: " \\25B2"; } table.sortable th.desc::after { content: " \\25BC"; }
tr.pareto td { background: #fde8eb; }
"""

SORT_JS = """
document.querySelectorAll('table.sortable').forEach(function (t) {
  t.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var asc = !th.classList.contains('asc');
      t.querySelectorAll('th').forEach(function (h) { h.classList.remove('asc', 'desc'); });
      th.classList.add(asc ? 'asc' : 'desc');
      var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      function key(r) {
        var c = r.cells[col], v = c.hasAttribute('data-v') ? c.getAttribute('data-v') : c.textContent;
        var f = parseFloat(v);
        return isNaN(f) ? v : f;
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (typeof x !== typeof y) { x = String(x); y = String(y); }
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
// #sort-N in the address: sort the first table on column N when the page opens
var sortOnLoad = /^#sort-(\d+)$/.exec(location.hash);
if (sortOnLoad) {
  var th0 = document.querySelector('table.sortable th[data-col="' + sortOnLoad[1] + '"]');
  if (th0) th0.click();
}
"""


def page(title, body, script=""):
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n"
            f"<h1>{esc(title)}</h1>\n{body}"
            + (f"<script>{script}</script>" if script else "") + "</body></html>\n")


def sim_page(d, src):
    n = d["images"]
    tiles = d["tiles"]
    layers = d.get("layers") or []
    names = [l["name"] for l in layers]
    body = []
    # summary
    rows = [
        ("report", os.path.basename(src)),
        ("chip image", d.get("image_file")), ("model", d.get("config")),
        ("images", n), ("accuracy", "-" if d.get("accuracy") is None else
                        f"{100 * d['accuracy']:.2f} %"),
        ("latency (mean, cycles)", num(d["latency_cycles_mean"])),
        ("latency (min / max)", f"{num(d['latency_cycles_min'])} / {num(d['latency_cycles_max'])}"),
        ("latency (mean, µs)", num(d["latency_us_mean"])),
        ("throughput (images/s)", num(d["throughput_images_per_s"])),
        ("energy per image (µJ)", f"{num(d['energy_uj_per_image'])} (dynamic "
                                  f"{num(d['energy_dynamic_uj_per_image'])})"),
        ("paper's formula (µJ per image)", num(d["paper_energy_uj_per_image"])),
        ("pJ/SOP (dynamic / total)", f"{num(d['pj_per_sop'])} / {num(d['pj_per_sop_total'])}"),
        ("SOPs per image", num(d["sops_per_image"])),
        ("spikes per image", num(d["spikes_per_image"])),
        ("simulated cycles", num(d["cycles"])),
        ("engine", d.get("engine")),
    ]
    body.append("<h2>Summary</h2>\n" + table(["", ""], [(a, b if isinstance(b, str) else num(b))
                                                         for a, b in rows], "summary"))
    # energy
    body.append("<h2>Energy</h2>\n")
    eb = d["energy_breakdown_uj_per_image"]
    body.append(hbar_stack("energy-chip", "Energy per image, whole chip, by event kind (µJ).",
                           [(lab, col, eb.get(key, 0)) for key, lab, col in ENERGY_ROWS], "µJ"))
    if layers:
        body.append(bar_chart(
            "energy-layers", "Dynamic energy per image of each layer, by event kind (µJ; "
            "static energy is the chip's, not a layer's).",
            [f"{l['step']} {l['name']}" for l in layers],
            [(lab, col, [l["breakdown_uj_per_image"].get(key, 0) for l in layers])
             for key, lab, col in ENERGY_ROWS if key != "static"], "µJ per image"))
        # layers
        body.append("<h2>Layers</h2>\n")
        fire = [l for l in layers if l.get("firing_rate") is not None]
        body.append(bar_chart("firing-rates", "Firing rate of each spiking layer (spikes per "
                              "neuron and timestep).", [f"{l['step']} {l['name']}" for l in fire],
                              [("rate", "#228833", [l["firing_rate"] for l in fire])],
                              "firing rate"))
        syn = [l for l in layers if l["sops"] + l["attention_ops"] > 0]
        body.append(bar_chart("sops", "SOPs (synaptic and attention additions) per image of "
                              "each layer.", [f"{l['step']} {l['name']}" for l in syn],
                              [("SOPs", "#4477aa", [l["sops"] / n for l in syn]),
                               ("attention ops", "#bbbbbb",
                                [l["attention_ops"] / n for l in syn])],
                              "per image"))
        body.append(bar_chart("spikes", "Spikes per image of each spiking layer.",
                              [f"{l['step']} {l['name']}" for l in fire],
                              [("spikes", "#ccbb44", [l["spikes"] / n for l in fire])],
                              "spikes per image"))
        body.append(bar_chart("busy-layers", "Input-busy cycles of each layer (the units' "
                              "receive engines, split by the layer each packet served).",
                              [f"{l['step']} {l['name']}" for l in layers],
                              [("busy", "#66ccee", [l["busy_cycles"] for l in layers])],
                              "cycles"))
        rows = []
        for l in layers:
            rows.append([l["step"], l["name"], l["type"], num(l["sops"] / n),
                         num(l["spikes"] / n), "-" if l["firing_rate"] is None else
                         f"{l['firing_rate']:.3f}", num(l["energy_uj_per_image"]),
                         num(l["busy_cycles"]), " ".join(str(t) for t in l["tiles"])])
        body.append("<details><summary>Layer table</summary>" + table(
            ["step", "name", "type", "SOPs/image", "spikes/image", "firing rate",
             "µJ/image", "busy cycles", "tiles"], rows, "layers sortable",
            {0, 3, 4, 5, 6, 7}) + "</details>\n")
    # mesh
    body.append("<h2>The mesh</h2>\n")
    body.append(heat_map("heat-utilisation", "Unit utilisation: share of the simulated time "
                         "each unit's input side was busy.", tiles,
                         [t["utilisation"] if t.get("used") else None for t in tiles], names,
                         lambda v: f"{100 * v:.1f}%"))
    body.append(link_map("heat-links", "Link flits: flits each router sent to each neighbour "
                         "over the run.", tiles, names))
    body.append(heat_map("heat-refused", "NI refusals: offers each tile's network interface "
                         "refused (back-pressure on its unit).", tiles,
                         [t["ni_refused"] if t.get("used") else None for t in tiles], names,
                         lambda v: num(int(v)) if v < 1e5 else f"{v:.2g}"))
    # latency
    body.append("<h2>Latency</h2>\n")
    lat = d.get("per_image", {}).get("latency_cycles", [])
    body.append(histogram("latency", f"Latency of each of the {len(lat)} images, from in to "
                          "class out.", lat, "cycles"))
    # critical path
    cp = d.get("critical_path")
    if cp:
        body.append("<h2>Critical path</h2>\n")
        causes = [(k.replace("_", " "), v) for k, v in cp["by_cause"].items() if v > 0]
        palette = ["#4477aa", "#66ccee", "#228833", "#ccbb44", "#ee6677", "#aa3377", "#bbbbbb",
                   "#000000", "#dddddd", "#88ccaa", "#994455", "#eecc66"]
        body.append(hbar_stack("critical-path", f"Where the {num(cp['cycles'])} cycles on the "
                               f"critical paths of {cp['images']} image(s) went, by cause.",
                               [(c, palette[i % len(palette)], v)
                                for i, (c, v) in enumerate(causes)], "cycles"))
        rows = [[f"{c['kind']} ({c['x']},{c['y']})", c.get("layer") or "-", c["cause"],
                 num(c["cycles"]), f"{100 * c['share']:.1f} %"]
                for c in cp["contributors"][:10]]
        body.append(table(["unit", "layer", "cause", "cycles", "share"], rows, "critpath",
                          {3, 4}))
    cfg = d.get("config") or ""
    cfg = cfg if len(cfg) <= 40 else cfg[:39] + "…"
    return page(f"spikechip report: {cfg} on {len(tiles)} tiles, {n} images",
                "".join(body), SORT_JS)


def pareto_front(pts):
    """Indices of points no other point beats in both (minimising both)."""
    out = set()
    for i, (a, b) in enumerate(pts):
        if a is None or b is None:
            continue
        if not any(j != i and c is not None and e is not None and c <= a and e <= b and
                   (c < a or e < b) for j, (c, e) in enumerate(pts)):
            out.add(i)
    return out


def sweep_page(d, src):
    res = d["results"]
    ok = [r for r in res if r.get("status") == "ok" and r.get("metrics")]
    body = []
    st = d.get("status", {})
    rows = [("sweep", d.get("sweep")), ("points", d.get("points")),
            ("images per point", d.get("images")),
            ("status", ", ".join(f"{k} {v}" for k, v in st.items())),
            ("axes", ", ".join(a["name"] for a in d.get("axes", []))),
            ("Pareto objectives", ", ".join(d.get("pareto_objectives") or []) or
             "(none given: energy and latency here)")]
    body.append("<h2>Summary</h2>\n" + table(["", ""], [(a, num(b) if not isinstance(b, str)
                                                         else b) for a, b in rows], "summary"))

    def m(r, k):
        v = r["metrics"].get(k)
        return v if isinstance(v, (int, float)) else None

    el = [(m(r, "energy_uj_per_image"), m(r, "latency_mean_cycles")) for r in ok]
    if d.get("pareto_objectives"):
        front = {i for i, r in enumerate(ok) if r.get("pareto")}
    else:
        front = pareto_front(el)
    body.append("<h2>Pareto</h2>\n")
    body.append(scatter("pareto-energy-latency", "Energy against latency, one point per "
                        "design.", [(e, l, r["label"], i in front)
                                    for i, ((e, l), r) in enumerate(zip(el, ok))],
                        "energy per image (µJ)", "mean latency (cycles)"))
    acc = [(m(r, "energy_uj_per_image"), m(r, "accuracy")) for r in ok]
    accf = pareto_front([(e, None if a is None else -a) for e, a in acc])
    body.append(scatter("pareto-accuracy", "Accuracy against energy, one point per design.",
                        [(e, a, r["label"], i in accf)
                         for i, ((e, a), r) in enumerate(zip(acc, ok))],
                        "energy per image (µJ)", "accuracy"))
    axes = [p for a in d.get("axes", []) for p in a.get("params", [a["name"]])]
    cols = ["energy_uj_per_image", "latency_mean_cycles", "throughput_images_per_s",
            "accuracy", "pj_per_sop", "tiles_used"]
    rows, front_ids = [], {ok[i]["point"] for i in front}
    for r in res:
        mt = r.get("metrics") or {}
        row = [r["point"]] + [r.get("values", {}).get(a, "") for a in axes] + [r.get("status")]
        for c in cols:
            v = mt.get(c)
            row.append((num(v), v if v is not None else "") if isinstance(v, (int, float))
                       else "-")
        row.append("yes" if r["point"] in front_ids else "")
        rows.append(row)
    hdr = ["point"] + axes + ["status"] + [c.replace("_", " ") for c in cols] + ["Pareto"]
    numeric = {0} | set(range(len(axes) + 2, len(axes) + 2 + len(cols)))
    body.append("<h2>Points</h2>\n<p>Click a column to sort.</p>\n" +
                table(hdr, rows, "points sortable", numeric))
    return page(f"spikechip report: sweep of {len(res)} points", "".join(body), SORT_JS)


def load(path):
    """The page for path (a sim JSON report or a sweep directory)."""
    if os.path.isdir(path):
        rj = os.path.join(path, "results.json")
        if not os.path.exists(rj):
            raise UserError(f"{path}: a directory without results.json: not a sweep directory "
                            "(spikechip sweep --out DIR)")
        d = read_json(rj)
        if not isinstance(d, dict) or not isinstance(d.get("results"), list):
            raise UserError(f"{rj}: no \"results\" array: not a sweep's results.json")
        return sweep_page(d, path)
    d = read_json(path)
    need = ("images", "cycles", "tiles", "per_image", "energy_breakdown_uj_per_image")
    if not isinstance(d, dict) or any(k not in d for k in need) or not d["tiles"]:
        raise UserError(f"{path}: not a JSON report of spikechip sim (--json): it lacks "
                        + ", ".join(f'"{k}"' for k in need if not isinstance(d, dict) or k not in d)
                        if isinstance(d, dict) else f"{path}: not a JSON object")
    return sim_page(d, path)


def read_json(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise UserError(f"{path}: cannot read: {e.strerror}")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: not JSON: {e}")


def write_atomic(out, text):
    d = os.path.dirname(os.path.abspath(out))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".tmp", dir=d)
    except OSError as e:
        raise UserError(f"{out}: cannot write: {e.strerror}")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise UserError(f"{out}: cannot write: {e.strerror}")


def main(argv):
    if len(argv) != 3:
        print("usage: report.py RESULT.json|SWEEP_DIR OUT.html", file=sys.stderr)
        return EXIT_USAGE
    src, out = argv[1], argv[2]
    try:
        if not os.path.exists(src):
            raise UserError(f"{src}: no such file or directory")
        if os.path.isdir(out):
            raise UserError(f"{out}: is a directory")
        write_atomic(out, load(src))
    except UserError as e:
        print(f"report: {e}", file=sys.stderr)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
