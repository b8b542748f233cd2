// Mapping URL paths to files under the web root, refusing anything outside it.
#pragma once

#include "common/result.hpp"

#include <string>

namespace mp::signal {

// The file to serve for an (unescaped) URL path: "/" and directories map to
// index.html. Errors are HTTP statuses: 403 for paths that try to leave the
// root, 404 for what is not there.
Result<std::string, int> static_file_path(const std::string& root, const std::string& url_path);

const char* content_type_for(const std::string& path);

}  // namespace mp::signal
