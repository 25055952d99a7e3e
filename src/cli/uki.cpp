// integral uki : a Unified Kernel Image assembled as `ukify build` assembles it, with the
// signed policy of its own PCR 11 (.pcrsig) computed from integral's prediction. The options
// are ukify's, so a ukify command line carries over.
#include <fmt/format.h>

#include "cli/commands.h"
#include "integral/reference/uki_assembly.h"
#include "integral/util/error.h"
#include "integral/util/mapped_file.h"
#include "integral/util/text.h"

namespace integral::cli {

namespace {

Bytes read_bytes(const std::string& path) {
  MappedFile f(path);
  return Bytes(f.bytes().begin(), f.bytes().end());
}

// ukify's TEXT|@PATH arguments.
Bytes text_or_file(const std::string& arg) {
  if (arg.starts_with("@")) return read_bytes(arg.substr(1));
  return Bytes(arg.begin(), arg.end());
}

// Several initrds are joined as ukify joins them: each padded with zeros to 4 bytes.
Bytes join_initrds(const std::vector<std::string>& paths) {
  if (paths.size() == 1) return read_bytes(paths[0]);
  Bytes out;
  for (const auto& p : paths) {
    Bytes b = read_bytes(p);
    out.insert(out.end(), b.begin(), b.end());
    out.resize((out.size() + 3) / 4 * 4, 0);
  }
  return out;
}

// "sha1,sha256" or "sha1 sha256", as ukify's --pcr-banks.
std::vector<HashAlg> parse_banks(const std::vector<std::string>& args) {
  std::vector<HashAlg> banks;
  for (const auto& arg : args) {
    std::string spaced = arg;
    std::replace(spaced.begin(), spaced.end(), ',', ' ');
    for (const auto& word : split_words(spaced)) {
      auto alg = parse_hash_alg(word);
      if (!alg) throw_usage("unknown bank: " + word);
      banks.push_back(*alg);
    }
  }
  return banks;
}

Command add_uki(CLI::App& root) {
  auto* app = root.add_subcommand(
      "uki", "Assemble a Unified Kernel Image as ukify does, with its own PCR 11 signed");
  struct Opts {
    std::string stub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub", linux, cmdline, osrel,
                devicetree, uname, splash, pcrpkey, microcode, output;
    std::vector<std::string> initrds, sbat, private_keys, public_keys, phases, banks, sections;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("--stub", o->stub, "systemd-stub to build on")->capture_default_str();
  app->add_option("--linux", o->linux, "Kernel image [.linux]");
  app->add_option("--initrd", o->initrds, "Initrd (repeatable: joined) [.initrd]");
  app->add_option("--cmdline", o->cmdline, "Kernel command line, TEXT or @FILE [.cmdline]");
  app->add_option("--os-release", o->osrel, "os-release, TEXT or @FILE [.osrel]");
  app->add_option("--devicetree", o->devicetree, "Device tree [.dtb]");
  app->add_option("--uname", o->uname, "\"uname -r\" of the kernel [.uname]");
  app->add_option("--splash", o->splash, "Splash image [.splash]");
  app->add_option("--microcode", o->microcode, "Microcode [.ucode]");
  app->add_option("--sbat", o->sbat,
                  "SBAT entries, TEXT or @FILE (repeatable; default: ukify's 'uki' entry) "
                  "[.sbat, merged with the stub's and the kernel's]");
  app->add_option("--section", o->sections,
                  "Another section, NAME:TEXT or NAME:@FILE (repeatable; e.g. a .pcrsig signed "
                  "elsewhere)");
  app->add_option("--pcrpkey", o->pcrpkey,
                  "Public key to embed [.pcrpkey] (default: the only --pcr-public-key, else "
                  "the only --pcr-private-key's)");
  app->add_option("--pcr-private-key", o->private_keys,
                  "Key that signs the image's PCR 11 policy [.pcrsig]: a PEM file or a pkcs11: "
                  "URI (repeatable)");
  app->add_option("--pcr-public-key", o->public_keys,
                  "Public key (PEM) of the --pcr-private-key at the same position");
  app->add_option("--phases", o->phases,
                  "Phase paths, space-separated, to sign for with the key at the same position "
                  "(default: systemd-measure's)");
  app->add_option("--pcr-banks", o->banks, "Banks to sign for, comma-separated (default: all)");
  app->add_option("-o,--output", o->output, "Where to write the UKI (atomically)")->required();
  return {app, [o] {
            UkiInputs in;
            in.stub = read_bytes(o->stub);
            in.stub_name = o->stub;
            auto file = [](const std::string& p) {
              return p.empty() ? std::nullopt : std::optional<Bytes>(read_bytes(p));
            };
            auto text = [](const std::string& t) {
              return t.empty() ? std::nullopt : std::optional<Bytes>(text_or_file(t));
            };
            in.linux = file(o->linux);
            if (!o->initrds.empty()) in.initrd = join_initrds(o->initrds);
            in.cmdline = text(o->cmdline);
            in.osrel = text(o->osrel);
            in.dtb = file(o->devicetree);
            if (!o->uname.empty()) in.uname = Bytes(o->uname.begin(), o->uname.end());
            in.splash = file(o->splash);
            in.ucode = file(o->microcode);
            for (const auto& s : o->sbat) {
              Bytes b = text_or_file(s);
              in.sbat.emplace_back(b.begin(), b.end());
            }
            for (const auto& spec : o->sections) {
              const size_t colon = spec.find(':');
              if (colon == std::string::npos || colon == 0)
                throw_usage("--section " + spec + ": expected NAME:TEXT or NAME:@FILE");
              in.extra_sections.push_back(
                  {spec.substr(0, colon), text_or_file(spec.substr(colon + 1))});
            }
            if (o->public_keys.size() > o->private_keys.size())
              throw_usage("more --pcr-public-key than --pcr-private-key");
            if (o->phases.size() > o->private_keys.size())
              throw_usage("more --phases than --pcr-private-key");
            for (size_t i = 0; i < o->private_keys.size(); ++i) {
              UkiSigner s{SigningKey::load(o->private_keys[i]), {}};
              if (i < o->public_keys.size() &&
                  !(PublicKey::load_pem(o->public_keys[i]) == s.key.public_key()))
                throw_bad_input("not the public key of " + o->private_keys[i], o->public_keys[i]);
              if (i < o->phases.size()) s.phases = split_words(o->phases[i]);
              in.signers.push_back(std::move(s));
            }
            // ukify's rule for the embedded key.
            if (!o->pcrpkey.empty()) {
              in.pcrpkey = read_bytes(o->pcrpkey);
            } else if (o->public_keys.size() == 1) {
              in.pcrpkey = read_bytes(o->public_keys[0]);
            } else if (o->private_keys.size() == 1) {
              const std::string pem = in.signers[0].key.public_key().pem();
              in.pcrpkey = Bytes(pem.begin(), pem.end());
            }
            in.banks = parse_banks(o->banks);
            const Bytes uki = assemble_uki(in);
            emit(o->output, std::string(uki.begin(), uki.end()));
            return 0;
          }};
}

const CommandRegistrar registered(11, add_uki);

}  // namespace

}  // namespace integral::cli
