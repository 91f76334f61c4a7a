"""Reusable widgets: image preview, review table, editor panel."""
