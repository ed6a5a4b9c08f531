#!/usr/bin/env bash
# Writes the three scenario files of Kirschner et al.'s steppe study from the published ms commands
# (ms_commands.txt: name, command, priors; tab-separated). Run from this folder.
set -euo pipefail
python="${PYTHON:-python}"
while IFS=$'\t' read -r name command priors; do
  "$python" -m genomics scenario from-ms "$command" --priors "$priors" --name "$name" \
    --populations extrazonal,zonal --out "$name.toml"
done < ms_commands.txt
