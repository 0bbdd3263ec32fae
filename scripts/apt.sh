# Sourced by scripts/test.sh and scripts/postgres.sh: install Debian packages that a test or a
# server needs when they are missing and we may (as root, or with sudo that asks no password).
# Messages go to stderr: postgres.sh's stdout is read by `eval`.

# Run a command as root: directly when we are root, else through password-less sudo; status 1
# when neither is possible.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 1
  fi
}

# apt_install LABEL PACKAGE...: apt-get install, quiet, its log kept under TMPDIR and its tail
# shown when it fails (status 1: no apt-get, not allowed, or apt failed).
apt_install() {
  local label="$1"
  shift
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "no apt-get to install $*" >&2
    return 1
  fi
  echo "installing $* with apt-get (about a minute)" >&2
  local apt_log="${TMPDIR:-/tmp}/segmart-apt-$label.log"
  if ! { as_root apt-get update -qq \
         && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } \
         >"$apt_log" 2>&1; then
    tail -n 20 "$apt_log" >&2 || true
    echo "could not install $* (not root and no password-less sudo, or apt failed; log:" \
      "$apt_log)" >&2
    return 1
  fi
}
