"""Duban's domain rules in plain Python: workflow, access, RAG, calendar, periods, reminders."""
