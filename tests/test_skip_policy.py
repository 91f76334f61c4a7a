"""The suite's skip policy (issue 14, item 1): a test skips only for a reason the user fixes in one line, and the
reason says that line; under ``CI=true`` a missing MariaDB fails instead of skipping (a green CI ran those tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MYSQL_TEST = "tests/test_harness.py::test_mysql_db_is_a_fresh_database_answering_pymysql"


def _pytest(env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("AMIRTUI_TEST_MYSQL_URL", "CI")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rsf", MYSQL_TEST],
                          capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)


def test_without_mariadb_a_developer_gets_a_skip_that_names_the_one_command():
    res = _pytest({})
    assert res.returncode == 0 and "1 skipped" in res.stdout, res.stdout
    assert "run ./scripts/test.sh, which starts MariaDB and sets AMIRTUI_TEST_MYSQL_URL" in res.stdout


def test_under_ci_a_missing_mariadb_is_a_failure_not_a_skip():
    res = _pytest({"CI": "true"})
    assert res.returncode == 1 and ("1 error" in res.stdout or "1 failed" in res.stdout), res.stdout
    assert "skipped" not in res.stdout.splitlines()[-1]
    assert "CI=true but AMIRTUI_TEST_MYSQL_URL is not set" in res.stdout
