// Parse + replay of a large crypto-agile TCG event log (sha1, sha256, sha384 banks): integral
// against tpm2_eventlog (tpm2-tools) on the same generated file in the same run. Times
// `integral replay LOG` and `integral eventlog show --yaml LOG` against `tpm2_eventlog LOG`
// (which always decodes to YAML and prints the replayed PCRs), checks that the final PCR
// values agree, and prints the ratios.
//
// usage: integral_eventlog_bench [--events N] [--runs N] [--keep] [--smoke]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/util/bytes.h"

#include "bench_util.h"

namespace {

using bench::median;
using bench::run;

using integral::HashAlg;

// A Spec ID event, then EV_IPL grub-style events spread over PCRs 8 and 9, each digest the
// hash of its data (what tpm2_eventlog's digest check expects for PCR 9 file events).
std::string make_log(size_t events) {
  const HashAlg algs[] = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384};
  std::string b;
  std::string spec("Spec ID Event03\0", 16);
  integral::append_le32(spec, 0);
  spec += std::string("\0\2\0\2", 4);
  integral::append_le32(spec, 3);
  for (HashAlg a : algs)
    integral::append_le16(spec, static_cast<uint16_t>(a)),
        integral::append_le16(spec, static_cast<uint16_t>(integral::digest_size(a)));
  spec += '\0';
  integral::append_le32(b, 0);
  integral::append_le32(b, 3);
  b += std::string(20, '\0');
  integral::append_le32(b, static_cast<uint32_t>(spec.size()));
  b += spec;
  for (size_t i = 0; i < events; ++i) {
    std::string data = "/boot/grub/x86_64-efi/module" + std::to_string(i) + ".mod";
    integral::append_le32(b, 9);
    integral::append_le32(b, 0x0D);  // EV_IPL
    integral::append_le32(b, 3);
    for (HashAlg a : algs) {
      integral::append_le16(b, static_cast<uint16_t>(a));
      auto d = integral::hash(a, data);
      b.append(reinterpret_cast<const char*>(d.bytes().data()), d.size());
    }
    integral::append_le32(b, static_cast<uint32_t>(data.size()));
    b += data;
  }
  return b;
}

std::string pcrs_block(const std::string& yaml) {
  auto at = yaml.rfind("\npcrs:\n");
  return at == std::string::npos ? std::string() : yaml.substr(at);
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = bench::parse_args(argc, argv, "--events", 400000, 3000);
  const size_t events = args.count;
  std::string file = bench::scratch_path("eventlog", ".bin");
  {
    std::string log = make_log(events);
    bench::write_file(file, log);
    std::printf("%s\n", bench::cpu_line().c_str());
    std::printf("log: %zu events, %.1f MB, banks sha1+sha256+sha384; %d run(s), median\n", events,
                static_cast<double>(log.size()) / 1e6, args.runs);
  }
  std::vector<double> w_peer, w_replay, w_show, c_peer, c_replay, c_show;
  std::string peer_out, show_out;
  for (int r = 0; r < args.runs; ++r) {
    auto p = run({"tpm2_eventlog", file});
    auto rp = run({INTEGRAL_BINARY, "replay", file}, false);
    auto s = run({INTEGRAL_BINARY, "eventlog", "show", "--yaml", file});
    w_peer.push_back(p.first.wall), c_peer.push_back(p.first.cpu);
    w_replay.push_back(rp.first.wall), c_replay.push_back(rp.first.cpu);
    w_show.push_back(s.first.wall), c_show.push_back(s.first.cpu);
    peer_out = std::move(p.second);
    show_out = std::move(s.second);
  }
  std::string a = pcrs_block(peer_out), b = pcrs_block(show_out);
  bool agree = !a.empty() && a == b;
  double wp = median(w_peer), wr = median(w_replay), ws = median(w_show);
  double cp = median(c_peer), cr = median(c_replay), cs = median(c_show);
  std::printf("                                          wall s    cpu s\n");
  std::printf("tpm2_eventlog (decode to YAML + replay) %8.3f %8.3f  (%.0f events/cpu-s)\n", wp, cp,
              static_cast<double>(events) / cp);
  std::printf("integral replay (parse + replay)        %8.3f %8.3f  (%.0f events/cpu-s)\n", wr, cr,
              static_cast<double>(events) / cr);
  std::printf("integral eventlog show --yaml           %8.3f %8.3f\n", ws, cs);
  std::printf("ratio replay/tpm2_eventlog              %8.3f %8.3f  (goal <= 0.05)\n", wr / wp,
              cr / cp);
  std::printf("ratio show --yaml/tpm2_eventlog         %8.3f %8.3f\n", ws / wp, cs / cp);
  std::printf("final PCRs agree with tpm2_eventlog: %s\n", agree ? "yes" : "NO");
  if (!args.keep) std::remove(file.c_str());
  return agree ? 0 : 1;
}
