# shellcheck shell=bash
# Compressed samples, sourced by make.sh (cwd samples/, `set -euo pipefail`, `discus` set), all
# written by discus from iso/data.iso. The bytes do not depend on the thread count.
#
#   cso/data.cso      CSO v1, 2 KiB blocks, zlib level 9 (the PSP-safe default)
#   cso/data-v2.cso   CSO v2: deflate or LZ4 per block
#   cso/data.zso      ZSO, LZ4 HC
#   cso/data-opl.zso  ZSO as the ps2-opl preset writes it for Open PS2 Loader
#   cso/data.dax      DAX, 8 KiB zlib frames
rm -rf cso
mkdir -p cso
discus convert iso/data.iso cso/data.cso
discus convert iso/data.iso cso/data-v2.cso --cso-version 2
discus convert iso/data.iso cso/data.zso
discus convert iso/data.iso cso/data-opl.zso --target ps2-opl
discus convert iso/data.iso cso/data.dax
