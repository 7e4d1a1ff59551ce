"""The three lists (三张清单) as plain Python: columns, cells, targets, milestones, matching.

The importer in `app.services.lists` reads a workbook with openpyxl and the database with
SQLAlchemy; everything it decides about a cell's text lives here and is unit-tested
directly (tests/unit/test_lists_parsing.py). Problems come back as `Finding`s: a field, an
English msgid with its params and a level; the service translates them.
"""
