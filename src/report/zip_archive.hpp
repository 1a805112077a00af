// Several export files as one download: a zip archive (libzip), files stored under their own
// names, with the deflate level the archive tools default to.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace trend {

// The archive's bytes. Throws InputError naming the file that could not be added.
std::string ZipFiles(const std::vector<std::filesystem::path>& files);

}  // namespace trend
