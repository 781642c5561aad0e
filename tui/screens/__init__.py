"""The dashboard's panes (one per tab) and its dialogs; each pane formats a Snapshot, nothing more."""
