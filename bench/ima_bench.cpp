// Replay of a large binary IMA measurement list (ima-ng, sha256 file digests) into the sha1
// and sha256 banks: `integral replay --bank sha1,sha256 LIST` against `evmctl ima_measurement`
// (ima-evm-utils) on the same generated file in the same run. Both recompute every template
// hash; evmctl is given integral's PCR 10 values and must report a match, which is the
// agreement check.
//
// usage: integral_ima_bench [--entries N] [--runs N] [--keep] [--smoke]
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

// ima-ng entries: u32 pcr, sha1(template data), u32 name len, "ima-ng", u32 data len, data;
// data = u32 len "sha256:\0" digest, u32 len file name + NUL.
std::string make_list(size_t entries) {
  std::string b;
  for (size_t i = 0; i < entries; ++i) {
    std::string name = "/usr/lib/x86_64-linux-gnu/lib" + std::to_string(i) + ".so";
    std::string dng("sha256:\0", 8);
    auto fd = integral::hash(HashAlg::kSha256, name);
    dng.append(reinterpret_cast<const char*>(fd.bytes().data()), fd.size());
    std::string data;
    integral::append_le32(data, static_cast<uint32_t>(dng.size()));
    data += dng;
    integral::append_le32(data, static_cast<uint32_t>(name.size() + 1));
    data += name;
    data += '\0';
    integral::append_le32(b, 10);
    auto th = integral::hash(HashAlg::kSha1, data);
    b.append(reinterpret_cast<const char*>(th.bytes().data()), th.size());
    integral::append_le32(b, 6);
    b += "ima-ng";
    integral::append_le32(b, static_cast<uint32_t>(data.size()));
    b += data;
  }
  return b;
}

// evmctl reads PCR files in the TPM 1.2 sysfs layout, PCR-00 to PCR-23 in order.
void write_pcr_file(const std::string& path, const std::string& pcr10, size_t hex_len) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) std::exit(4);
  for (int i = 0; i < 24; ++i)
    std::fprintf(f, "PCR-%02d: %s\n", i,
                 i == 10 ? pcr10.c_str() : std::string(hex_len, '0').c_str());
  std::fclose(f);
}

std::string json_value(const std::string& json, const std::string& bank) {
  auto at = json.find("\"" + bank + "\"");
  if (at == std::string::npos) return {};
  at = json.find("\"10\": \"", at);
  if (at == std::string::npos) return {};
  at += 7;
  return json.substr(at, json.find('"', at) - at);
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = bench::parse_args(argc, argv, "--entries", 200000, 5000);
  const size_t entries = args.count;
  std::string dir = bench::scratch_path("ima");
  std::string file = dir + ".bin", p1 = dir + ".sha1", p256 = dir + ".sha256";
  {
    std::string list = make_list(entries);
    bench::write_file(file, list);
    std::printf("%s\n", bench::cpu_line().c_str());
    std::printf("list: %zu ima-ng entries, %.1f MB; banks sha1+sha256; %d run(s), median\n",
                entries, static_cast<double>(list.size()) / 1e6, args.runs);
  }
  auto first = run({INTEGRAL_BINARY, "replay", "--bank", "sha1,sha256", "--json", file});
  std::string v1 = json_value(first.second, "sha1"), v256 = json_value(first.second, "sha256");
  if (v1.size() != 40 || v256.size() != 64) {
    std::fprintf(stderr, "bench: no PCR 10 in integral's output\n");
    return 4;
  }
  write_pcr_file(p1, v1, 40);
  write_pcr_file(p256, v256, 64);
  std::vector<double> w_peer, w_ours, c_peer, c_ours;
  for (int r = 0; r < args.runs; ++r) {
    // evmctl exits 0 only when the replay matches the given PCRs: the agreement check.
    auto p = run({"evmctl", "ima_measurement", "--ignore-violations", "--pcrs", "sha1," + p1,
                  "--pcrs", "sha256," + p256, file},
                 false);
    auto o = run({INTEGRAL_BINARY, "replay", "--bank", "sha1,sha256", file}, false);
    w_peer.push_back(p.first.wall), c_peer.push_back(p.first.cpu);
    w_ours.push_back(o.first.wall), c_ours.push_back(o.first.cpu);
  }
  double wp = median(w_peer), wo = median(w_ours), cp = median(c_peer), co = median(c_ours);
  std::printf("                               wall s    cpu s\n");
  std::printf("evmctl ima_measurement      %8.3f %8.3f  (%.0f entries/cpu-s)\n", wp, cp,
              static_cast<double>(entries) / cp);
  std::printf("integral replay             %8.3f %8.3f  (%.0f entries/cpu-s)\n", wo, co,
              static_cast<double>(entries) / co);
  std::printf("ratio integral/evmctl       %8.3f %8.3f  (goal <= 0.3)\n", wo / wp, co / cp);
  std::printf("PCR 10 agrees with evmctl: yes (sha1 %s)\n", v1.c_str());
  if (!args.keep) {
    std::remove(file.c_str());
    std::remove(p1.c_str());
    std::remove(p256.c_str());
  }
  return 0;
}
