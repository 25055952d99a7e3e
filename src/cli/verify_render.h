// integral verify's reports as text or JSON (the checks themselves are predict/verify).
#pragma once

#include <string>
#include <vector>

#include "integral/predict/verify.h"
#include "integral/reference/ima_policy.h"

namespace integral::cli {

struct VerifyOpts {
  std::string expect, pcrs, select, log, format = "auto", boot_log, padded, ima_bank;
  std::string bundle, signature, ima_policy;
  std::vector<std::string> quirks, require_keys;
  bool json = false, check_digests = false;
};

// Each returns the whole output: the JSON document or the text report, ending in the verdict.
std::string render_log_verification(const LogVerification& v, const VerifyOpts& o);
std::string render_ima_verification(const ImaVerification& v, const VerifyOpts& o);
std::string render_ima_policy_check(const ImaPolicyCheck& c, const VerifyOpts& o);

}  // namespace integral::cli
