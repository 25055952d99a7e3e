// Unified Kernel Images assembled as systemd's ukify (257) assembles them, with the signed PCR
// policy of their own PCR 11 inside: systemd-stub plus, in ukify's order, .osrel, .cmdline,
// .dtb, .uname, .splash, .pcrpkey, .linux, .initrd, .ucode, the merged .sbat, and .pcrsig
// last. The same inputs and keys give a file `cmp`-equal to `ukify build`'s.
//
// .pcrsig (systemd-measure sign for each key, merged as ukify merges them) is computed from
// integral's prediction of the assembled image's PCR 11: systemd-stub measures every section
// above but .pcrsig (and .sbat before 254), so the signature covers the very image it is in.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "integral/crypto/signing_key.h"
#include "integral/formats/pe_sections.h"
#include "integral/util/bytes.h"

namespace integral {

struct UkiSigner {
  SigningKey key;
  std::vector<std::string> phases;  // systemd-measure --phase paths; empty: its defaults
};

struct UkiInputs {
  Bytes stub;
  std::string stub_name;  // for errors
  // Section contents; absent ones are left out.
  std::optional<Bytes> osrel, cmdline, dtb, uname, splash, pcrpkey, linux, initrd, ucode;
  // More sections, after the others and before .sbat, as ukify's --section (a .pcrsig signed
  // elsewhere, for instance). A name given twice is refused.
  std::vector<PeNewSection> extra_sections;
  // SBAT text entries (each with its "sbat,1,..." header line, as ukify's --sbat); empty: the
  // "uki" entry ukify adds by default. Merged with the stub's and the kernel's .sbat.
  std::vector<std::string> sbat;
  // Keys that sign the PCR 11 policy (.pcrpkey is not derived from them: ukify's rule for
  // that is the command line's).
  std::vector<UkiSigner> signers;
  std::vector<HashAlg> banks;  // empty: sha256 (systemd-measure's default)
};

// The merged .sbat: ukify's header line, then every entry of the stub's and the kernel's .sbat
// sections and of `extra` (header lines dropped), then a NUL.
std::string merge_sbat(const std::vector<std::string>& pe_sbat,
                       const std::vector<std::string>& extra);

// Python's json.dumps form of a .pcrsig merged from several systemd-measure outputs, in which
// ukify stores it: banks in first-seen order, each entry once.
std::string merge_pcrsigs(const std::vector<std::string>& pcrsigs);

// The UKI. Errors: kBadInput naming the stub (not a PE, signed, no room for the sections),
// kUsage (no .linux with signers, a bank systemd cannot sign for).
Bytes assemble_uki(const UkiInputs& in);

}  // namespace integral
