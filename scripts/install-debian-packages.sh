#!/usr/bin/env bash
# Install the Debian packages the platform needs. As root it installs what is missing;
# otherwise it prints the exact command to run (and exits 0, so that `make run` goes on:
# the survey itself needs none of these).
set -euo pipefail

packages=(
  chromium            # browser tests and chart export (never a downloaded browser)
  fonts-dejavu-core   # fonts for PDF reports
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0  # WeasyPrint
  poppler-utils       # pdftotext/pdftoppm: tests read the PDFs they make
  r-base-core r-cran-haven  # tests read the SPSS export with R, as university analysts do
)
# Debian's own python3 needs python3-venv for `python3 -m venv`.
python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)

if ! command -v dpkg-query >/dev/null; then
  echo "Not a Debian system: please install ${packages[*]} with your package manager." >&2
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
((${#missing[@]})) || exit 0

if [[ $(id -u) -eq 0 ]]; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages: ${missing[*]}. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
fi
