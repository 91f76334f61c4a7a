#!/usr/bin/env bash
# Install (first time) and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$("$root/scripts/ensure_venv.sh")
cd "$root"

# Tools the tests use as independent readers / real terminals.
if ! command -v exiftool >/dev/null 2>&1 || ! command -v tmux >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq libimage-exiftool-perl tmux) >/dev/null 2>&1 || \
      echo "amirtui: could not install exiftool/tmux; the tests needing them will skip" >&2
  fi
fi

# A real MariaDB for the catalog tests: start it when its socket is absent, create a test user over the socket.
if [ -z "${AMIRTUI_TEST_MYSQL_URL:-}" ] && [ -x /usr/sbin/mariadbd ] && [ "$(id -u)" = 0 ]; then
  if [ ! -S /run/mysqld/mysqld.sock ]; then
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
    for _ in $(seq 1 100); do [ -S /run/mysqld/mysqld.sock ] && break; sleep 0.1; done
  fi
  if mysql -uroot -e "CREATE USER IF NOT EXISTS 'amirtui_test'@'127.0.0.1' IDENTIFIED BY 'amirtui_test';
      CREATE USER IF NOT EXISTS 'amirtui_test'@'localhost' IDENTIFIED BY 'amirtui_test';
      GRANT ALL PRIVILEGES ON *.* TO 'amirtui_test'@'127.0.0.1';
      GRANT ALL PRIVILEGES ON *.* TO 'amirtui_test'@'localhost'; FLUSH PRIVILEGES;" 2>/dev/null; then
    export AMIRTUI_TEST_MYSQL_URL="mysql://amirtui_test:amirtui_test@127.0.0.1:3306/"
  else
    echo "amirtui: MariaDB not reachable over its socket; MySQL tests will skip" >&2
  fi
fi

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
set +e
"$venv/bin/python" -m pytest -p no:cacheprovider "$@"
rc=$?
set -e
[ "$rc" = 5 ] && { echo "amirtui: pytest collected no tests" >&2; exit 1; }
exit "$rc"
