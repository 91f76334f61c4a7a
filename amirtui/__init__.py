"""amirtui: photo sets → reviewed, captioned, published website catalog (terminal app)."""

__version__ = "0.1.0"
