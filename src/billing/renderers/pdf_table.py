"""``TextBatchTable``: a platypus Table whose plain-string cells share one text object.

reportlab's Table draws every string cell with its own ``canvas.drawString`` (a new text
object, its font set up again): a third of the time of a 300-line invoice, whose line table
has six such cells a row. This Table places each single-line string cell exactly where
``Table._drawCell`` places it (left or right aligned inside the padding, baseline one font
size below the top padding) but writes them all into one text object, drawn, inside its own
graphics state, just before the table's grid lines, as reportlab draws cells before lines.
Cells of any other kind (flowables, several lines, centred, decimal or bottom aligned, links,
shaped text) go through reportlab's own ``_drawCell``.
"""

from __future__ import annotations

from typing import Any

from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Table


class TextBatchTable(Table):  # type: ignore[misc]
    """A ``Table`` that writes its single-line string cells as one text object."""

    _batch: Any = None
    _batch_font: tuple[str, float, float] | None = None
    _batch_color: Any = None

    def draw(self) -> None:
        self._batch = None
        super().draw()

    def _drawCell(self, cellval: Any, cellstyle: Any, pos: Any, size: Any) -> None:
        if (
            type(cellval) is not str
            or "\n" in cellval
            or cellstyle.valign != "TOP"
            or cellstyle.alignment not in ("LEFT", "RIGHT")
            or cellstyle.direction
            or cellstyle.shaping
            or cellstyle.href
            or cellstyle.destination
        ):
            super()._drawCell(cellval, cellstyle, pos, size)
            return
        if not cellval:
            return  # reportlab writes an empty text object: nothing visible
        text = self._batch
        if text is None:
            text = self._batch = self.canv.beginText()
            self._batch_font = self._batch_color = None
        font = (cellstyle.fontname, cellstyle.fontsize, cellstyle.leading)
        if font != self._batch_font:
            text.setFont(*font)
            self._batch_font = font
        if cellstyle.color != self._batch_color:
            text.setFillColor(cellstyle.color)
            self._batch_color = cellstyle.color
        colpos, rowpos = pos
        colwidth, rowheight = size
        if cellstyle.alignment == "LEFT":
            x = colpos + cellstyle.leftPadding
        else:
            width = pdfmetrics.stringWidth(cellval, cellstyle.fontname, cellstyle.fontsize)
            x = colpos + colwidth - cellstyle.rightPadding - width
        y = rowpos + rowheight - cellstyle.topPadding - cellstyle.fontsize
        text.setTextOrigin(x, y)
        text.textOut(cellval)

    def _drawLines(self) -> None:
        text, self._batch = self._batch, None
        if text is not None:
            canvas = self.canv
            canvas.saveState()
            canvas.drawText(text)
            canvas.restoreState()
        super()._drawLines()
