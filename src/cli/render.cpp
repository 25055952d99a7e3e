#include "cli/render.h"

#include <fmt/format.h>

#include "integral/util/text.h"

namespace integral::cli {

std::string render_event(const Event& e, size_t index, const std::string& indent) {
  std::string out = fmt::format("{}#{:<3} PCR {:<2} {}\n", indent, index, e.pcr, e.type_name());
  for (const Digest& d : e.digests)
    out += fmt::format("{}      {:<7} {}\n", indent, hash_alg_name(d.alg()), d.hex());
  if (!e.description.empty())
    out += fmt::format("{}      {}\n", indent, escape_terminal(e.description));
  out += fmt::format("{}      from {}\n", indent, escape_terminal(e.provenance.to_string()));
  return out;
}

std::string render_pcr_table(const PcrSet& values, const PcrSelection& selection) {
  std::string out = "PCR  bank     value\n";
  for (unsigned pcr = 0; pcr < kPcrCount; ++pcr)
    for (const auto& b : selection.banks())
      if (b.pcrs.test(pcr))
        out += fmt::format("{:>3}  {:<7}  {}\n", pcr, hash_alg_name(b.alg),
                           values.get(b.alg, pcr).hex());
  return out;
}

}  // namespace integral::cli
