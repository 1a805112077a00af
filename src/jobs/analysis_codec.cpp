#include "jobs/analysis_codec.hpp"

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <type_traits>

namespace trend::jobs {
namespace {

// Bumped whenever AnalysisResult's fields change.
constexpr std::uint32_t kVersion = 1;

class Writer {
 public:
  template <typename T>
  void Raw(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* bytes = reinterpret_cast<const char*>(&value);
    out_.append(bytes, sizeof value);
  }
  void Size(std::size_t n) { Raw(static_cast<std::uint64_t>(n)); }
  void Text(const std::string& s) {
    Size(s.size());
    out_ += s;
  }
  void Texts(const std::vector<std::string>& v) {
    Size(v.size());
    for (const auto& s : v) Text(s);
  }
  void Doubles(const std::vector<double>& v) {
    Size(v.size());
    Bytes(v.data(), v.size() * sizeof(double));
  }
  void Matrix(const Eigen::MatrixXd& m) {
    Size(static_cast<std::size_t>(m.rows()));
    Size(static_cast<std::size_t>(m.cols()));
    Bytes(m.data(), static_cast<std::size_t>(m.size()) * sizeof(double));
  }
  void Vector(const Eigen::VectorXd& v) {
    Size(static_cast<std::size_t>(v.size()));
    Bytes(v.data(), static_cast<std::size_t>(v.size()) * sizeof(double));
  }
  void Dates(const std::vector<Date>& v) {
    Size(v.size());
    for (const auto& d : v) Raw(d.days);
  }
  void StatsList(const std::vector<Stats>& v) {
    Size(v.size());
    for (const auto& s : v) Raw(s);
  }
  void Optional(const std::optional<double>& v) {
    Raw(static_cast<std::uint8_t>(v.has_value()));
    if (v) Raw(*v);
  }
  std::string Take() { return std::move(out_); }

 private:
  void Bytes(const void* data, std::size_t n) {
    if (n > 0) out_.append(static_cast<const char*>(data), n);
  }
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  T Raw() {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    std::memcpy(&value, Take(sizeof value), sizeof value);
    return value;
  }
  std::size_t Size() {
    const auto n = Raw<std::uint64_t>();
    if (n > in_.size()) throw std::invalid_argument("encoded analysis: a length past the end");
    return static_cast<std::size_t>(n);
  }
  std::string Text() {
    const std::size_t n = Size();
    return std::string(Take(n), n);
  }
  std::vector<std::string> Texts() {
    std::vector<std::string> v(Size());
    for (auto& s : v) s = Text();
    return v;
  }
  std::vector<double> Doubles() {
    std::vector<double> v(Size());
    CopyTo(v.data(), v.size() * sizeof(double));
    return v;
  }
  Eigen::MatrixXd Matrix() {
    const std::size_t rows = Size(), cols = Size();
    if (rows != 0 && cols > in_.size() / rows)
      throw std::invalid_argument("encoded analysis: a matrix past the end");
    Eigen::MatrixXd m(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    CopyTo(m.data(), rows * cols * sizeof(double));
    return m;
  }
  Eigen::VectorXd Vector() {
    const std::size_t n = Size();
    Eigen::VectorXd v(static_cast<Eigen::Index>(n));
    CopyTo(v.data(), n * sizeof(double));
    return v;
  }
  std::vector<Date> Dates() {
    std::vector<Date> v(Size());
    for (auto& d : v) d.days = Raw<std::int32_t>();
    return v;
  }
  std::vector<Stats> StatsList() {
    std::vector<Stats> v(Size());
    for (auto& s : v) s = Raw<Stats>();
    return v;
  }
  std::optional<double> Optional() {
    if (Raw<std::uint8_t>() == 0) return std::nullopt;
    return Raw<double>();
  }
  bool AtEnd() const { return in_.empty(); }

 private:
  // Empty vectors and matrices have no storage (a null pointer memcpy must not be given).
  void CopyTo(void* destination, std::size_t n) {
    const char* source = Take(n);
    if (n > 0) std::memcpy(destination, source, n);
  }
  const char* Take(std::size_t n) {
    if (n > in_.size()) throw std::invalid_argument("encoded analysis: truncated");
    const char* p = in_.data();
    in_.remove_prefix(n);
    return p;
  }
  std::string_view in_;
};

static_assert(std::is_trivially_copyable_v<Stats>);

}  // namespace

std::string EncodeAnalysis(const AnalysisResult& r) {
  Writer w;
  w.Raw(kVersion);
  w.Dates(r.in_dates);
  w.Dates(r.out_dates);
  for (int month : {r.in_start_month, r.in_end_month, r.out_start_month, r.out_end_month})
    w.Raw(month);
  w.Texts(r.universe);
  w.Texts(r.selected_funds);
  w.Text(r.risk_free_column);
  w.Text(r.risk_free_source);
  w.Texts(r.accepted_indices);
  w.Doubles(r.fund_weights);
  w.Doubles(r.ew_weights);
  w.Raw(static_cast<std::uint8_t>(r.weight_engine_fallback.has_value()));
  if (r.weight_engine_fallback) {
    w.Text(r.weight_engine_fallback->engine);
    w.Text(r.weight_engine_fallback->error);
  }
  w.Texts(r.warnings);
  w.Doubles(r.scale_factors);
  w.Doubles(r.asset_volatility_last);
  w.Raw(r.portfolio_volatility_last);
  w.Raw(r.turnover_value);
  w.Raw(static_cast<std::uint8_t>(r.used_fallback_weights));
  w.Matrix(r.in_scaled);
  w.Matrix(r.out_scaled);
  for (const Eigen::VectorXd* v :
       {&r.in_ew, &r.in_user, &r.out_ew, &r.out_user, &r.in_rf, &r.out_rf})
    w.Vector(*v);
  w.StatsList(r.in_sample_stats);
  w.StatsList(r.out_sample_stats);
  w.StatsList(r.out_sample_stats_raw);
  for (const Stats* s : {&r.in_ew_stats, &r.out_ew_stats, &r.out_ew_stats_raw, &r.in_user_stats,
                         &r.out_user_stats, &r.out_user_stats_raw})
    w.Raw(*s);
  w.Size(r.benchmarks.size());
  for (const auto& b : r.benchmarks) {
    w.Text(b.label);
    w.Text(b.column);
    w.Raw(b.in_sample);
    w.Raw(b.out_sample);
    w.Doubles(b.fund_ir);
    w.Raw(b.equal_weight_ir);
    w.Raw(b.user_weight_ir);
  }
  w.Texts(r.score_metrics);
  w.Matrix(r.score_frame);
  w.Raw(static_cast<std::uint8_t>(r.regime.has_value()));
  if (r.regime) {
    w.Size(r.regime->cells.size());
    for (const auto& cell : r.regime->cells) {
      w.Text(cell.column);
      for (const auto* v : {&cell.cagr, &cell.sharpe, &cell.max_drawdown, &cell.hit_rate})
        w.Optional(*v);
      w.Raw(cell.observations);
    }
  }
  w.Raw(r.input_frequency);
  w.Raw(static_cast<std::uint8_t>(r.resampled));
  return w.Take();
}

AnalysisResult DecodeAnalysis(std::string_view bytes) {
  Reader in(bytes);
  if (in.Raw<std::uint32_t>() != kVersion)
    throw std::invalid_argument("encoded analysis: another version (client and worker differ)");
  AnalysisResult r;
  r.in_dates = in.Dates();
  r.out_dates = in.Dates();
  for (int* month : {&r.in_start_month, &r.in_end_month, &r.out_start_month, &r.out_end_month})
    *month = in.Raw<int>();
  r.universe = in.Texts();
  r.selected_funds = in.Texts();
  r.risk_free_column = in.Text();
  r.risk_free_source = in.Text();
  r.accepted_indices = in.Texts();
  r.fund_weights = in.Doubles();
  r.ew_weights = in.Doubles();
  if (in.Raw<std::uint8_t>() != 0) {
    WeightEngineFallback fallback;
    fallback.engine = in.Text();
    fallback.error = in.Text();
    r.weight_engine_fallback = std::move(fallback);
  }
  r.warnings = in.Texts();
  r.scale_factors = in.Doubles();
  r.asset_volatility_last = in.Doubles();
  r.portfolio_volatility_last = in.Raw<double>();
  r.turnover_value = in.Raw<double>();
  r.used_fallback_weights = in.Raw<std::uint8_t>() != 0;
  r.in_scaled = in.Matrix();
  r.out_scaled = in.Matrix();
  for (Eigen::VectorXd* v : {&r.in_ew, &r.in_user, &r.out_ew, &r.out_user, &r.in_rf, &r.out_rf})
    *v = in.Vector();
  r.in_sample_stats = in.StatsList();
  r.out_sample_stats = in.StatsList();
  r.out_sample_stats_raw = in.StatsList();
  for (Stats* s : {&r.in_ew_stats, &r.out_ew_stats, &r.out_ew_stats_raw, &r.in_user_stats,
                   &r.out_user_stats, &r.out_user_stats_raw})
    *s = in.Raw<Stats>();
  r.benchmarks.resize(in.Size());
  for (auto& b : r.benchmarks) {
    b.label = in.Text();
    b.column = in.Text();
    b.in_sample = in.Raw<Stats>();
    b.out_sample = in.Raw<Stats>();
    b.fund_ir = in.Doubles();
    b.equal_weight_ir = in.Raw<double>();
    b.user_weight_ir = in.Raw<double>();
  }
  r.score_metrics = in.Texts();
  r.score_frame = in.Matrix();
  if (in.Raw<std::uint8_t>() != 0) {
    RegimeTable table;
    table.cells.resize(in.Size());
    for (auto& cell : table.cells) {
      cell.column = in.Text();
      for (auto* v : {&cell.cagr, &cell.sharpe, &cell.max_drawdown, &cell.hit_rate})
        *v = in.Optional();
      cell.observations = in.Raw<double>();
    }
    r.regime = std::move(table);
  }
  r.input_frequency = in.Raw<Frequency>();
  r.resampled = in.Raw<std::uint8_t>() != 0;
  if (!in.AtEnd()) throw std::invalid_argument("encoded analysis: bytes after the end");
  return r;
}

}  // namespace trend::jobs
