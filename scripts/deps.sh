#!/usr/bin/env bash
# Installs what hvd needs to build, test and run its demo on Debian 12 (apt-get; sudo when
# not root). Installs only what is missing, so a second run costs a dpkg query.
set -euo pipefail
pkgs=(build-essential autoconf automake libtool pkg-config
      libevent-dev libjson-c-dev libsystemd-dev check liburcu-dev libseccomp-dev linux-libc-dev
      dbus dbus-daemon systemd spin clang libclang-rt-14-dev qemu-system-x86 python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
