// Hashing a large file into the SHA-1 and SHA-256 banks: `integral hash --bank sha1,sha256`
// against the peer doing the same work, `openssl dgst -sha1` then `openssl dgst -sha256`,
// on the same (page-cached) file in the same run. Prints both times and the ratio, plus the
// ratio's floor on this CPU: with one bank per core the best possible is
// max(t_sha1, t_sha256) / (t_sha1 + t_sha256), where the times are the hash functions' alone
// (a 64 MiB buffer in memory hashed in-process, scaled to the file's size: no reading, no
// page faults), and the same with openssl dgst's times, which include its reading.
//
// usage: integral_hash_bench [--size-mib N] [--runs N] [--file PATH] [--keep] [--smoke]
#include <fcntl.h>
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
#include "integral/crypto/multi_hasher.h"

#include "bench_util.h"

namespace {

using bench::median;
using bench::now;
using bench::run;
using bench::Timing;

// Seconds the hash function alone takes for `mib` MiB on one core (a 64 MiB buffer, hashed
// until a second has passed, scaled).
double compute_seconds(integral::HashAlg alg, size_t mib) {
  std::vector<uint8_t> buf(64u << 20, 0x5a);
  int rounds = 0;
  double t0 = now(), t = 0;
  do {
    integral::Hasher h(alg);
    h.update(buf);
    (void)h.finish();
    ++rounds;
    t = now() - t0;
  } while (t < 1.0);
  return t / rounds * static_cast<double>(mib) / 64.0;
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = bench::parse_args(argc, argv, "--size-mib", 1024, 48, {"--file"});
  const size_t size_mib = args.count;
  const int runs = args.runs;
  const bool keep = args.keep;
  std::string file = args.get("--file");
  bool made = false;
  if (file.empty()) {
    file = bench::scratch_path("hash", ".bin");
    made = true;
    // Non-repeating content (xorshift), written once; then it sits in the page cache for all.
    std::FILE* f = std::fopen(file.c_str(), "wb");
    if (!f) return 4;
    bench::write_incompressible(f, size_mib);
    std::fclose(f);
  }
  std::printf("%s\n", bench::cpu_line().c_str());
  std::printf("file: %zu MiB, %d run(s), median reported\n", size_mib, runs);
  run({"cat", file});  // warm the page cache so every contender reads from memory

  std::vector<double> t_sha1, t_sha256, t_integral;
  std::string out1, out256, outi;
  for (int r = 0; r < runs; ++r) {
    auto a = run({"openssl", "dgst", "-sha1", file});
    auto b = run({"openssl", "dgst", "-sha256", file});
    auto c = run({INTEGRAL_BINARY, "hash", "--bank", "sha1,sha256", file});
    t_sha1.push_back(a.first.wall);
    t_sha256.push_back(b.first.wall);
    t_integral.push_back(c.first.wall);
    out1 = a.second;
    out256 = b.second;
    outi = c.second;
  }
  // The digests must agree, or the times mean nothing.
  std::vector<integral::HashAlg> algs{integral::HashAlg::kSha1, integral::HashAlg::kSha256};
  auto lines = outi;
  bool agree = true;
  for (const char* name : {"sha1", "sha256"}) {
    auto pos = lines.find(std::string(name) + "  ");
    std::string hex = pos == std::string::npos
                          ? ""
                          : lines.substr(pos + std::strlen(name) + 2, name[3] == '1' ? 40 : 64);
    const std::string& peer = name[3] == '1' ? out1 : out256;
    agree = agree && !hex.empty() && contains(peer, "= " + hex);
  }
  double s1 = median(t_sha1), s256 = median(t_sha256), si = median(t_integral);
  double peer = s1 + s256;
  std::printf("openssl dgst -sha1        %8.3f s\n", s1);
  std::printf("openssl dgst -sha256      %8.3f s\n", s256);
  std::printf("peer total (sequential)   %8.3f s  (%.0f MiB/s)\n", peer,
              static_cast<double>(size_mib) / peer);
  std::printf("integral hash sha1,sha256 %8.3f s  (%.0f MiB/s)\n", si,
              static_cast<double>(size_mib) / si);
  std::printf("ratio integral/peer       %8.3f   (goal <= 0.55, or the floor below where higher)\n",
              si / peer);
  const double c1 = compute_seconds(integral::HashAlg::kSha1, size_mib);
  const double c256 = compute_seconds(integral::HashAlg::kSha256, size_mib);
  std::printf(
      "floor on this CPU         %8.3f   (hash functions alone, one bank per core: sha1 "
      "%.3f s, sha256 %.3f s; integral at %.2fx this floor)\n",
      std::max(c1, c256) / peer, c1, c256, si / std::max(c1, c256));
  std::printf("  with openssl's times    %8.3f   (max(sha1, sha256) / sum, reading included)\n",
              std::max(s1, s256) / peer);
  std::printf("digests agree with openssl: %s\n", agree ? "yes" : "NO");
  if (made && !keep) std::remove(file.c_str());
  return agree ? 0 : 1;
}
