// The web page of `trend app` (web/: HTML, CSS, scripts and Chart.js from npm), built into the
// executable so the server is one file to deploy.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace trend {

struct WebAsset {
  std::string_view content_type;
  std::shared_ptr<const std::string> body;  // shared: responses send it without a copy
};

// "/" is the page; "/assets/<name>" the rest. nullptr for anything else.
const WebAsset* FindWebAsset(std::string_view path);

}  // namespace trend
