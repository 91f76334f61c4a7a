"""Screens of the app (one per task: review, help, dialogs; more as the core lands)."""
