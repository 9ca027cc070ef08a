"""Rendering for people and for machines: tables, JSON shapes, terminal hygiene."""
