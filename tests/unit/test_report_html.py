"""The HTML page of a run report, rendered from its template: complete, escaped, self-contained
and well-formed. No database: the report dict is built by hand in the shape ``build_report``
returns."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from vctrace.runs import report_html
from vctrace.runs.report_html import LABELS, histogram_counts, render_html, stacked_bars

HOSTILE = '<script>alert(1)</script>"onload=\'x\'&amp;'
TEMPLATES = Path(report_html.__file__).parent / "templates"


def _trace(key, dti, de_supported, de_refuted, structure="supported"):
    judged = de_supported + de_refuted
    return {"trace": key, "trace_id": key.split(":")[0], "drug": "trametinib",
            "cell_line": "c-32", "structure": structure, "claims": 6, "judged": 4, "dti": dti,
            "dti_judged": 0 if dti is None else 1, "dti_refuted": int(dti == 0.0),
            "de_supported": de_supported, "de_refuted": de_refuted, "de_actions": 1,
            "de_judged_actions": int(judged > 0), "de_refined_actions": int(de_refuted > 0),
            "validity": float(structure == "supported"), "verifiability": 4 / 6,
            "de": de_supported / judged if judged else None}


def make_report() -> dict:
    return {
        "run": {"key": "r1", "fingerprint": "9f2c", "batch_size": 500, "attempts": 1,
                "verifier_names": ["dti-kg", "de"], "status": "complete", "traces": 2,
                "created_at": "2025-06-01T10:00:00.000Z",
                "finished_at": "2025-06-01T10:02:03.000Z"},
        "verifiers": [{"name": "dti-kg", "version": "1.2", "parameters": {}},
                      {"name": "de", "version": "3", "parameters": {"t": 1.0}}],
        "filter": {"drug": None, "cell_line": None, "traces": None},
        "timings_s": {"dti-kg": 0.41, "de": 2.9, "total": 3.512},
        "metrics": {"traces": 2, "validity": 0.5, "verifiability": 2 / 3, "dti_score": None,
                    "de_score": 0.25, "dti_excluded": 1 / 3, "de_refined": None,
                    "de_conflicting": 0.125, "coverage_dti": 0.5, "coverage_de": 1.0, "coverage_both": 0.5,
                    "coverage_neither": 0.0},
        "paper": {"validity": 1.000, "verifiability": 0.945, "dti_score": 0.725,
                  "de_score": 0.528, "dti_excluded": 0.282, "de_refined": 0.873,
                  "coverage_dti": 0.901, "coverage_de": 0.943, "coverage_both": 0.853,
                  "coverage_neither": 0.085},
        "outcomes": [
            {"verifier": "de", "status": "refuted", "reason": "not_de", "verdicts": 1234},
            {"verifier": "de", "status": "refuted", "reason": "opposite_direction",
             "verdicts": 6},
            {"verifier": "de", "status": "supported", "reason": "same_direction", "verdicts": 40},
            {"verifier": "de", "status": "unverifiable", "reason": "not_measured",
             "verdicts": 17},
            {"verifier": "dti-kg", "status": "refuted", "reason": "not_a_curated_target",
             "verdicts": 1},
            {"verifier": "dti-kg", "status": "supported", "reason": "curated_target",
             "verdicts": 2}],
        "primitive_coverage": [
            {"primitive": "regulates_expression", "actions": 4, "claims": 4,
             "judged_actions": 3},
            {"primitive": "binds_to", "actions": 3, "claims": 3, "judged_actions": 3},
            {"primitive": "induces_phenotype", "actions": 2, "claims": 2, "judged_actions": 0}],
        "scores": {"de": [-8.5, -2.25, -0.4, 0.0, 0.3, 1.7, 5.99, 6.0, 12.0],
                   "dti-boltz": [0.02, 0.5, 0.97, 1.0]},
        "traces": [_trace("right-trametinib-c32:1", 1.0, 3, 1),
                   _trace("wrong-trametinib-c32:1", None, 0, 0, structure="refuted")],
    }


EXPECTED_TABLE = [  # label, this run, paper: as the page shows them
    ("validity", "0.500", "1.000"), ("verifiability", "0.667", "0.945"),
    ("DTI score", "—", "0.725"), ("DE score", "0.250", "0.528"),
    ("DTI claims excluded", "0.333", "0.282"), ("DE actions refined", "—", "0.873"),
    ("DE genes with conflicting doses", "0.125", "—"),
    ("traces DTI-checkable", "0.500", "0.901"), ("traces DE-checkable", "1.000", "0.943"),
    ("traces with both", "0.500", "0.853"), ("traces with neither", "0.000", "0.085")]


# ------------------------------------------------------------------ a small DOM of the page

VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "source",
        "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None]):
        self.tag, self.attrs, self.children = tag, attrs, []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self, tag: str | None = None):
        for c in self.children:
            if isinstance(c, Node):
                if tag is None or c.tag == tag:
                    yield c
                yield from c.iter(tag)


class Tree(HTMLParser):
    """Builds the element tree and records every end tag that does not close the innermost
    open element, so a balanced page has no ``errors`` and nothing left open."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack, self.errors = [self.root], []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag):
        if self.stack[-1].tag == tag:
            self.stack.pop()
        else:
            self.errors.append(f"</{tag}> closes <{self.stack[-1].tag}>")

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def svg_by_label(tree: Tree, start: str) -> Node:
    (svg,) = [s for s in tree.root.iter("svg") if s.attrs["aria-label"].startswith(start)]
    return svg


def bars_with_titles(svg: Node) -> list[tuple[Node, str]]:
    return [(r, t.text()) for r in svg.iter("rect") for t in r.iter("title")]


# ------------------------------------------------------------------ tests


@pytest.fixture
def report():
    return make_report()


def test_the_page_is_well_formed(report):
    tree = Tree(render_html(report))
    assert tree.errors == [] and tree.stack == [tree.root]
    (html_,) = tree.root.iter("html")
    assert [c.tag for c in html_.children if isinstance(c, Node)] == ["head", "body"]
    # metric bars, verdicts per verifier, actions per primitive, one histogram per score
    assert len(list(tree.root.iter("svg"))) == 3 + len(report["scores"])
    assert len(list(tree.root.iter("table"))) == 2
    assert all(s.attrs["xmlns"] == "http://www.w3.org/2000/svg" for s in tree.root.iter("svg"))


def test_every_metric_label_and_value_appears_with_the_paper_figure(report):
    tree = Tree(render_html(report))
    metrics_table = list(tree.root.iter("table"))[0]
    rows = [tuple(td.text() for td in tr.iter("td")) for tr in metrics_table.iter("tr")][1:]
    assert rows == EXPECTED_TABLE
    assert {label for label, _, _ in EXPECTED_TABLE} == set(LABELS.values())


def test_undefined_metrics_show_the_em_dash_and_have_no_bar(report):
    tree = Tree(render_html(report))
    svg = svg_by_label(tree, "metrics")
    texts = [t.text() for t in svg.iter("text")]
    for label, run_value, paper in EXPECTED_TABLE:
        assert label in texts
        for value in (run_value, paper):
            if value != "—":
                assert value in texts
    # bars: one per defined figure (the paper's ten, this run's nine)
    assert len(list(svg.iter("rect"))) == 10 + 9
    assert "—" not in texts


def test_the_run_summary_and_the_verdict_table(report):
    page = render_html(report)
    tree = Tree(page)
    (head,) = tree.root.iter("head")
    (title,) = head.iter("title")
    assert title.text() == "vctrace run r1"
    (h1,) = tree.root.iter("h1")
    assert h1.text() == "Verification run r1"
    summary = " ".join(list(tree.root.iter("p"))[0].text().split())
    assert summary == ("2 traces; status complete; verifiers dti-kg v1.2, de v3 (t=1.0); created "
                       "2025-06-01T10:00:00.000Z, finished 2025-06-01T10:02:03.000Z; "
                       "time 3.512 s.")
    verdict_table = list(tree.root.iter("table"))[1]
    rows = [tuple(td.text() for td in tr.iter("td")) for tr in verdict_table.iter("tr")][1:]
    assert rows[0] == ("de", "refuted", "not_de", "1,234")
    assert len(rows) == len(report["outcomes"])


def test_a_run_without_total_time_or_scores_still_renders(report):
    report["timings_s"] = {}
    report["scores"] = {}
    report["outcomes"] = []
    report["primitive_coverage"] = []
    report["metrics"] = {k: None for k in report["metrics"]}
    del report["run"]["finished_at"]
    tree = Tree(render_html(report))
    assert tree.errors == []
    assert "time — s." in " ".join(list(tree.root.iter("p"))[0].text().split())
    assert len(list(tree.root.iter("svg"))) == 3
    metrics_table = list(tree.root.iter("table"))[0]
    rows = [[td.text() for td in tr.iter("td")] for tr in metrics_table.iter("tr")][1:]
    assert [row[1] for row in rows] == ["—"] * len(LABELS)


def test_hostile_strings_are_escaped(report):
    report["run"]["key"] = HOSTILE
    report["run"]["status"] = HOSTILE
    report["verifiers"][0]["name"] = HOSTILE
    report["outcomes"][0]["verifier"] = HOSTILE
    report["outcomes"][1]["reason"] = HOSTILE
    report["outcomes"][2]["status"] = HOSTILE
    report["primitive_coverage"][0]["primitive"] = HOSTILE
    page = render_html(report)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;onload=&#39;x&#39;&amp;amp;" in page
    tree = Tree(page)
    assert tree.errors == []
    # every hostile value reads back as the literal text it was, never as markup
    assert not any(n.tag == "script" for n in tree.root.iter())
    assert not any(a.lower().startswith("on") for n in tree.root.iter() for a in n.attrs)
    (h1,) = tree.root.iter("h1")
    assert h1.text() == "Verification run " + HOSTILE
    coverage = svg_by_label(tree, "actions per primitive")
    assert HOSTILE in [t.text() for t in coverage.iter("text")]
    verdict_table = list(tree.root.iter("table"))[1]
    cells = [td.text() for td in verdict_table.iter("td")]
    assert cells.count(HOSTILE) == 3


FORBIDDEN_ATTRS = {"src", "href", "xlink:href", "srcset", "action", "formaction", "data"}
LOADING_TAGS = {"script", "img", "link", "iframe", "object", "embed", "a", "image", "use",
                "foreignobject"}


def assert_loads_nothing(tree: Tree) -> None:
    for node in tree.root.iter():
        assert not FORBIDDEN_ATTRS & set(node.attrs), (node.tag, node.attrs)
        assert node.tag not in LOADING_TAGS, node.tag


def test_nothing_is_loaded_from_elsewhere(report):
    page = render_html(report)
    assert_loads_nothing(Tree(page))
    assert not re.search(r"\b(src|href)\s*=", page)
    assert "url(" not in page and "@import" not in page
    # the only URL is the SVG namespace
    assert set(re.findall(r"[a-z]+://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}


def test_injected_links_stay_text(report):
    report["run"]["key"] = 'x" src="http://evil.example/a.js'
    report["outcomes"][0]["reason"] = '<img src="https://evil.example/p.png">'
    report["primitive_coverage"][0]["primitive"] = '<a href="file:///etc/passwd">x</a>'
    tree = Tree(render_html(report))
    assert tree.errors == []
    assert_loads_nothing(tree)
    (h1,) = tree.root.iter("h1")
    assert h1.text() == 'Verification run x" src="http://evil.example/a.js'


def test_the_verdict_plot_has_one_bar_per_status_present(report):
    tree = Tree(render_html(report))
    svg = svg_by_label(tree, "verdicts per verifier")
    labels = {int(t.attrs["y"]) - 13: t.text() for t in svg.iter("text")
              if t.attrs.get("text-anchor") == "end"}
    assert sorted(labels.values()) == ["de", "dti-kg"]
    found: dict[str, dict[str, int]] = {}
    for rect, title in bars_with_titles(svg):
        status, count = re.fullmatch(r"(\w+): ([\d,]+) \([\d.]+%\)", title).groups()
        found.setdefault(labels[int(rect.attrs["y"])], {})[status] = int(count.replace(",", ""))
    assert found == {"de": {"refuted": 1240, "supported": 40, "unverifiable": 17},
                     "dti-kg": {"refuted": 1, "supported": 2}}
    # widths are shares of the whole bar (every status here has a colour), total at the right
    de = [(int(t.split(": ")[1].split()[0].replace(",", "")), float(r.attrs["width"]))
          for r, t in bars_with_titles(svg) if labels[int(r.attrs["y"])] == "de"]
    whole = sum(w for _, w in de)
    assert whole == pytest.approx(int(svg.attrs["width"]) - (12 + 7 * len("dti-kg")) - 70,
                                  abs=0.2)
    assert all(w == pytest.approx(n / 1297 * whole, abs=0.1) for n, w in de)
    assert "1,297" in [t.text() for t in svg.iter("text")]
    legend = [t.text() for t in svg.iter("text") if "text-anchor" not in t.attrs][1:]
    assert legend[-4:] == ["supported", "refuted", "unverifiable", "error"]


def test_the_coverage_plot_splits_judged_and_not_judged(report):
    tree = Tree(render_html(report))
    svg = svg_by_label(tree, "actions per primitive")
    titles = [t for _, t in bars_with_titles(svg)]
    # induces_phenotype has no judged action, binds_to no unjudged one: no empty bars
    assert titles == ["judged: 3 (75.0%)", "not judged: 1 (25.0%)", "judged: 3 (100.0%)",
                      "not judged: 2 (100.0%)"]


@pytest.mark.parametrize("name", ["de", "dti-boltz"])
def test_histogram_counts_sum_to_the_number_of_scores(report, name):
    tree = Tree(render_html(report))
    svg = svg_by_label(tree, f"{name}: ")
    counts = [int(t.rsplit(": ", 1)[1]) for _, t in bars_with_titles(svg)]
    assert len(counts) == 24
    assert sum(counts) == len(report["scores"][name])
    heading = [t.text() for t in svg.iter("text")][0]
    assert heading.endswith(f"(n = {len(report['scores'][name])})")
    if name == "de":  # out of range scores fall into the outer bins
        assert counts[0] == 1 and counts[-1] == 3  # -8.5; 5.99, 6.0 and 12.0
        ticks = [t.text() for t in svg.iter("text") if t.attrs.get("text-anchor") == "middle"]
        assert ticks == ["-6", "-3", "0", "3", "6"]
    # bar heights are proportional, the tallest reaching the plot's top
    heights = [float(r.attrs["height"]) for r, _ in bars_with_titles(svg)]
    assert max(heights) == pytest.approx(200 - 2 * 36)
    assert all(h == pytest.approx(c / max(counts) * max(heights), abs=0.1)
               for h, c in zip(heights, counts))


def test_histogram_bins_cover_the_range_and_clip():
    assert histogram_counts([0.0, 0.999, 1.0, 1.5, -3.0], 0.0, 1.0, bins=4) == [2, 0, 0, 3]
    assert sum(histogram_counts([0.1 * i for i in range(-20, 31)], -1.0, 2.0)) == 51
    assert histogram_counts([], 0.0, 1.0, bins=3) == [0, 0, 0]


def test_stacked_bars_without_verdicts_divide_nothing_by_zero():
    plot = stacked_bars([("empty", {}), ("one", {"supported": 1, "unknown": 1})], "t",
                        report_html.STATUS_COLOURS)
    empty, one = plot["bars"]
    assert empty["segments"] == [] and empty["total"] == 0
    # a status without a colour counts in the total but gets no bar
    assert [s["category"] for s in one["segments"]] == ["supported"]
    assert one["segments"][0]["percent"] == 50.0 and one["total"] == 2


def test_the_templates_never_turn_escaping_off():
    for path in TEMPLATES.glob("*.j2"):
        source = path.read_text()
        assert "|safe" not in source.replace(" ", ""), path
        assert not re.search(r"\{%-?\s*autoescape", source), path
        assert "Markup" not in source and "<script" not in source, path


def test_rendering_does_not_change_the_report(report):
    before = copy.deepcopy(report)
    render_html(report)
    assert report == before
