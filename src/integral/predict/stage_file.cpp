// Stage "file": an initramfs (or any boot script) extends a PCR with a measurement of a file,
// typically the root image it is about to mount. Each method models one real tool exactly.
#include <fmt/format.h>

#include <algorithm>

#include "integral/chain/event_type.h"
#include "integral/crypto/multi_hasher.h"
#include "integral/predict/stage.h"
#include "integral/util/error.h"

namespace integral {

namespace {

// meta-measured's init-boot-tpm.sh on TPM 1.2: `sha1sum -b IMG | awk '{print $1}' | tr -d '\n'`
// is fed by `echo -n` into tpm-tools' `tpm_extendpcr --pcr N`, which SHA-1-hashes the bytes it
// reads (the 40 lower-case hex characters, no newline) and extends that digest.
constexpr std::string_view kMetaMeasured = "meta-measured-tpm12";
// `tpm2_pcrextend N:sha256=$(sha256sum IMG)`: the file's raw digest, only in the named banks.
constexpr std::string_view kPcrExtend = "tpm2-pcrextend";
// `tpm2_pcrevent N IMG`: the TPM hashes the data in every active bank (TPM2_PCR_Event /
// event sequence), so every bank gets H_bank(file).
constexpr std::string_view kPcrEvent = "tpm2-pcrevent";

const ImageArtifact& built_image(StageFields& f, const StageContext& ctx, const std::string& name) {
  if (!ctx.images)
    f.fail("image", "names a build's image; only a build description (integral build) has images");
  auto it = ctx.images->find(name);
  if (it == ctx.images->end())
    f.fail("image", fmt::format("'{}' is not an image of this build", name));
  return it->second;
}

// The build digested the image in every bank a boot that names it asks for.
std::vector<Digest> image_digests(StageFields& f, const ImageArtifact& a, const std::string& name,
                                  const std::vector<HashAlg>& banks) {
  std::vector<Digest> out;
  for (HashAlg alg : banks) {
    auto d = std::find_if(a.digests.begin(), a.digests.end(),
                          [&](const Digest& x) { return x.alg() == alg; });
    if (d == a.digests.end())
      f.fail("image",
             fmt::format("image '{}' was not digested in bank {}", name, hash_alg_name(alg)));
    out.push_back(*d);
  }
  return out;
}

}  // namespace

std::vector<Event> run_file_stage(StageFields& f, const StageContext& ctx) {
  unsigned pcr = f.pcr();
  auto path_field = f.string("path");
  auto image = f.string("image");
  if (path_field.has_value() == image.has_value())
    f.fail(image ? "image" : "path",
           "give exactly one of path (a file) or image (a build's image)");
  std::string path = path_field.value_or("");
  std::string method = f.string("method").value_or(std::string(kPcrExtend));
  auto bank_names = f.strings("banks");
  auto description = f.string("description");
  f.finish();

  std::vector<HashAlg> banks;
  if (method == kMetaMeasured) {
    if (bank_names) f.fail("banks", "does not apply: tpm_extendpcr extends SHA-1 only");
    banks = {HashAlg::kSha1};
  } else if (method == kPcrEvent) {
    if (bank_names) f.fail("banks", "does not apply: tpm2_pcrevent extends every active bank");
    banks = ctx.banks;
  } else if (method == kPcrExtend) {
    if (bank_names) {
      for (const auto& n : *bank_names) {
        auto alg = parse_hash_alg(n);
        if (!alg) f.fail("banks", fmt::format("names unknown bank '{}'", n));
        if (std::find(ctx.banks.begin(), ctx.banks.end(), *alg) == ctx.banks.end())
          f.fail("banks", fmt::format("names bank '{}' that the boot's TPM does not have", n));
        banks.push_back(*alg);
      }
    } else {
      banks = ctx.banks;
    }
  } else {
    f.fail("method", fmt::format("'{}' is not one of {}, {}, {}", method, kMetaMeasured, kPcrExtend,
                                 kPcrEvent));
  }

  std::filesystem::path file;
  std::vector<Digest> digests;
  if (image) {
    const ImageArtifact& a = built_image(f, ctx, *image);
    file = a.path;
    path = file.filename().string();  // as the booted system's script names it
    digests = image_digests(f, a, *image, banks);
  } else {
    file = ctx.resolve(path);
    digests = f.reading("path", file, [&] { return hash_file(file, banks); });
  }

  Event e;
  e.pcr = pcr;
  e.provenance.artifact = file.string();
  e.provenance.rule = fmt::format("file/{}", method);
  if (method == kMetaMeasured) {
    std::string hex = digests[0].hex();  // sha1sum prints lower case
    e.digests.push_back(hash(HashAlg::kSha1, hex));
    e.description =
        description.value_or(fmt::format("sha1sum -b {} | tpm_extendpcr --pcr {}", path, pcr));
  } else {
    e.digests = std::move(digests);
    e.description = description.value_or(
        method == kPcrEvent ? fmt::format("tpm2_pcrevent {} {}", pcr, path)
                            : fmt::format("tpm2_pcrextend {}:<bank>=H({})", pcr, path));
  }
  return {std::move(e)};
}

}  // namespace integral
