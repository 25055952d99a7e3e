#include "integral/eventlog/quirks.h"

#include <fmt/format.h>

#include <algorithm>

#include "integral/chain/event_type.h"
#include "integral/eventlog/digest_check.h"
#include "integral/util/error.h"

namespace integral {

namespace {

constexpr std::string_view kEbsInvocation = "Exit Boot Services Invocation";
constexpr std::string_view kEbsSuccess = "Exit Boot Services Returned with Success";

bool has_action(const Chain& chain, unsigned pcr, std::string_view text) {
  return std::any_of(chain.events.begin(), chain.events.end(), [&](const Event& e) {
    return e.pcr == pcr && e.type == ev::kEfiAction &&
           std::string_view(reinterpret_cast<const char*>(e.data.data()), e.data.size()) == text;
  });
}

// Some firmware measure the two ExitBootServices actions into PCR 5 but never log them
// (go-attestation attest/eventlog_workarounds.go handles the same firmware): append them.
size_t missing_ebs(Chain& chain, const std::vector<HashAlg>& banks) {
  if (has_action(chain, 5, kEbsInvocation)) return 0;
  size_t added = 0;
  for (std::string_view text : {kEbsInvocation, kEbsSuccess}) {
    Event e;
    e.pcr = 5;
    e.type = ev::kEfiAction;
    for (HashAlg alg : banks) e.digests.push_back(hash(alg, text));
    e.data.assign(text.begin(), text.end());
    e.description = std::string(text);
    e.provenance = Provenance{"(not in the log)", "quirk missing-ebs", std::nullopt};
    chain.events.push_back(std::move(e));
    ++added;
  }
  return added;
}

}  // namespace

const std::vector<QuirkRule>& quirk_rules() {
  static const std::vector<QuirkRule> rules = {
      {"missing-ebs",
       "firmware extends PCR 5 with the EV_EFI_ACTION \"Exit Boot Services Invocation\" and "
       "\"... Returned with Success\" without logging them: append both when absent"},
      {"shim-authority-size",
       "old shim measured its EV_EFI_VARIABLE_AUTHORITY events (its vendor certificate, MokList "
       "entries) over EventSize - 1 bytes: accept that digest (verify --check-digests)"},
      {"grub-nul",
       "Red Hat's grub logs PCR 8 commands as \"grub_cmd <command>\" and hashes the command "
       "with its trailing NUL: accept that digest (verify --check-digests)"},
      {"wbcl-separator",
       "Windows Boot Manager separates PCRs 12-14 with EV_SEPARATOR data \"WBCL\" hashed as "
       "such, not 00000000: accept it (verify --check-digests)"},
  };
  return rules;
}

bool is_quirk(std::string_view name) {
  const auto& r = quirk_rules();
  return std::any_of(r.begin(), r.end(), [name](const QuirkRule& q) { return q.name == name; });
}

size_t apply_quirk(std::string_view name, Chain& chain, const std::vector<HashAlg>& banks) {
  if (name == "missing-ebs") return missing_ebs(chain, banks);
  // Digest quirks change no event: they widen what check_event_digests accepts.
  if (is_digest_quirk(name)) return 0;
  std::string known;
  for (const auto& q : quirk_rules()) known += (known.empty() ? "" : ", ") + std::string(q.name);
  throw_usage(fmt::format("unknown quirk '{}' (known: {})", name, known));
}

}  // namespace integral
