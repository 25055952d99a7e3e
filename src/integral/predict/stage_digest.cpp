// Stage "digest": extend literal digests, for values computed elsewhere (a vendor's published
// measurement, a component integral does not model yet).
#include <fmt/format.h>

#include "integral/chain/event_type.h"
#include "integral/predict/stage.h"
#include "integral/util/error.h"

namespace integral {

std::vector<Event> run_digest_stage(StageFields& f, const StageContext&) {
  Event e;
  e.pcr = f.pcr();
  if (auto t = f.string("event_type")) {
    e.type = parse_event_type(*t);
    if (!e.type) f.fail("event_type", fmt::format("'{}' is not a TCG event type", *t));
  }
  e.description = f.string("description").value_or("literal digest");
  e.provenance.artifact = f.string("artifact").value_or(f.file());
  e.provenance.rule = "digest";
  for (const auto& [alg, hex] : f.bank_strings()) {
    auto d = Digest::from_hex(alg, hex);
    if (!d) f.fail(hash_alg_name(alg), fmt::format("is not {} hex digits", 2 * digest_size(alg)));
    e.digests.push_back(*d);
  }
  f.finish();
  if (e.digests.empty()) f.fail("", "needs at least one digest (sha1 = \"...\", sha256 = ...)");
  if (!e.extends()) f.fail("event_type", "EV_NO_ACTION is never extended");
  return {std::move(e)};
}

}  // namespace integral
