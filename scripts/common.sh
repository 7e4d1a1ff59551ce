# Shared by scripts/run and scripts/test: system packages, the virtualenv, translations.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

log() { printf '\033[1;34m[duban]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[duban] %s\033[0m\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "需要 root 权限安装系统软件包（$*）：请以 root 运行或安装 sudo"; fi
}

# Install the Debian/Ubuntu packages that are missing (dpkg knows what is installed).
ensure_apt_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "缺少系统软件包：${missing[*]}（此机器没有 apt-get，请手动安装）"
  log "安装系统软件包：${missing[*]}"
  as_root apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

find_python() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "$candidate"; return 0
    fi
  done
  die "需要 Python 3.11 或更高版本"
}

# WeasyPrint needs Pango; harfbuzz-subset keeps Chinese PDFs fast; fonts cover GB2312.
# texlive-lang-chinese brings FandolFang (仿宋), the only free GB2312-complete 仿宋 face in Debian.
RUNTIME_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-noto-cjk-extra texlive-lang-chinese)

ensure_venv() {
  local extras="$1" python stamp
  python="$(find_python)"
  if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
    ensure_apt_packages python3-venv
  fi
  [ -x "$PY" ] || "$python" -m venv "$VENV"
  stamp="$VENV/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)-$extras"
  if [ ! -f "$stamp" ]; then
    log "安装 Python 依赖（首次需要几分钟）"
    "$PY" -m pip install -q --upgrade pip
    if [ -n "$extras" ]; then "$PY" -m pip install -q -e "$ROOT[$extras]"; else "$PY" -m pip install -q -e "$ROOT"; fi
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
  # The catalogue is source; its compiled .mo is build output, made here.
  "$VENV/bin/pybabel" compile -d "$ROOT/app/translations" -D messages >/dev/null
}

# supervise NAME LOG COMMAND…: run COMMAND, and start it again whenever it exits (a worker or
# beat killed, or dead for any reason), after a pause that grows to 30 s while it keeps dying
# quickly. Stopping scripts/run (Ctrl+C) ends the loop and its child.
supervise() {
  local name="$1" logfile="$2"; shift 2
  (
    child=""
    trap '[ -n "$child" ] && kill "$child" 2>/dev/null; wait; exit 0' INT TERM
    pause=1
    while true; do
      started=$(date +%s)
      "$@" >>"$logfile" 2>&1 & child=$!
      wait "$child" && status=0 || status=$?
      if [ $(( $(date +%s) - started )) -ge 60 ]; then pause=1; fi
      echo "[duban] $(date -u +%FT%TZ) $name exited (status $status); restarting in ${pause}s" >>"$logfile"
      sleep "$pause"
      pause=$(( pause * 2 > 30 ? 30 : pause * 2 ))
    done
  ) & pids+=($!)
}
