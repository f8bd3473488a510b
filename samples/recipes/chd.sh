# shellcheck shell=bash
# CHD samples, sourced by make.sh (cwd samples/, `set -euo pipefail`, `discus` set), all written
# by discus. chdman prints the same SHA1 and Data SHA1 for each as for its own CHD of the source.
#
#   chd/data.chd    iso/data.iso as a CD CHD (one MODE1 track, cdlz/cdzl/cdfl)
#   chd/mixed.chd   cue/mixed: data, audio with a stored and a generated pregap, FLAGS, TITLE and
#                   INDEX 02 (kept in the DSCS entry chdman ignores)
#   chd/dvd.chd     iso/data.iso in the DVD layout (2048-byte units, 'DVD ' metadata)
rm -rf chd
mkdir -p chd
discus convert iso/data.iso chd/data.chd
discus convert cue/mixed/mixed.cue chd/mixed.chd
discus convert iso/data.iso chd/dvd.chd --sector-size 2048
