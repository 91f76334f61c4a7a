"""The core: pipeline, database, publishing and captioning logic. Imports no Textual (a test enforces it)."""
