#!/usr/bin/env bash
# Install the Debian packages the integration tests use: a real MQTT broker
# (mosquitto + mosquitto-clients, openssl for its TLS test certificates) and a
# real browser (chromium) for the UI test.
# Under CI (CI=true) a failure here fails the run; elsewhere the tests that
# need a missing tool skip with a reason, so this is optional for users.
set -euo pipefail
need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -eq 0 ]; then
  echo "system-deps: mosquitto, mosquitto-clients, openssl and chromium are present"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${need[*]}; install them with your package manager (needs root + apt-get here)" >&2
  exit 1
fi
echo "system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
echo "system-deps: installed ${need[*]}"
