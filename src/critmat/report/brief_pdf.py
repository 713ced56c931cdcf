"""The brief as PDF through ReportLab (critmat.report.brief), and both files written together."""

from __future__ import annotations

import html
from pathlib import Path

from critmat.errors import CritmatError
from critmat.report.brief import Brief, brief_from_page
from critmat.report.brief_html import brief_html
from critmat.usecases.pages import PlanPage

__all__ = ["brief_paths", "write_brief", "write_pdf"]


def write_pdf(b: Brief, path: Path) -> None:
    """The brief on A4 pages: headings, the two tables, the chart drawn as vectors (ReportLab,
    imported here: only a brief needs it, and a plan without one should not pay for it)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    ss = getSampleStyleSheet()
    body, small = ss["BodyText"], ss["BodyText"].clone("small", fontSize=7.5, leading=9)
    h1, h2 = ss["Heading1"].clone("h1", fontSize=15), ss["Heading2"].clone("h2", fontSize=11.5)

    def para(text: str, style: object = body) -> Paragraph:
        return Paragraph(html.escape(text), style)

    def table(rows: list[list[str]]) -> Table:
        t = Table([[para(c, small) for c in r] for r in rows], repeatRows=1, hAlign="LEFT")
        t.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))  # fmt: skip
        return t

    story: list[object] = [para(b.title, h1), para(b.subtitle, small), Spacer(1, 3 * mm)]
    story += [para("The decision", h2), para(b.decision)]
    if len(b.holdings) > 1:
        story.append(table(b.holdings))
    if len(b.money) > 1:
        story += [para("The money", h2), table(b.money)]
    story += [para("The band", h2), para(b.band)]
    if b.chart:
        story.append(_bars(b.chart))
    story.append(para("Sources and assumptions", h2))
    story += [para(f"{k}: {v}", small) for k, v in b.assumptions]
    story += [para(n, small) for n in b.notes]
    story.append(para(f"Re-run: {b.command}", small))
    doc = SimpleDocTemplate(str(path), pagesize=A4, title=b.title, author="critmat",
                            leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm)  # fmt: skip
    doc.build(story)


def _bars(data: list[tuple[str, float]]) -> object:
    """Spend per material (USD m) as a horizontal bar chart, largest on top."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    rows = list(reversed(data))
    height = 14 * len(rows) + 40
    d = Drawing(480, height)
    c = HorizontalBarChart()
    c.x, c.y, c.width, c.height = 90, 25, 360, height - 35
    c.data = [[v for _, v in rows]]
    c.categoryAxis.categoryNames = [n for n, _ in rows]
    c.categoryAxis.labels.fontSize = 7
    c.valueAxis.valueMin = 0
    c.valueAxis.labels.fontSize = 7
    c.bars[0].fillColor = colors.HexColor("#3b6ea5")
    d.add(c)
    d.add(String(90, 4, "spend per material, USD m", fontSize=7, fillColor=colors.grey))
    return d


def brief_paths(out: str | Path) -> tuple[Path, Path]:
    """``OUT.pdf`` and ``OUT.html`` (``out`` may end in .pdf, .html or neither), checked before
    any work: neither is a directory and no parent is a file (a missing folder is created when
    the brief is written, as for --html)."""
    base = Path(out)
    if base.suffix.lower() in (".pdf", ".html", ".htm"):
        base = base.with_suffix("")
    for parent in base.parents:
        if parent.exists() and not parent.is_dir():
            raise CritmatError(f"--brief {out}: {parent} is a file, not a folder")
    paths = base.with_suffix(".pdf"), base.with_suffix(".html")
    for p in paths:
        if p.is_dir():
            raise CritmatError(f"--brief {out}: {p} is a directory; give a file name")
    return paths


def write_brief(p: PlanPage, out: str | Path) -> tuple[Path, Path]:
    """Write the brief as PDF and HTML (:func:`brief_paths`); both or neither: a failure leaves
    nothing half-written."""
    pdf, page_ = brief_paths(out)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    b = brief_from_page(p)
    tmp_pdf, tmp_html = pdf.with_name(pdf.name + ".part"), page_.with_name(page_.name + ".part")
    try:
        write_pdf(b, tmp_pdf)
        tmp_html.write_text(brief_html(b), encoding="utf-8")
        tmp_pdf.replace(pdf)
        tmp_html.replace(page_)
    finally:
        tmp_pdf.unlink(missing_ok=True)
        tmp_html.unlink(missing_ok=True)
    return pdf, page_
