"""The Textual shell: screens compose widgets, widgets render state, handlers call core functions in workers.

Build the app with :func:`amirtui.tui.app.make_app`. Nothing in :mod:`amirtui.core` imports this package.
"""
