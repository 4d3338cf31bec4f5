"""report_dom.py — checks a page of `spikechip report` as headless Chromium left it (--dump-dom).

    report_dom.py DOM.html KIND [SORTED_COL]

KIND is "sim", "sim-cp" (with the critical path) or "sweep": the figures such a page must hold.
Each must be a <figure data-figure="NAME"> holding an <svg> of non-zero width and height with at
least one data mark (an element of class "m"). With SORTED_COL, the sortable table was sorted by
the browser on that column (its header marked "asc", the rows in ascending order). Nothing may
reach outside the page (no src or href other than the SVG namespace). Exit 1 naming what is wrong.
"""
import sys
from html.parser import HTMLParser

FIGURES = {
    "sim": ["energy-chip", "energy-layers", "firing-rates", "sops", "spikes", "busy-layers",
            "heat-utilisation", "heat-links", "heat-refused", "latency"],
    "sweep": ["pareto-energy-latency", "pareto-accuracy"],
}
FIGURES["sim-cp"] = FIGURES["sim"] + ["critical-path"]


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []          # open figure names (None: not a figure)
        self.figs = {}           # name -> {"svg": (w, h), "marks": n, "layers": n}
        self.outside = []
        self.table_th = []       # (classes) of the sortable table's headers
        self.rows = []           # the sortable table's rows, cells as text (or data-v)
        self.in_sort = False
        self.in_body = False
        self.cell = None
        self.cur = None
        self.fig = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ("src", "href"):
            if k in a:
                self.outside.append(f"{tag} {k}={a[k]}")
        if tag == "figure" and "data-figure" in a:
            self.fig = a["data-figure"]
            self.figs[self.fig] = {"svg": None, "marks": 0, "layers": 0}
        elif self.fig is not None:
            f = self.figs[self.fig]
            if tag == "svg" and f["svg"] is None:
                f["svg"] = (float(a.get("width", 0)), float(a.get("height", 0)))
            cls = (a.get("class") or "").split()
            if "m" in cls:
                f["marks"] += 1
            if "layers" in cls:
                f["layers"] += 1
        if tag == "table" and "sortable" in (a.get("class") or "").split() and not self.rows:
            self.in_sort = True
        if self.in_sort:
            if tag == "th":
                self.table_th.append((a.get("class") or "").split())
            elif tag == "tbody":
                self.in_body = True
            elif tag == "tr" and self.in_body:
                self.cur = []
                self.rows.append(self.cur)
            elif tag == "td" and self.cur is not None:
                self.cell = a.get("data-v")
                self.cur.append("" if self.cell is None else self.cell)

    def handle_endtag(self, tag):
        if tag == "figure":
            self.fig = None
        if tag == "table" and self.in_sort:
            self.in_sort = False
            self.in_body = False
            self.cur = None
        if tag == "td":
            self.cell = None

    def handle_data(self, data):
        if self.in_sort and self.cur is not None and self.cell is None and self.cur:
            self.cur[-1] += data


def main():
    dom, kind = sys.argv[1], sys.argv[2]
    p = Page()
    p.feed(open(dom, encoding="utf-8").read())
    bad = []
    for name in FIGURES[kind]:
        f = p.figs.get(name)
        if f is None:
            bad.append(f"figure {name}: missing")
        elif f["svg"] is None or f["svg"][0] <= 0 or f["svg"][1] <= 0:
            bad.append(f"figure {name}: no svg, or an empty one")
        elif f["marks"] == 0:
            bad.append(f"figure {name}: no data marks")
    if kind.startswith("sim"):
        for name in ("heat-utilisation", "heat-refused", "heat-links"):
            if name in p.figs and p.figs[name]["layers"] == 0:
                bad.append(f"figure {name}: no layer labels on the tiles")
    bad += [f"reaches outside the page: {o}" for o in p.outside]
    if len(sys.argv) > 3:
        col = int(sys.argv[3])
        if not p.rows:
            bad.append("no sortable table")
        elif "asc" not in p.table_th[col]:
            bad.append(f"the table's column {col} is not marked sorted: {p.table_th}")
        else:
            keys = [float(r[col]) for r in p.rows]
            if keys != sorted(keys):
                bad.append(f"the table is not sorted on column {col}: {keys}")
    for b in bad:
        print("report_dom:", b, file=sys.stderr)
    print(f"report_dom: {dom}: {len(p.figs)} figures, {sum(f['marks'] for f in p.figs.values())}"
          f" marks")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
