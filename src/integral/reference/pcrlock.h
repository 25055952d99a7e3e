// systemd-pcrlock's components (`.pcrlock`, systemd 255 and later) from a prediction: each file
// lists records, a PCR and its digest in every bank, in the order they are extended:
//
//   {"records":[{"pcr":4,"digests":[{"hashAlg":"sha1","digest":"hex"},...]},...]}
//
// (the short JSON and the newline pcrlock's own lock-* commands write). One component per run
// of consecutive events from one stage's artifact: the UKI's Authenticode digest (PCR 4), its
// sections (PCR 11), the kernel's command line and initrd (PCR 9), the command line systemd-stub
// measures (PCR 12), a root image measured by the initramfs. Components are named
// NNN-integral-K-LABEL.pcrlock, NNN ascending from `first` in the prediction's order, so
// pcrlock applies them in the order the boot extends them. pcrlock matches the components it
// sorts before its location (760 by default) against the running boot's log and predicts the
// ones after it: 100 suits a prediction of a whole boot, 800 a prediction from reset values.
#pragma once

#include <string>
#include <vector>

#include "integral/predict/prediction.h"

namespace integral {

struct PcrlockComponent {
  std::string name;  // file name, ending in .pcrlock
  std::string text;  // the JSON and a newline
  size_t records = 0;
};

// Events on PCRs above 15 (pcrlock's range) and events that set a value rather than extend
// it are left out and counted in `skipped`.
// Error(kUsage) when the numbers would pass 999.
std::vector<PcrlockComponent> pcrlock_components(const Prediction& p, size_t& skipped,
                                                 unsigned first = 100);

}  // namespace integral
