#include "integral/eventlog/digest_check.h"

#include <algorithm>
#include <span>
#include <string_view>

#include "integral/chain/event_type.h"
#include "integral/crypto/digest.h"

namespace integral {

namespace {

struct Candidate {
  std::string_view rule;
  std::span<const uint8_t> bytes;
  std::string_view quirk;  // "" for the standard rule
};

bool equals(std::span<const uint8_t> data, std::string_view text) {
  return data.size() == text.size() &&
         std::equal(data.begin(), data.end(), text.begin(),
                    [](uint8_t a, char b) { return a == static_cast<uint8_t>(b); });
}

bool starts_with(std::span<const uint8_t> data, std::string_view text) {
  return data.size() >= text.size() && equals(data.first(text.size()), text);
}

std::span<const uint8_t> without_trailing_nuls(std::span<const uint8_t> s) {
  while (!s.empty() && s.back() == 0) s = s.first(s.size() - 1);
  return s;
}

const uint8_t kZeroSeparator[4] = {0, 0, 0, 0};

// What the digest of `e` may cover: the standard rule first, then quirk rules. Empty: no rule
// is known for this event.
std::vector<Candidate> candidates(const Event& e) {
  std::vector<Candidate> out;
  if (!e.type) return out;
  std::span<const uint8_t> data = e.data;
  switch (*e.type) {
    case ev::kSeparator: {
      const bool zeros = equals(data, std::string_view("\0\0\0\0", 4));
      const bool ones = equals(data, "\xFF\xFF\xFF\xFF");
      if (zeros || ones) {
        out.push_back({"H(event data)", data, ""});
        break;
      }
      // Anything else is not a separator the PC Client spec allows; Windows Boot Manager
      // separates PCRs 12-14 with "WBCL" (its boot configuration log) and hashes that.
      out.push_back({"H(00000000)", kZeroSeparator, ""});
      if (e.pcr >= 12 && e.pcr <= 14 && equals(data, "WBCL"))
        out.push_back({"H(\"WBCL\")", data, "wbcl-separator"});
      break;
    }
    case ev::kAction:
    case ev::kEfiAction:
    case ev::kSCrtmVersion:
    case ev::kEfiGptEvent:
    case ev::kEfiVariableDriverConfig:
      out.push_back({"H(event data)", data, ""});
      break;
    case ev::kEfiVariableAuthority:
      out.push_back({"H(event data)", data, ""});
      // Old shim measured its own certificate and MokList entries over EventSize - 1 bytes.
      if (!data.empty())
        out.push_back({"H(event data minus its last byte)", data.first(data.size() - 1),
                       "shim-authority-size"});
      break;
    case ev::kIpl: {
      if (e.pcr != 8) break;
      // grub: data "grub_cmd: <command>" or "kernel_cmdline: <line>" (NUL-terminated), digest
      // H(<command>) without the NUL. Red Hat's grub writes "grub_cmd <command>" and hashes
      // <command> with its NUL, but "grub_kernel_cmdline <line>" without it (a RHEL 8 log).
      for (std::string_view prefix :
           {"grub_cmd", "grub_kernel_cmdline", "kernel_cmdline", "module_cmdline"}) {
        if (!starts_with(data, prefix) || data.size() == prefix.size()) continue;
        auto rest = data.subspan(prefix.size());
        if (rest[0] == ':' && rest.size() > 1 && rest[1] == ' ') {
          out.push_back(
              {"H(text after \"<kind>: \", no NUL)", without_trailing_nuls(rest.subspan(2)), ""});
        } else if (rest[0] == ' ') {
          auto text = rest.subspan(1);
          out.push_back({"H(text after \"<kind> \", no NUL)", without_trailing_nuls(text), ""});
          if (prefix == "grub_cmd" && !text.empty() && text.back() == 0)
            out.push_back({"H(text after \"<kind> \" with its NUL)", text, "grub-nul"});
        }
        break;
      }
      break;
    }
    default:
      break;
  }
  return out;
}

}  // namespace

std::vector<std::string> DigestCheckReport::quirks_needed() const {
  std::vector<std::string> out;
  for (const auto& f : by_quirk)
    if (std::find(out.begin(), out.end(), f.quirk) == out.end()) out.push_back(f.quirk);
  return out;
}

bool is_digest_quirk(std::string_view name) {
  return name == "shim-authority-size" || name == "grub-nul" || name == "wbcl-separator";
}

DigestCheckReport check_event_digests(const Chain& chain, const std::vector<std::string>& quirks) {
  DigestCheckReport r;
  for (size_t i = 0; i < chain.events.size(); ++i) {
    const Event& e = chain.events[i];
    if (!e.extends()) continue;
    auto cands = candidates(e);
    if (cands.empty()) continue;
    for (const Digest& d : e.digests) {
      if (!hash_alg_available(d.alg())) continue;
      ++r.checked;
      Digest standard = hash(d.alg(), cands[0].bytes);
      bool matched = false;
      std::string_view quirk;
      for (const auto& c : cands) {
        if (!c.quirk.empty() && std::find(quirks.begin(), quirks.end(), c.quirk) == quirks.end())
          continue;
        if (hash(d.alg(), c.bytes) == d) {
          matched = true;
          quirk = c.quirk;
          break;
        }
      }
      if (matched && quirk.empty()) continue;
      DigestFinding f{i,       d.alg(),        std::string(cands[0].rule),
                      d.hex(), standard.hex(), std::string(quirk)};
      (matched ? r.by_quirk : r.mismatches).push_back(std::move(f));
    }
  }
  return r;
}

}  // namespace integral
