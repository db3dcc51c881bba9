"""Importing a question file into the bank, in three steps (docs/importing.md).

Reading (`parse_import`) detects the format and reads Markdown, CSV, JSON or a seed
format into an `ImportDocument`; it touches no database and reports every problem as a
located `ParseError`. Planning (`plan_import`) compares the document with the bank and
writes nothing. Writing (`write_plan`, inside `run_import` and `confirm_import`) adds
the plan to the bank in one short transaction. One module per format reads it;
detection.py tells what a file is, duplicates.py finds its questions in the bank, and
records.py keeps an upload until it is confirmed.
"""

from questions.importing.csv import CSV_COLUMNS
from questions.importing.detection import decode_text, detect_format
from questions.importing.document import FORMATS, ImportDocument, ImportItem, ParseError
from questions.importing.notebook import parse_notebook
from questions.importing.numbered import parse_numbered
from questions.importing.planning import ImportPlan, plan_import
from questions.importing.reading import parse_import
from questions.importing.records import confirm_import, preview_import, store_upload
from questions.importing.writing import ImportRefused, ImportReport, count, run_import, write_plan

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "ImportDocument",
    "ImportItem",
    "ImportPlan",
    "ImportRefused",
    "ImportReport",
    "ParseError",
    "confirm_import",
    "count",
    "decode_text",
    "detect_format",
    "parse_import",
    "parse_notebook",
    "parse_numbered",
    "plan_import",
    "preview_import",
    "run_import",
    "store_upload",
    "write_plan",
]
