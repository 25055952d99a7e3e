// integral pcrsig BOOT : systemd's signed PCR policy (.pcrsig JSON) for a predicted boot, as
// systemd-measure sign writes it, from integral's prediction instead of a TPM.
#include "integral/reference/pcrsig.h"
#include "cli/commands.h"
#include "integral/crypto/signing_key.h"
#include "integral/util/error.h"

namespace integral::cli {

namespace {

Command add_pcrsig(CLI::App& root) {
  auto* app = root.add_subcommand(
      "pcrsig", "Sign a boot's predicted PCR 11 policy for systemd (.pcrsig JSON)");
  struct Opts {
    std::string boot, private_key, public_key, output;
    std::vector<std::string> banks, phases;
    std::vector<unsigned> pcrs;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("boot", o->boot, "Boot description (.toml) or a prediction manifest (.json)")
      ->required();
  app->add_option("--private-key", o->private_key,
                  "Private key to sign with: a PEM file (RSA or EC) or a pkcs11: URI")
      ->required();
  app->add_option("--public-key", o->public_key,
                  "Public key (PEM); must be the private key's (default: derived from it)");
  // One value per occurrence, as systemd-measure takes them ("--phase=" is the empty path).
  app->add_option("--bank", o->banks, "Bank to sign for (repeatable; default: every predicted one)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app->add_option("--phase", o->phases,
                  "Boot phase path, as systemd-measure takes it (repeatable; default: "
                  "systemd-measure's four)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app->add_option("--pcr", o->pcrs, "PCR the policy covers (repeatable; default 11)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app->add_option("-o,--output", o->output, "Write to this file (atomically) instead of stdout");
  return {app, [o] {
            const SigningKey key = SigningKey::load(o->private_key);
            if (!o->public_key.empty() && !(PublicKey::load_pem(o->public_key) == key.public_key()))
              throw_bad_input("not the public key of " + o->private_key, o->public_key);
            PcrsigOptions opts;
            for (const auto& b : o->banks) {
              auto alg = parse_hash_alg(b);
              if (!alg) throw_usage("unknown bank: " + b);
              opts.banks.push_back(*alg);
            }
            opts.phases = o->phases;
            if (!o->pcrs.empty()) opts.pcrs = o->pcrs;
            emit(o->output, pcrsig_json(load_prediction(o->boot), opts, key));
            return 0;
          }};
}

const CommandRegistrar registered(12, add_pcrsig);

}  // namespace

}  // namespace integral::cli
