#!/usr/bin/env bash
# The whole test suite, set-up included: works on a fresh Debian/Ubuntu machine.
#   bash tests/run.sh [pytest arguments]
# As root it installs what the network lab needs (iproute2, nftables, dnsmasq,
# ping) when missing; then it makes .venv, installs tracetui with its test
# extras, checks lint, formatting and types (mypy), and runs pytest (four workers,
# pytest-xdist).
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A package=(
  [ip]=iproute2 [nft]=nftables [dnsmasq]=dnsmasq-base [ping]=iputils-ping
  [setpriv]=util-linux [tmux]=tmux [mtr]=mtr-tiny [sudo]=sudo [pipx]=pipx [tcpdump]=tcpdump
  [prometheus]=prometheus [promtool]=prometheus [groff]=groff-base [systemd-analyze]=systemd
  [openssl]=openssl [scamper]=scamper [dot]=graphviz [chromium]=chromium [unshare]=util-linux
)
missing=()
for tool in "${!package[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package[$tool]}")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "note: missing ${missing[*]}; the lab tests will skip (or fail with CI=true)"
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# a regular install, as users get it (an editable one adds an import hook to every start)
.venv/bin/python -m pip install -q --disable-pip-version-check -c tests/constraints.txt '.[test]'
.venv/bin/ruff check tracetui tests screenshots bench
.venv/bin/ruff format --check tracetui tests screenshots bench
.venv/bin/mypy
# Four workers, a file each at a time: most lab tests wait on real time (rounds, timeouts),
# so four overlap well on two cores; a file keeps its lab (built once per worker).
exec .venv/bin/python -m pytest -q -n 4 --dist loadfile "$@"
