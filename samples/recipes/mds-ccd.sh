# shellcheck shell=bash
# MDS/MDF and CloneCD samples, sourced by make.sh (cwd samples/, `set -euo pipefail`, `discus`
# set). Every file is written by discus's own writers from samples committed before it, so the
# samples show what discus writes; the cue samples are used when cue.sh has made them.
#
#   mds/data.mds + .mdf                    iso/data.iso as MDS v1: raw 2352-byte Mode 1 sectors
#   ccd/data.ccd + .img + .sub             iso/data.iso as CloneCD; the subchannel is generated
#                                          (P and Q from the layout) and [Disc] says so
#   mds/mixed.*, ccd/mixed.*               cue/mixed: Mode 1 data, audio with a stored pregap,
#                                          audio with a generated pregap (not in the MDF; written
#                                          to the IMG and marked DiscusPregap=generated)
#   mds/multisession.*, ccd/multisession.* cue/multisession: audio in session 1, data in session 2
#   mds/xa.*, ccd/xa.*                     cue/xa: Mode 2 XA Form 1 and Form 2 sectors
#   mds/subchannel.mds + .mdf              ccd/data.ccd as MDS with 2448-byte sectors: the .sub,
#                                          interleaved after each sector (subchannel mode 0x08)

rm -rf mds ccd
mkdir -p mds ccd
discus convert iso/data.iso mds/data.mds --force
discus convert iso/data.iso ccd/data.ccd --force
for sample in mixed multisession xa; do
  if [ -f "cue/$sample/$sample.cue" ]; then
    discus convert "cue/$sample/$sample.cue" "mds/$sample.mds" --force
    discus convert "cue/$sample/$sample.cue" "ccd/$sample.ccd" --force
  fi
done
discus convert ccd/data.ccd mds/subchannel.mds --sector-size 2448 --force
