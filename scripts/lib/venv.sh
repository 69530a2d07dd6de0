# Sourced by scripts/serve and scripts/test: make .venv (Python 3.11+) and install
# newsmark into it, with the extras named in $1 ("" or "test"). Re-installs only
# when pyproject.toml changes.
ensure_venv() {
  local extras="${1:-}" python="${PYTHON:-python3}"
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "newsmark needs Python 3.11 or newer as '$python' (set PYTHON=/path/to/python3.11)." >&2
    exit 1
  fi
  [[ -x .venv/bin/python ]] || "$python" -m venv .venv
  local stamp=".venv/.newsmark-installed-${extras:-base}"
  if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
    local spec="."
    [[ -n "$extras" ]] && spec=".[$extras]"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
    touch "$stamp"
  fi
}
