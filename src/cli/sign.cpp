// integral sign FILE --key KEY : a detached signature of a reference-values bundle (or a
// prediction manifest), which `integral verify --bundle` checks.
#include "cli/commands.h"
#include "integral/reference/bundle_signature.h"
#include "integral/util/file_io.h"

namespace integral::cli {

namespace {

Command add_sign(CLI::App& root) {
  auto* app = root.add_subcommand(
      "sign", "Sign a reference-values bundle or prediction (detached signature, FILE.sig)");
  struct Opts {
    std::string file, key, output;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("file", o->file, "The bundle (reference-values.json) or prediction manifest")
      ->required();
  app->add_option("--key", o->key, "Private key: a PEM file (RSA or EC) or a pkcs11: URI")
      ->required();
  app->add_option("-o,--output", o->output, "Signature file (default: FILE.sig)");
  return {app, [o] {
            const SigningKey key = SigningKey::load(o->key);
            // Signatures cover files integral writes, which are far below this cap.
            const std::string bytes = read_text_file(o->file, 1u << 30);
            const std::string name = std::filesystem::path(o->file).filename().string();
            emit(o->output.empty() ? o->file + ".sig" : o->output,
                 sign_bundle({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, name,
                             key));
            return 0;
          }};
}

const CommandRegistrar registered(13, add_sign);

}  // namespace

}  // namespace integral::cli
