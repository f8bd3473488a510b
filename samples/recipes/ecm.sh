# shellcheck shell=bash
# ECM samples, sourced by make.sh (cwd samples/, `set -euo pipefail`). Unlike the other samples
# they are made by the public `ecm` tool (Neill Corlett's Error Code Modeler 1.0), so the tests can
# check that discus's encoder writes the same bytes and its decoder reads them. Debian does not
# package the tool; build it from its published source (for example the code of the `ecm`
# repository of jonbirge on GitHub: `gcc -O2 -o ecm main.c ecm.c encode.c decode.c`) and put it on
# PATH as `ecm`. Without it, the committed files are kept as they are.
#
#   ecm/mixed.bin.ecm  cue/mixed-single/mixed.bin (Mode 1 data, then audio) through `ecm`
#   ecm/mixed.cue      that BIN's sheet, unchanged: it names mixed.bin, which is only there as .ecm
#   ecm/xa.bin.ecm     cue/xa/xa.bin (Mode 2 XA Form 1 sectors) through `ecm`
#   ecm/xa.cue         its sheet, unchanged

mkdir -p ecm
if command -v ecm >/dev/null 2>&1; then
  cp cue/mixed-single/mixed.cue ecm/mixed.cue
  cp cue/xa/xa.cue ecm/xa.cue
  ecm -o ecm/mixed.bin.ecm cue/mixed-single/mixed.bin 2>/dev/null
  ecm -o ecm/xa.bin.ecm cue/xa/xa.bin 2>/dev/null
fi
