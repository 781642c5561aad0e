"""Keeps a DataTable in step with a list of rows without rebuilding it: a refresh that changes a
few numbers touches only those cells, so a 1,000-row table refreshes in a few milliseconds."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

Row = tuple[str, tuple]  # (row key, cells)


def sync_rows(table: DataTable, rows: list[Row]) -> None:
    """Shows `rows` in order. The same keys in the same order: only cells that changed are
    updated. Otherwise (a new sort, a filter, validators joining) the table is rebuilt once; the
    cursor stays on the row it was on when that row is still there."""
    keys = [key for key, _cells in rows]
    shown = getattr(table, "_ogcli_shown", None)
    if shown is not None and [key for key, _ in shown] == keys:
        columns = list(table.columns)
        for (key, old), (_key, new) in zip(shown, rows):
            if old != new:
                for column, before, after in zip(columns, old, new):
                    if before != after:
                        table.update_cell(key, column, _plain(after))
    else:
        selected = selected_key(table)
        table.clear()
        for key, cells in rows:
            table.add_row(*(_plain(cell) for cell in cells), key=key)
        if selected in keys:
            table.move_cursor(row=keys.index(selected), animate=False)
    table._ogcli_shown = rows


def selected_key(table: DataTable) -> str | None:
    """The key of the row under the cursor, or None for an empty table."""
    if table.row_count == 0:
        return None
    from textual.widgets.data_table import CellDoesNotExist

    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except CellDoesNotExist:
        return None


def _plain(cell):
    """A string cell as plain text: DataTable would parse it as markup, and names, titles and
    labels come from the chain (a model named "x[/b]" must show as such, not crash the app)."""
    return Text(cell) if isinstance(cell, str) else cell
