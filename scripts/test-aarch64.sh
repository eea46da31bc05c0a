#!/usr/bin/env bash
# The AArch64 lane: cross-builds the tests of the workspace's default members for
# aarch64-unknown-linux-gnu and runs them under qemu-user (`cargo test --release`, the spec suite
# under every calling convention included). `.ci/run` calls it after the x86-64 tests.
#
# Installs from Debian's packages whatever is missing: Debian's rustc (rustc-web) with its aarch64
# standard library, the aarch64 cross gcc (linker, and C compiler for build scripts) and
# qemu-user 8 or later. Extra arguments go to `cargo test`: `scripts/test-aarch64.sh -p kite-cli`.
#
# The build goes to target/aarch64-lane, apart from target/, so Debian's rustc does not invalidate
# the x86-64 build. Everything is set through the environment: normal builds are unaffected.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

export DEBIAN_FRONTEND=noninteractive
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# Major version of qemu-aarch64, empty if there is none.
qemu_major() {
  if command -v qemu-aarch64 >/dev/null; then
    qemu-aarch64 --version | sed -n 's/^qemu-aarch64 version \([0-9][0-9]*\)\..*/\1/p'
  fi
}

# rustup has no aarch64 standard library on this machine; Debian ships one for its own rustc.
missing=()
for package in rustc-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross; do
  installed "$package" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "aarch64 lane: installing ${missing[*]}"
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $sudo dpkg --add-architecture arm64
  fi
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# qemu 7 (Debian 12's) keeps about 50 MB of bookkeeping per 8 GiB reservation, never freed, and
# takes 0.2 s to make it: a linear memory reserves that much, so the spec suite grows qemu past
# 24 GiB and is OOM-killed. qemu 8 and later do neither; on Debian 12 it comes from backports.
major=$(qemu_major)
if [ -z "$major" ] || [ "$major" -lt 8 ]; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  suite=()
  if [ "$codename" = bookworm ]; then
    if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      /etc/apt/sources.list.d/*.sources; then
      echo "aarch64 lane: adding bookworm-backports for qemu-user"
      # The same mirror the machine's own Debian sources use, with the backports suite.
      mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
      [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
      if [ -z "$mirror" ]; then
        echo "aarch64 lane: cannot find the Debian mirror to add bookworm-backports from" >&2
        exit 1
      fi
      printf '%s\n' "Types: deb" "URIs: $mirror" "Suites: bookworm-backports" \
        "Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" |
        $sudo tee /etc/apt/sources.list.d/kite-bookworm-backports.sources >/dev/null
    fi
    suite=(-t bookworm-backports)
  fi
  echo "aarch64 lane: installing qemu-user"
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${suite[@]}" qemu-user
  major=$(qemu_major)
  if [ -z "$major" ] || [ "$major" -lt 8 ]; then
    echo "aarch64 lane: qemu-aarch64 8 or later needed, found: $(qemu-aarch64 --version | head -1)" >&2
    exit 1
  fi
fi

# Run under qemu without `-L /usr/aarch64-linux-gnu`: with it, the cross loader there reads the
# host's /etc/ld.so.cache and loads the multiarch libc6:arm64 (a dependency of the arm64 std, a
# different glibc build) from /lib/aarch64-linux-gnu, and the first pthread_create loops forever.
# Without it, loader and libc both come from libc6:arm64, a matching pair.
if [ ! -e /lib/ld-linux-aarch64.so.1 ]; then
  echo "aarch64 lane: /lib/ld-linux-aarch64.so.1 missing (package libc6:arm64)" >&2
  exit 1
fi
runner="qemu-aarch64"

export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
export CARGO_TARGET_DIR=target/aarch64-lane
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="$runner"
# Tests that start the `kite` binary run it through this (binfmt_misc may not know qemu).
export KITE_TEST_RUNNER="$runner"

echo "aarch64 lane: $("$RUSTC" --version), $(qemu-aarch64 --version | head -1)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --release --target aarch64-unknown-linux-gnu --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?
# The sum over every test binary, so a lane that built but ran nothing cannot pass unnoticed.
read -r passed failed < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' "$log")
echo "aarch64 tests took $((SECONDS - start)) s"
echo "aarch64: $passed passed, $failed failed"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "aarch64 lane: no test ran" >&2
  status=1
fi
exit "$status"
