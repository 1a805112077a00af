#include "cli/stop_signals.hpp"

namespace trend {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

void OnStopSignal(int signal) {
  g_signal.store(signal);
  g_stop.store(true);
}

}  // namespace

StopSignals::StopSignals() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, &old_int_);
  ::sigaction(SIGTERM, &action, &old_term_);
}

StopSignals::~StopSignals() {
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
}

const std::atomic<bool>& StopSignals::flag() {
  return g_stop;
}

int StopSignals::signal() {
  return g_signal.load();
}

}  // namespace trend
