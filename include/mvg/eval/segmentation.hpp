// mvg/eval/segmentation.hpp: segmentation scores over a whole test set (SPEC §7).
// Contract: a confusion_matrix accumulates every slice of a test set (rows = truth, cols = prediction);
// IoU_c = TP/(TP+FP+FN) and Dice_c = 2TP/(2TP+FP+FN); mIoU and mean Dice average the foreground classes
// (c ≥ 1) present in the truth or the prediction anywhere in the set. A set where no foreground class
// occurs scores NaN (nothing to average) rather than a flattering 1. Label values ≥ n_classes throw.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "mvg/core/error.hpp"

namespace mvg::eval {

class confusion_matrix {
public:
  explicit confusion_matrix(std::size_t n_classes) : n_(n_classes), m_(n_classes * n_classes, 0) {
    MVG_CHECK(n_classes >= 2, "confusion_matrix: need ≥ 2 classes (background + one), got ", n_classes);
  }
  std::size_t classes() const { return n_; }
  std::uint64_t at(std::size_t truth, std::size_t pred) const { return m_[truth * n_ + pred]; }

  // Any two containers of integer labels with equal size (xtensor arrays, vectors, …).
  template <class P, class T>
  void add(const P& prediction, const T& truth) {
    MVG_CHECK(prediction.size() == truth.size(), "confusion_matrix::add: prediction has ", prediction.size(),
              " pixels, truth ", truth.size());
    auto p = prediction.begin();
    for (auto t = truth.begin(); t != truth.end(); ++t, ++p) {
      const auto tv = static_cast<long long>(*t), pv = static_cast<long long>(*p);
      MVG_CHECK(tv >= 0 && pv >= 0 && static_cast<std::size_t>(tv) < n_ && static_cast<std::size_t>(pv) < n_,
                "confusion_matrix::add: label ", tv, " / prediction ", pv, " outside 0..", n_ - 1);
      ++m_[static_cast<std::size_t>(tv) * n_ + static_cast<std::size_t>(pv)];
    }
  }
  void merge(const confusion_matrix& o) {
    MVG_CHECK(o.n_ == n_, "confusion_matrix::merge: class counts differ");
    for (std::size_t i = 0; i < m_.size(); ++i) m_[i] += o.m_[i];
  }

  std::uint64_t true_positive(std::size_t c) const { return at(c, c); }
  std::uint64_t false_positive(std::size_t c) const { return column(c) - at(c, c); }
  std::uint64_t false_negative(std::size_t c) const { return row(c) - at(c, c); }
  bool present(std::size_t c) const { return row(c) + column(c) > 0; }

  double iou(std::size_t c) const {
    const double d = double(true_positive(c) + false_positive(c) + false_negative(c));
    return d > 0 ? double(true_positive(c)) / d : std::numeric_limits<double>::quiet_NaN();
  }
  double dice(std::size_t c) const {
    const double d = double(2 * true_positive(c) + false_positive(c) + false_negative(c));
    return d > 0 ? 2.0 * double(true_positive(c)) / d : std::numeric_limits<double>::quiet_NaN();
  }
  double mean_iou() const { return mean([this](std::size_t c) { return iou(c); }); }
  double mean_dice() const { return mean([this](std::size_t c) { return dice(c); }); }
  // Foreground classes that count in the means.
  std::vector<std::size_t> present_classes() const {
    std::vector<std::size_t> out;
    for (std::size_t c = 1; c < n_; ++c)
      if (present(c)) out.push_back(c);
    return out;
  }
  double pixel_accuracy() const {
    std::uint64_t diag = 0, all = 0;
    for (std::size_t c = 0; c < n_; ++c) diag += at(c, c), all += row(c);
    return all ? double(diag) / double(all) : std::numeric_limits<double>::quiet_NaN();
  }

private:
  std::uint64_t row(std::size_t c) const {
    std::uint64_t s = 0;
    for (std::size_t j = 0; j < n_; ++j) s += at(c, j);
    return s;
  }
  std::uint64_t column(std::size_t c) const {
    std::uint64_t s = 0;
    for (std::size_t i = 0; i < n_; ++i) s += at(i, c);
    return s;
  }
  template <class F>
  double mean(F score) const {
    double sum = 0;
    std::size_t k = 0;
    for (std::size_t c : present_classes()) sum += score(c), ++k;
    return k ? sum / double(k) : std::numeric_limits<double>::quiet_NaN();
  }

  std::size_t n_;
  std::vector<std::uint64_t> m_;
};

}  // namespace mvg::eval
