"""``python -m amirtui`` is the same as the ``amirtui`` command."""

import sys

from .cli import main

sys.exit(main())
