# Shared by scripts/test and scripts/demo: install what is missing, build.
# shellcheck shell=bash

# Debian 12 packages the build, the tests and the demo need.
MEDIAPEER_PACKAGES=(
  g++ meson ninja-build pkg-config python3
  libglib2.0-dev libjson-glib-dev libsoup-3.0-dev glib-networking
  libgtest-dev libgmock-dev universal-ctags
  openssl libjwt-dev curl
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev libnice-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-nice gstreamer1.0-tools gstreamer1.0-plugins-base-apps
  coturn python3-aiortc python3-websockets
  libhiredis-dev redis-server
  chromium firefox-esr nodejs
)

# The fuzz targets (scripts/fuzz) and the sanitizer run (scripts/test --sanitize).
MEDIAPEER_CLANG_PACKAGES=(clang libfuzzer-14-dev libclang-rt-14-dev)

ensure_packages() {
  ensure_debian_packages "${MEDIAPEER_PACKAGES[@]}"
  quiet_redis_service
}

ensure_debian_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "mediapeer needs these Debian packages; install them as root with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

# Debian's redis-server package starts its own service on port 6379; the
# tests start their own redis-server on free loopback ports and want none
# left running. Stopped and disabled as root: with systemctl where systemd
# runs, else with the init script (a container without systemd, whose
# policy-rc.d may not have kept it from starting).
quiet_redis_service() {
  [ "$(id -u)" -eq 0 ] || return 0
  if [ -d /run/systemd/system ]; then
    if systemctl is-enabled --quiet redis-server 2>/dev/null || systemctl is-active --quiet redis-server 2>/dev/null; then
      systemctl disable --now redis-server >/dev/null 2>&1 ||
        echo "could not stop redis-server's service: systemctl disable --now redis-server" >&2
    fi
  elif [ -x /etc/init.d/redis-server ] && /etc/init.d/redis-server status >/dev/null 2>&1; then
    /etc/init.d/redis-server stop >/dev/null 2>&1 || echo "could not stop redis-server: /etc/init.d/redis-server stop" >&2
    update-rc.d redis-server disable >/dev/null 2>&1 || true
  fi
}

build() {
  if [ ! -f build/build.ninja ]; then
    meson setup build --buildtype=debugoptimized -Dwerror=true
  fi
  ninja -C build
}

# The e2e tests' npm packages (tests/e2e/package-lock.json), installed when
# missing or older than the lock file. npm comes with nodesource's nodejs;
# with Debian's nodejs it is Debian's `npm` package (installed when missing:
# never alongside nodesource's nodejs, which it conflicts with).
ensure_e2e_packages() {
  if ! command -v npm >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "the e2e tests need npm; with Debian's nodejs, install it as root with:" >&2
      echo "  sudo apt-get install -y npm" >&2
      exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm
  fi
  local lock=tests/e2e/package-lock.json installed=tests/e2e/node_modules/.package-lock.json
  [ -f "$installed" ] && [ ! "$lock" -nt "$installed" ] && return 0
  (cd tests/e2e && npm ci --no-audit --no-fund)
}
