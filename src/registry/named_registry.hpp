// A registry of implementations of one interface, created by name. Selection models and
// weighting schemes register here; the pipeline proxy and plugins copy a registry and add or
// override entries, so no global state is ever mutated.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace trend {

template <typename Interface>
class NamedRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Interface>()>;

  void Register(const std::string& name, Factory factory) { factories_[name] = std::move(factory); }

  // nullptr when nothing is registered under `name`.
  std::unique_ptr<Interface> Create(const std::string& name) const {
    const auto it = factories_.find(name);
    return it == factories_.end() ? nullptr : it->second();
  }

  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& entry : factories_) names.push_back(entry.first);
    return names;
  }

 private:
  std::map<std::string, Factory> factories_;
};

}  // namespace trend
