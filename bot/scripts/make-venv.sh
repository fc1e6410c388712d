#!/usr/bin/env bash
# Create or update one virtualenv from a lock file; used by `make setup`, safe to re-run.
#   make-venv.sh main|main-dev|rasa VENV_DIR LOCK_FILE
# main: the runtime lock into a new or existing venv; main-dev: the development lock on top of
# it. Both main lock files pin every package with its hashes, so pip installs exactly those
# files (--require-hashes) or stops. Rasa's lock (its own venv) pins versions only.
set -euo pipefail
kind=$1 venv=$2 lock=$3

find_python() {
  local want=$1 candidate
  for candidate in "python$want" "$(command -v pyenv >/dev/null 2>&1 && ls -d "$(pyenv root)"/versions/"$want".*/bin/python"$want" 2>/dev/null | sort -V | tail -n 1)"; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import sys; sys.exit(0 if sys.version_info[:2] == tuple(map(int, '$want'.split('.'))) else 1)" 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

case "$kind" in
  rasa)
    if ! python=$(find_python 3.10); then
      cat >&2 <<'MSG'
错误：找不到 Python 3.10（Rasa 3.6 只支持 Python 3.10 及以下）。
请任选一种方式安装后重新运行 make setup：
  pyenv install 3.10.13            （已装 pyenv 时）
  apt-get install python3.10 python3.10-venv   （发行版提供时）
Error: Python 3.10 not found (Rasa 3.6 needs Python < 3.11). Install it as above, then re-run make setup.
MSG
      exit 1
    fi ;;
  main|main-dev)
    python=""
    for candidate in python3 python3.13 python3.12 python3.11; do
      if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
        python=$(command -v "$candidate"); break
      fi
    done
    if [ -z "$python" ]; then
      echo "错误：需要 Python 3.11 或更新版本（python3）。Error: Python 3.11+ is required." >&2
      exit 1
    fi ;;
  *) echo "usage: $0 main|main-dev|rasa VENV LOCK" >&2; exit 2 ;;
esac

if [ ! -x "$venv/bin/python" ]; then
  echo "创建虚拟环境 $venv（$("$python" --version)）"
  "$python" -m venv "$venv"
fi
if [ "$kind" = main-dev ] && [ ! -f "$venv/.installed" ]; then
  echo "错误：$venv 还没有安装运行依赖（先运行 make setup-runtime）。" >&2
  exit 1
fi
echo "安装依赖到 $venv（$lock）……"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
hashes=()
[ "$kind" = rasa ] || hashes=(--require-hashes)
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check ${hashes[@]+"${hashes[@]}"} -r "$lock"
stock="$(dirname "$lock")/rasa-stock.txt"
if [ "$kind" = rasa ] && [ -f "$stock" ]; then
  # Stock versions for the raw-Rasa baseline of `make bench` (never on Rasa's own path).
  rm -rf "$venv/stock"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --target "$venv/stock" -r "$stock"
fi
stamp="$venv/.installed"
[ "$kind" = main-dev ] && stamp="$venv/.installed-dev"
touch "$stamp"
echo "$venv 就绪。"
