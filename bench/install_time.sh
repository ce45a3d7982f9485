#!/usr/bin/env bash
# How long a plain `pip install` (no extras) takes before and after moto[server] moved to the `demo`
# extra (issue 17): each revision is exported with `git archive` and installed into a fresh venv
# with pip's cache off, so both pay the same downloads. Prints both times, the ratio and the load.
#
#     bench/install_time.sh [BEFORE_REF [AFTER_REF]]
#
# BEFORE_REF defaults to the parent of the commit that added the `demo` extra; AFTER_REF to HEAD.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# Resolved now: the labels printed at the end name what was installed even if HEAD moves meanwhile.
after_ref=$(git rev-parse --short "${2:-HEAD}")
before_ref=$(git rev-parse --short "${1:-$(git log --format=%H -S'demo = [' -- pyproject.toml | tail -1)^}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

install_seconds() {  # ref label -> seconds for `pip install -q <tree>` into a new venv
    local tree="$work/$2-src" venv="$work/$2-venv"
    mkdir -p "$tree" && git archive "$1" | tar -x -C "$tree"
    python3 -m venv "$venv"
    local start end
    start=$(date +%s.%N)
    "$venv/bin/pip" install -q "$tree" >"$work/$2.log" 2>&1 || { cat "$work/$2.log" >&2; exit 1; }
    end=$(date +%s.%N)
    echo "$(python3 -c "print(f'{$end - $start:.1f}')") $("$venv/bin/pip" list 2>/dev/null | tail -n +3 | wc -l)"
}

echo "load before: $(uptime)"
read -r before before_packages < <(install_seconds "$before_ref" before)
read -r after after_packages < <(install_seconds "$after_ref" after)
echo "load after:  $(uptime)"
echo "before ($before_ref): ${before} s, ${before_packages} packages"
echo "after  ($after_ref): ${after} s, ${after_packages} packages"
python3 -c "print(f'ratio after/before: {$after / $before:.2f}')"
