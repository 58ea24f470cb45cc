# Shared by python/check-aarch64.sh and python/check-musl.sh (sourced, not run): finding a
# wheel of build-wheels.sh, unpacking it into a site-packages directory of its own, a private
# apt state for Debian packages of another architecture or Debian sources (the machine's apt
# configuration is not changed), and the test dependencies for an interpreter without pip.

# The one wheel of WHEELDIR whose platform tag matches GLOB (a wheel's name may carry two
# platform tags, e.g. manylinux2014_x86_64.manylinux_2_17_x86_64).
one_wheel() { # wheeldir glob
  local found
  found=$(ls "$1"/sigv4_rs-*-$2.whl "$1"/sigv4_rs-*-$2.*.whl 2>/dev/null || true)
  [ "$(echo "$found" | grep -c .)" = 1 ] \
    || { echo "error: want one $2 wheel in $1, found: ${found:-none}" >&2; return 1; }
  echo "$found"
}

# A wheel unpacked into DIR, a site-packages directory of its own (the tests refuse a sigv4
# that is not under a site-packages directory: conftest.py, SIGV4_TEST_INSTALLED).
unpack() { # wheel dir
  rm -rf "$2" && mkdir -p "$2"
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
}

# apt-get options for a private apt state in DIR: the machine's Debian sources (or Debian's
# SUITE, e.g. trixie), for packages of ARCH (amd64, arm64) and TYPES (deb, or deb-src for
# source packages). Updated once.
apt_private() { # dir arch types [suite]
  local dir=$1
  local opts=(-o "Dir::Etc=$dir/etc" -o Dir::Etc::SourceList=/dev/null
    -o "Dir::Etc::SourceParts=$dir/etc/sources.list.d" -o "Dir::State=$dir/state"
    -o "Dir::State::status=$dir/state/status" -o "Dir::Cache=$dir/cache"
    -o "APT::Architecture=$2" -o "APT::Architectures=$2" -o APT::Sandbox::User=root
    -o Dir::Etc::trusted=/etc/apt/trusted.gpg -o Dir::Etc::trustedparts=/etc/apt/trusted.gpg.d)
  if [ ! -f "$dir/state/.updated" ]; then
    rm -rf "$dir"
    mkdir -p "$dir/etc/sources.list.d" "$dir/etc/preferences.d" "$dir/state/lists/partial" \
      "$dir/cache/archives/partial"
    touch "$dir/state/status"
    if [ -n "${4:-}" ]; then
      printf 'Types: %s\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$3" "$4" >"$dir/etc/sources.list.d/debian.sources"
    else
      sed "s/^Types: deb\$/Types: $3/" /etc/apt/sources.list.d/debian.sources \
        >"$dir/etc/sources.list.d/debian.sources"
    fi
    apt-get "${opts[@]}" -q update >/dev/null
    touch "$dir/state/.updated"
  fi
  echo "${opts[@]}"
}

# Debian packages of ARCH (with their dependencies) unpacked into ROOT, a sysroot for
# qemu-user -L (nothing is installed on the machine).
debian_sysroot() { # apt-dir arch root suite|"" package...
  local apt=$1 arch=$2 root=$3 suite=$4
  shift 4
  # shellcheck disable=SC2046
  apt-get $(apt_private "$apt" "$arch" deb "$suite") -q -y -d --no-install-recommends install "$@" >/dev/null
  rm -rf "$root" && mkdir -p "$root"
  for deb in "$apt"/cache/archives/*.deb; do dpkg-deb -x "$deb" "$root"; done
}

# The Python suite's and the peer suites' dependencies for CPython 3.11 on PLATFORM (a pip
# platform tag), into DIR for PYTHONPATH: binary wheels only, fetched by this machine's pip.
TEST_DEPS=(pytest botocore requests httpx aiohttp "pytest-httpserver>=1.0")
test_deps() { # dir platform
  [ "$(cat "$1/.done" 2>/dev/null)" = "$2 ${TEST_DEPS[*]}" ] && return
  echo "== test dependencies for CPython 3.11 $2 into $1"
  rm -rf "$1"
  python3 -m pip install -q --target "$1" --platform "$2" --implementation cp \
    --python-version 3.11 --only-binary=:all: "${TEST_DEPS[@]}"
  echo "$2 ${TEST_DEPS[*]}" >"$1/.done"
}

# Fails unless PY (with `packaging` on its PYTHONPATH) accepts WHEEL's tags, as pip would
# decide on that interpreter (its glibc or musl version, architecture, CPython ABI).
# packaging learns the musl version by running the ELF interpreter of sys.executable; where
# that cannot run (a qemu-user wrapper script as sys.executable, no binfmt_misc),
# SIGV4_MUSL_LOADER is the command that runs that loader, whose output packaging parses.
installable() { # py wheel
  "$1" -c 'import os, subprocess, sys
from packaging import _musllinux
from packaging.tags import parse_tag, sys_tags
if os.environ.get("SIGV4_MUSL_LOADER"):
    out = subprocess.run(os.environ["SIGV4_MUSL_LOADER"].split(), stderr=subprocess.PIPE, text=True).stderr
    version = _musllinux._parse_musl_version(out)
    assert version, out
    _musllinux._get_musl_version = lambda executable: version
wheel = sys.argv[1]
tags = set(parse_tag("-".join(wheel[: -len(".whl")].split("-")[-3:])))
match = [str(t) for t in sys_tags() if t in tags]
assert match, f"this interpreter does not accept {wheel}"
print(f"pip on this interpreter accepts {wheel} (as {match[0]})")' "$(basename "$2")"
}
