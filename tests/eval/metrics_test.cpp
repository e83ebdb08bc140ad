// Metrics against tests/reference/metrics_reference.json (scikit-image 0.19 / numpy, written by
// tests/reference/make_metrics_reference.py) and against cases worked by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>
#include <xtensor/xtensor.hpp>

#include "mvg/core/random.hpp"
#include "mvg/eval/image_metrics.hpp"
#include "mvg/eval/segmentation.hpp"

namespace {

nlohmann::json reference() {
  std::ifstream in(std::string(MVG_SOURCE_DIR) + "/tests/reference/metrics_reference.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

template <class T>
xt::xtensor<T, 2> grid(const nlohmann::json& rows) {
  const std::size_t h = rows.size(), w = rows.at(0).size();
  xt::xtensor<T, 2> out = xt::xtensor<T, 2>::from_shape({h, w});
  for (std::size_t r = 0; r < h; ++r)
    for (std::size_t c = 0; c < w; ++c) out(r, c) = rows[r][c].get<T>();
  return out;
}

}  // namespace

TEST_CASE("MAE, PSNR and SSIM match scikit-image to 1e-5", "[eval]") {
  const auto ref = reference();
  REQUIRE(ref.at("images").size() >= 5);
  for (const auto& c : ref.at("images")) {
    const auto a = grid<double>(c.at("a")), b = grid<double>(c.at("b"));
    INFO("image " << a.shape()[0] << "x" << a.shape()[1]);
    CHECK(mvg::eval::mae(a, b) == Approx(c.at("mae").get<double>()).margin(1e-5));
    CHECK(mvg::eval::psnr(a, b) == Approx(c.at("psnr").get<double>()).margin(1e-5));
    CHECK(mvg::eval::ssim(a, b) == Approx(c.at("ssim").get<double>()).margin(1e-5));
    // float32 inputs (what the model produces) stay within 1e-5 too
    const xt::xtensor<float, 2> af = a, bf = b;
    CHECK(mvg::eval::ssim(af, bf) == Approx(c.at("ssim").get<double>()).margin(1e-5));
  }
}

TEST_CASE("set-level mIoU and Dice match numpy's confusion-matrix reference to 1e-5", "[eval]") {
  const auto ref = reference();
  for (const auto& s : ref.at("segmentation")) {
    mvg::eval::confusion_matrix cm(s.at("classes").get<std::size_t>());
    for (std::size_t i = 0; i < s.at("truth").size(); ++i)
      cm.add(grid<int>(s.at("prediction")[i]), grid<int>(s.at("truth")[i]));
    INFO("classes " << cm.classes());
    CHECK(cm.mean_iou() == Approx(s.at("miou").get<double>()).margin(1e-5));
    CHECK(cm.mean_dice() == Approx(s.at("dice").get<double>()).margin(1e-5));
    CHECK(cm.present_classes() == s.at("present").get<std::vector<std::size_t>>());
  }
}

TEST_CASE("mIoU pools pixels over the set rather than averaging per image", "[eval]") {
  // slice 1: class 1 perfect on 1 pixel; slice 2: class 1 wrong on 3 of 4 pixels.
  mvg::eval::confusion_matrix cm(2);
  cm.add(std::vector<int>{1, 0, 0, 0}, std::vector<int>{1, 0, 0, 0});
  cm.add(std::vector<int>{1, 0, 0, 0}, std::vector<int>{1, 1, 1, 1});
  CHECK(cm.iou(1) == Approx(2.0 / 5.0));           // pooled: TP 2, FN 3
  CHECK(cm.mean_iou() == Approx(2.0 / 5.0));       // per-image mean would be (1 + 0.25) / 2
  CHECK(cm.dice(1) == Approx(4.0 / 7.0));
  CHECK(cm.pixel_accuracy() == Approx(5.0 / 8.0));
}

TEST_CASE("classes absent from truth and prediction do not count, an empty set is NaN", "[eval]") {
  mvg::eval::confusion_matrix cm(4);
  cm.add(std::vector<int>{0, 1, 1, 3}, std::vector<int>{0, 1, 1, 0});
  CHECK(cm.present_classes() == std::vector<std::size_t>{1, 3});
  CHECK(cm.mean_iou() == Approx((1.0 + 0.0) / 2));
  mvg::eval::confusion_matrix empty(3);
  empty.add(std::vector<int>{0, 0}, std::vector<int>{0, 0});
  CHECK(std::isnan(empty.mean_iou()));
  CHECK_THROWS_WITH(cm.add(std::vector<int>{4}, std::vector<int>{0}), Catch::Contains("outside 0..3"));
  CHECK_THROWS_WITH(cm.add(std::vector<int>{1, 2}, std::vector<int>{0}), Catch::Contains("pixels"));
}

TEST_CASE("image metrics: identities, masks and bad shapes", "[eval]") {
  mvg::rng g(7);
  xt::xtensor<float, 2> a = xt::xtensor<float, 2>::from_shape({16, 16});
  for (auto& v : a) v = static_cast<float>(g.uniform());
  CHECK(mvg::eval::ssim(a, a) == Approx(1.0).margin(1e-12));
  CHECK(std::isinf(mvg::eval::psnr(a, a)));
  xt::xtensor<float, 2> b = a + 0.1f;
  CHECK(mvg::eval::mae(a, b) == Approx(0.1).margin(1e-6));
  CHECK(mvg::eval::psnr(a, b) == Approx(20.0).margin(1e-4));  // MSE 0.01
  xt::xtensor<std::uint8_t, 2> mask = xt::zeros<std::uint8_t>({16, 16});
  mask(3, 4) = 1;
  xt::xtensor<float, 2> c = a;
  c(3, 4) += 0.5f;
  CHECK(mvg::eval::mae(a, c, mask) == Approx(0.5).margin(1e-6));
  CHECK(mvg::eval::mae(a, c) == Approx(0.5 / 256).margin(1e-7));
  CHECK(mvg::eval::psnr(a, c, mask) == Approx(10 * std::log10(4.0)).margin(1e-4));
  CHECK(mvg::eval::ssim(a, c, mask) < 1.0);
  xt::xtensor<float, 2> small = xt::zeros<float>({8, 8});
  CHECK_THROWS_WITH(mvg::eval::ssim(small, small), Catch::Contains("11×11"));
  xt::xtensor<float, 2> other = xt::zeros<float>({16, 15});
  CHECK_THROWS_WITH(mvg::eval::mae(a, other), Catch::Contains("differ"));
  mvg::eval::image_scores s;
  s.add(a, b);
  s.add(a, b);
  CHECK(s.count() == 2);
  CHECK(s.mean_psnr() == Approx(20.0).margin(1e-4));
}
