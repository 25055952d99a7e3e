#include "integral/util/temp_dir.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "integral/util/error.h"

namespace integral {

TempDir::TempDir(const std::filesystem::path& parent, const std::string& prefix) {
  std::string tmpl = (parent / (prefix + "XXXXXX")).string();
  if (!::mkdtemp(tmpl.data()))
    throw Error(ExitCode::kEnvironment, fmt::format("cannot create a directory in {}: {}",
                                                    parent.string(), std::strerror(errno)));
  path_ = tmpl;
}

TempDir::TempDir(const std::string& prefix)
    : TempDir(std::filesystem::temp_directory_path(), prefix) {}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;  // best effort: a destructor must not throw
  std::filesystem::remove_all(path_, ec);
}

}  // namespace integral
