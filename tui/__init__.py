"""The Textual dashboard (`ogcli dashboard`)."""
