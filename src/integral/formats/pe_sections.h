// Adding sections to a PE image the way systemd's ukify (257) builds a UKI from systemd-stub:
// each new section after the last one, at the next SectionAlignment boundary in memory and the
// next FileAlignment boundary in the file; a section the stub already has (.sbat) is rewritten
// in place. The same inputs give the same bytes as ukify, so a UKI made here can be compared
// with one made by ukify with `cmp`.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "integral/util/bytes.h"

namespace integral {

struct PeNewSection {
  std::string name;  // ".linux": at most 8 printable ASCII characters
  Bytes data;
};

// `stub` with `sections` added, in order. As ukify does: a COFF symbol table at the end of the
// file is dropped (its pointer and count zeroed, Characteristics kept); unaligned raw data of the
// stub's sections is padded to FileAlignment; SizeOfHeaders is rounded up to FileAlignment; .linux
// is code (and the image loses NX_COMPAT when the kernel's PE lacks it), every other section
// initialized data; CheckSum is zeroed and SizeOfImage recomputed. Errors (kBadInput, naming `file`
// and the offset): a signed stub, no room for another section header, a bad section name, a
// replacement larger than the stub's section.
Bytes pe_add_sections(std::span<const uint8_t> stub, const std::string& file,
                      std::span<const PeNewSection> sections);

}  // namespace integral
