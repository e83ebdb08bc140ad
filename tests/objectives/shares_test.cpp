// The text form of the training mixture (objectives/shares.hpp): parsed over the paper's values,
// written canonically so a resumed run can compare it as text, and refused with the item named.
#include <catch2/catch.hpp>

#include "mvg/objectives/shares.hpp"

using namespace mvg::objectives;
using Catch::Contains;

TEST_CASE("kind shares: over the paper's, canonical text, errors that name the item", "[objectives]") {
  const auto paper = parse_ar_shares("", "--ar-share");
  CHECK(paper == hybrid_options{}.p_autoregressive);
  CHECK(format_kind_shares(paper) == "segmentation=1,denoising=0.1,inpainting=0.1,synthesis=0.1");
  const auto ar = parse_ar_shares("denoising=1,synthesis=1", "--ar-share");
  CHECK(format_kind_shares(ar) == "segmentation=1,denoising=1,inpainting=0.1,synthesis=1");
  // The same mixture written two ways stores the same text.
  CHECK(format_kind_shares(parse_ar_shares("synthesis=1.0,denoising=1", "x")) == format_kind_shares(ar));
  CHECK(format_kind_shares(parse_kind_shares(format_kind_shares(ar), {}, "x")) == format_kind_shares(ar));
  CHECK_THROWS_WITH(parse_ar_shares("denoising=2", "--ar-share"), Contains("--ar-share") && Contains("'denoising=2'"));
  CHECK_THROWS_WITH(parse_ar_shares("bones=0.5", "--ar-share"), Contains("'bones=0.5'"));
  CHECK_THROWS_WITH(parse_ar_shares("segmentation", "--ar-share"), Contains("KIND=FRACTION"));
  CHECK_THROWS_WITH(parse_task_shares("segmentation=0,denoising=0,inpainting=0,synthesis=0", "--task-share"),
                    Contains("every task kind a share of 0"));
}

TEST_CASE("set weights: sorted canonical text, weights >= 0", "[objectives]") {
  const auto w = parse_set_weights("S3=3,S2-regions=2.5", "--set-weights");
  REQUIRE(w.size() == 2);
  CHECK(w.at("S3") == 3.0);
  CHECK(format_set_weights(w) == "S2-regions=2.5,S3=3");
  CHECK(format_set_weights(parse_set_weights("", "x")).empty());
  CHECK_THROWS_WITH(parse_set_weights("S3=-1", "--set-weights"), Contains("--set-weights") && Contains("'S3=-1'"));
  CHECK_THROWS_WITH(parse_set_weights("S3=inf", "--set-weights"), Contains("'S3=inf'"));
}
