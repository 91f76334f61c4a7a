"""Architecture guards: the core imports no Textual, and start-up imports no torch/pyiqa/Textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import amirtui.core

CORE_DIR = Path(amirtui.core.__file__).parent


def test_every_core_module_imports_with_textual_made_unimportable():
    modules = sorted(m.name for m in pkgutil.walk_packages([str(CORE_DIR)], prefix="amirtui.core."))
    assert len(modules) > 5
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('textual', 'textual_image'):\n"
        "            raise ImportError('textual is forbidden in the core: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import importlib\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_help_imports_no_heavy_modules():
    code = (
        "import sys, runpy\n"
        "sys.argv = ['amirtui', '--help']\n"
        "try:\n"
        "    runpy.run_module('amirtui', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('torch', 'pyiqa', 'textual', 'paramiko', 'pymysql') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in proc.stderr, proc.stderr[-2000:]
    assert "import" in proc.stdout and "publish" in proc.stdout  # subcommands are listed
