# shellcheck shell=bash
# NRG samples, sourced by make.sh (cwd samples/, `set -euo pipefail`, `discus` set). Both are
# written by discus's NRG writer, so they show what discus writes:
#
#   nrg/data.nrg   iso/data.iso as a disc-at-once NRG v2: 150 sectors of pregap, then the ISO's
#                  2048-byte sectors (mode code 0x00), as Nero writes data discs
#   nrg/mixed.nrg  the mixed-mode cue sample: Mode 1 data (0x00), then audio tracks (0x07) with
#                  their pregaps stored, and CD-TEXT made from the sheet's titles. The sheet's
#                  INDEX 02 has no place in an NRG cue chunk, so it is converted with --allow-lossy.

mkdir -p nrg
discus convert iso/data.iso nrg/data.nrg --force
if [ -f cue/mixed/mixed.cue ]; then
  discus convert cue/mixed/mixed.cue nrg/mixed.nrg --force --allow-lossy
elif [ -f cue/mixed.cue ]; then
  discus convert cue/mixed.cue nrg/mixed.nrg --force --allow-lossy
fi
