#include "server/environment_variable.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace trend {
namespace {

// Each case checks Get() against getenv after every kind of change to the environment.
class EnvironmentVariableTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv(kName);
    unsetenv("TREND_TEST_OTHER_A");
    unsetenv("TREND_TEST_OTHER_B");
  }
  void ExpectAgrees(const EnvironmentVariable& variable) {
    const char* expected = std::getenv(kName);
    const char* actual = variable.Get();
    ASSERT_EQ(expected == nullptr, actual == nullptr);
    if (expected != nullptr) {
      EXPECT_STREQ(actual, expected);
    }
  }
  static constexpr const char* kName = "TREND_TEST_ENVIRONMENT_VARIABLE";
};

TEST_F(EnvironmentVariableTest, FollowsSetReplaceAndUnset) {
  const EnvironmentVariable variable(kName);
  unsetenv(kName);
  ExpectAgrees(variable);
  setenv(kName, "1", 1);
  ExpectAgrees(variable);
  ExpectAgrees(variable);  // the cached path
  setenv(kName, "0", 1);
  ExpectAgrees(variable);
  setenv(kName, "1", 1);  // glibc may hand back the same string as the first time
  ExpectAgrees(variable);
  unsetenv(kName);
  ExpectAgrees(variable);
  ExpectAgrees(variable);
}

TEST_F(EnvironmentVariableTest, FollowsChangesToOtherVariables) {
  const EnvironmentVariable variable(kName);
  setenv(kName, "yes", 1);
  ExpectAgrees(variable);
  setenv("TREND_TEST_OTHER_A", "a", 1);  // appended after it
  ExpectAgrees(variable);
  unsetenv(kName);
  setenv("TREND_TEST_OTHER_B", "b", 1);
  ExpectAgrees(variable);
  // Absent, then one variable removed and ours added: the count is unchanged.
  unsetenv("TREND_TEST_OTHER_A");
  setenv(kName, "on", 1);
  ExpectAgrees(variable);
  // Present, then a variable before it removed: the array shifts under it.
  unsetenv("TREND_TEST_OTHER_B");
  ExpectAgrees(variable);
  unsetenv(kName);
  ExpectAgrees(variable);
}

TEST_F(EnvironmentVariableTest, SeesAPutenvBufferEditedInPlace) {
  const EnvironmentVariable variable(kName);
  static char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s=true", kName);
  putenv(buffer);
  ExpectAgrees(variable);
  std::memcpy(buffer + std::strlen(kName) + 1, "off\0", 5);
  ExpectAgrees(variable);
  EXPECT_STREQ(variable.Get(), "off");
  unsetenv(kName);
  ExpectAgrees(variable);
}

TEST_F(EnvironmentVariableTest, ClearedEnvironment) {
  const EnvironmentVariable variable(kName);
  setenv(kName, "1", 1);
  ExpectAgrees(variable);
  // Restore afterwards: other tests and the sanitizers read the environment.
  char** saved = environ;
  environ = nullptr;
  EXPECT_EQ(variable.Get(), nullptr);
  environ = saved;
  ExpectAgrees(variable);
}

}  // namespace
}  // namespace trend
