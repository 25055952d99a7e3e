// Authenticode digest of a large PE image (a UKI-sized file and larger): `integral pe hash`
// against `pesign -h` on the same (page-cached) file in the same run; prints both times, the
// ratio, and whether the digests agree. Also integral with sha1 and sha256 at once against two
// pesign runs.
//
// usage: integral_pe_hash_bench [--size-mib N] [--runs N] [--smoke]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_util.h"

namespace {

using bench::median;
using bench::now;
using bench::run;
using bench::Timing;

void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

// A PE32+ image: headers, one section of `mib` MiB of xorshift bytes, 5 trailing bytes (so the
// trailing-data rule is exercised too).
bool write_image(const std::string& path, size_t mib) {
  std::vector<uint8_t> h(0x400, 0);
  h[0] = 'M';
  h[1] = 'Z';
  put32(h, 0x3c, 0x80);
  std::memcpy(h.data() + 0x80, "PE\0\0", 4);
  h[0x84] = 0x64;
  h[0x85] = 0x86;
  h[0x86] = 1;
  h[0x94] = 240;
  h[0x98] = 0x0b;
  h[0x99] = 0x02;
  put32(h, 0x98 + 32, 0x1000);  // SectionAlignment
  put32(h, 0x98 + 36, 0x200);   // FileAlignment
  put32(h, 0x98 + 60, 0x400);   // SizeOfHeaders
  h[0x98 + 68] = 10;            // Subsystem: EFI application
  put32(h, 0x98 + 108, 16);
  h[0x96] = 0x22;  // Characteristics: executable, large address aware
  const uint32_t size = static_cast<uint32_t>(mib << 20);
  std::memcpy(h.data() + 0x188, ".linux", 6);
  put32(h, 0x188 + 8, size);
  put32(h, 0x188 + 12, 0x10000);
  put32(h, 0x188 + 16, size);
  put32(h, 0x188 + 20, 0x400);
  put32(h, 0x188 + 36, 0x60000020);                           // code, execute, read
  put32(h, 0x98 + 56, 0x10000 + ((size + 0xfff) & ~0xfffu));  // SizeOfImage
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  std::fwrite(h.data(), 1, h.size(), f);
  bench::write_incompressible(f, mib);
  std::fwrite("trail", 1, 5, f);
  return std::fclose(f) == 0;
}

std::string field(const std::string& out, const std::string& key, size_t len) {
  auto pos = out.find(key);
  return pos == std::string::npos ? "" : out.substr(pos + key.size(), len);
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = bench::parse_args(argc, argv, "--size-mib", 512, 16);
  const size_t size_mib = args.count;
  const int runs = args.runs;
  if (size_mib == 0 || size_mib > 3000) return 2;
  std::string file = bench::scratch_path("pe", ".efi");
  if (!write_image(file, size_mib)) return 4;
  std::printf("%s\n", bench::cpu_line().c_str());
  std::printf("PE image: %zu MiB section, %d run(s), median reported\n", size_mib, runs);
  run({"cat", file});  // page cache

  // pesign 0.112 knows only sha1 and sha256.
  const char* algs[] = {"sha1", "sha256"};
  std::vector<double> t_pesign, t_ours, t_pesign2, t_ours2;
  bool agree = true;
  for (int r = 0; r < runs; ++r) {
    auto p = run({"pesign", "-h", "-d", "sha256", "-i", file});
    auto o = run({INTEGRAL_BINARY, "pe", "hash", "--alg", "sha256", file});
    t_pesign.push_back(p.first.wall);
    t_ours.push_back(o.first.wall);
    agree = agree && !field(p.second, "hash: ", 64).empty() &&
            field(p.second, "hash: ", 64) == field(o.second, "sha256  ", 64);
    double sum = 0;
    std::vector<std::string> peer;
    for (const char* a : algs) {
      auto q = run({"pesign", "-h", "-d", a, "-i", file});
      sum += q.first.wall;
      peer.push_back(field(q.second, "hash: ", 128).substr(0, q.second.find('\n') - 6));
    }
    t_pesign2.push_back(sum);
    auto o4 = run({INTEGRAL_BINARY, "pe", "hash", "--alg", "sha1,sha256", file});
    t_ours2.push_back(o4.first.wall);
    for (size_t i = 0; i < 2; ++i)
      agree = agree &&
              o4.second.find(std::string(algs[i]) + "  " + peer[i] + "  ") != std::string::npos;
  }
  double p = median(t_pesign), o = median(t_ours), p4 = median(t_pesign2), o4 = median(t_ours2);
  std::printf("pesign -h (sha256)                %8.3f s\n", p);
  std::printf("integral pe hash (sha256)         %8.3f s\n", o);
  std::printf("ratio integral/pesign             %8.3f\n", o / p);
  std::printf("pesign -h x2 (sha1, sha256)       %8.3f s\n", p4);
  std::printf("integral pe hash, 2 banks at once %8.3f s\n", o4);
  std::printf("ratio integral/pesign, 2 banks    %8.3f\n", o4 / p4);
  std::printf("digests agree with pesign: %s\n", agree ? "yes" : "NO");
  std::remove(file.c_str());
  return agree ? 0 : 1;
}
