// The OpenSSL digest behind a HashAlg (internal to crypto/).
#pragma once

#include <openssl/evp.h>

#include "integral/crypto/hash_alg.h"

namespace integral {

// Fetched once per algorithm and cached; nullptr when OpenSSL lacks it.
const EVP_MD* evp_md(HashAlg alg);

}  // namespace integral
