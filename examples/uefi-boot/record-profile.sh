#!/usr/bin/env bash
# Writes the platform profile: the events in PCRs 0-3 that only the platform knows (firmware
# version and volumes, boot variables), as `digest` stages, copied from a reference boot's event
# log as decoded by tpm2_eventlog. Separators are left out: stage uefi-app predicts them.
# usage: record-profile.sh EVENTLOG.bin "LABEL" > profile.toml
set -euo pipefail
log=${1:?usage: $0 EVENTLOG.bin LABEL}
label=${2:?usage: $0 EVENTLOG.bin LABEL}
echo "# Platform profile: $label."
echo "# Recorded with record-profile.sh from the event log of a reference boot (tpm2_eventlog);"
echo "# these digests are copied, not computed from artifacts."
tpm2_eventlog "$log" | awk -v label="$label" '
  function flush() {
    if (pcr != "" && pcr <= 3 && type != "EV_SEPARATOR" && type != "EV_NO_ACTION") {
      printf "\n[[stage]]\ntype = \"digest\"\npcr = %d\nevent_type = \"%s\"\n", pcr, type
      printf "description = \"profile: %s\"\nartifact = \"profile: %s\"\n", type, label
      for (i = 0; i < n; i++) printf "%s = \"%s\"\n", algs[i], digs[i]
    }
    pcr = ""; type = ""; n = 0
  }
  /^- EventNum:/ || /^pcrs:/ { flush() }
  /^  PCRIndex:/ { pcr = $2 + 0 }
  /^  EventType:/ { type = $2 }
  /AlgorithmId:/ { alg = $3 }
  /^    Digest:/ { d = $2; gsub(/"/, "", d); algs[n] = alg; digs[n] = d; n++ }
  END { flush() }'
