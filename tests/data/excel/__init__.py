"""Workbook generators for the list-import tests: messy sheets built with openpyxl, no binaries."""
