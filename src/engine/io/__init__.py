"""Formats: the spreadsheet reader, the calendar file, the activity report."""
