// A user's dataset in the Decathlon / nnU-Net raw layout (mvg/data/benchmark/decathlon.hpp): both
// dataset.json dialects, the committed subject split, the foreground-slice rule, the modality's
// intensity scaling, and prompts from other subjects at the query's relative slice position.
#include "data/support.hpp"

#include <mvg/data/benchmark/decathlon.hpp>
#include <mvg/data/prompts.hpp>
#include <mvg/objectives/task_sampler.hpp>

namespace fs = std::filesystem;
using namespace mvg;

namespace {

// A 16×16×depth subject: intensity ramps with the slice; class 1 a box on every slice from depth/4 on,
// class 2 a smaller box on the top half.
void write_subject(const fs::path& image, const fs::path& label, std::size_t depth, float scale) {
  xt::xarray<float> v = xt::zeros<float>({std::size_t(16), std::size_t(16), depth});
  xt::xarray<float> l = xt::zeros<float>({std::size_t(16), std::size_t(16), depth});
  for (std::size_t i = 0; i < 16; ++i)
    for (std::size_t j = 0; j < 16; ++j)
      for (std::size_t k = 0; k < depth; ++k) {
        v(i, j, k) = scale * float(i + j + k);
        if (k >= depth / 4 && i >= 4 && i < 12 && j >= 4 && j < 12) l(i, j, k) = 1;
        if (k >= depth / 2 && i >= 6 && i < 10 && j >= 6 && j < 10) l(i, j, k) = 2;
      }
  data::write_nifti(image, v);
  data::write_nifti(label, l, data::identity_affine(), data::nifti_dtype::uint8);
}

// nnU-Net v2 layout: no training list, images named <case>_0000.nii.gz, labels as name → id.
fs::path v2_dataset(const fs::path& root, const std::vector<std::pair<std::string, std::size_t>>& cases) {
  const fs::path ds = root / "Dataset002_Boxes";
  fs::create_directories(ds / "imagesTr"), fs::create_directories(ds / "labelsTr");
  for (const auto& [id, depth] : cases)
    write_subject(ds / "imagesTr" / (id + "_0000.nii.gz"), ds / "labelsTr" / (id + ".nii.gz"), depth,
                  1.f + float(depth) / 10.f);
  std::ofstream(ds / "labelsTr" / "._case0.nii.gz") << "macOS resource fork";  // skipped, never read
  std::ofstream(ds / "dataset.json") << R"({"channel_names": {"0": "CT"},
    "labels": {"background": 0, "outer": 1, "inner": 2}, "numTraining": 4, "file_ending": ".nii.gz"})";
  return ds;
}

}  // namespace

TEST_CASE("decathlon: nnU-Net v2's dataset.json, the committed split and the foreground-slice rule",
          "[data][decathlon]") {
  mvg_test::scratch s("decathlon_v2");
  const std::vector<std::pair<std::string, std::size_t>> cases{{"case0", 20}, {"case1", 24}, {"case2", 16},
                                                              {"case3", 28}, {"case4", 20}, {"case5", 12}};
  const fs::path ds = v2_dataset(s.dir, cases);
  const auto d = data::read_decathlon(ds);
  CHECK(d.name == "Dataset002_Boxes");
  CHECK(d.is_ct());
  CHECK(d.classes == std::vector<std::string>{"background", "outer", "inner"});
  REQUIRE(d.training.size() == 6);
  CHECK(d.training[0].id == "case0");
  CHECK(d.training[0].image.filename() == "case0_0000.nii.gz");

  // The rule is a hash of the id: the same subjects every time, whoever runs it.
  const auto val = data::decathlon_validation(d, 5);
  std::size_t n_val = 0;
  for (std::size_t i = 0; i < val.size(); ++i) {
    CHECK(val[i] == (data::detail::fnv1a(d.training[i].id) % 5 == 0));
    n_val += val[i];
  }
  const auto set = data::load_decathlon_set(d, {.image_size = 16});
  CHECK(set.volumes.size() == 6);
  CHECK(set.volume_depth == std::vector<std::size_t>{20, 24, 16, 28, 20, 12});
  CHECK(set.across_subjects());
  // Tasks: one per class, and the multi-class one named after the set.
  REQUIRE(set.tasks.size() == 3);
  CHECK(set.tasks[0].name == "outer");
  CHECK(set.tasks[1].name == "inner");
  CHECK(set.tasks[2].name == "Dataset002_Boxes");
  std::size_t outer = 0;
  for (const auto& [id, depth] : cases) outer += depth - depth / 4;
  CHECK(set.tasks[0].train.size() + set.tasks[0].test.size() == outer);  // every slice with the box, no other
  for (const auto& smp : set.tasks[0].train) {
    CHECK_FALSE(val[smp.volume]);
    CHECK(smp.slice >= set.volume_depth[smp.volume] / 4);
  }
  for (const auto& smp : set.tasks[0].test) CHECK(val[smp.volume]);
  CHECK(set.tasks[0].test.empty() == (n_val == 0));
  // CT: the soft-tissue window, [-100, 200] HU → [0, 1].
  const auto& first = set.images.at(set.tasks[0].train.front().image);
  CHECK(*std::max_element(first.begin(), first.end()) <= 1.f);
  CHECK(*std::min_element(first.begin(), first.end()) >= 0.f);
}

TEST_CASE("decathlon: prompts come from other subjects at the query's relative slice position",
          "[data][decathlon][prompts]") {
  mvg_test::scratch s("decathlon_prompts");
  const fs::path ds = v2_dataset(s.dir, {{"a", 20}, {"b", 30}, {"c", 10}});
  const auto set = data::load_decathlon_set(data::read_decathlon(ds), {.image_size = 16, .validation_every = 0});
  const auto& pool = set.task("outer").train;
  REQUIRE(pool.size() == 15 + 23 + 8);
  // Query: subject a's slice 11 of 20 (centre at 0.575) → b's slice 17 of 30 (0.583), c's 5 of 10 (0.55).
  std::size_t q = 0;
  while (!(pool[q].volume == 0 && pool[q].slice == 11)) ++q;
  const auto two = data::cross_subject_prompts(set, pool, pool[q], 2, [](std::vector<std::size_t>&) {});
  REQUIRE(two.size() == 2);
  for (std::size_t p : two) CHECK(pool[p].volume != 0);
  CHECK(pool[two[0]].volume == 1);
  CHECK(pool[two[0]].slice == 17);
  CHECK(pool[two[1]].volume == 2);
  CHECK(pool[two[1]].slice == 5);
  // More prompts than other subjects: the next nearest slices of the others, never the query's subject.
  const auto four = data::cross_subject_prompts(set, pool, pool[q], 4, [](std::vector<std::size_t>&) {});
  REQUIRE(four.size() == 4);
  for (std::size_t p : four) CHECK(pool[p].volume != 0);

  // The trainer's sampler takes the same rule (subjects in a random order).
  objectives::sampler_options so;
  so.prompt_pairs = 1;
  data::benchmark b;
  b.sets.push_back(set);
  const objectives::task_sampler sampler(b, data::image_task_set{}, so);
  rng g(3);
  for (int i = 0; i < 20; ++i) {
    const auto smp = sampler.draw(objectives::task_kind::segmentation, g);
    REQUIRE(smp.prompt_images.size() == 1);
    CHECK_FALSE(mvg_test::same(smp.prompt_images[0], smp.query));  // another subject's slice
  }
}

TEST_CASE("decathlon: bad datasets are refused naming dataset.json or the file and the field", "[data][decathlon]") {
  mvg_test::scratch s("decathlon_bad");
  const fs::path ds = v2_dataset(s.dir, {{"a", 8}, {"b", 8}});
  auto fails_with = [&](const std::string& json, const std::string& what) {
    std::ofstream(ds / "dataset.json") << json;
    REQUIRE_THROWS_WITH(data::load_decathlon_set(data::read_decathlon(ds)),
                        Catch::Contains("dataset.json") && Catch::Contains(what));
  };
  fails_with("{", "not valid JSON");
  fails_with(R"({"labels": {"0": "background", "1": "x"}})", "'modality'");
  fails_with(R"({"modality": {"0": "MRI"}, "labels": {"0": "background", "x": [1, 2]}})", "region lists");
  fails_with(R"({"modality": {"0": "MRI"}, "labels": {"0": "background", "300": "x"}})", "outside 0..255");
  fails_with(R"({"modality": {"0": "MRI"}, "labels": {"0": "background", "1": "x"},
                 "training": [{"image": "../escape.nii.gz", "label": "./labelsTr/a.nii.gz"}]})", "inside the dataset");
  // A label value dataset.json does not name.
  std::ofstream(ds / "dataset.json") << R"({"modality": {"0": "MRI"}, "labels": {"0": "background", "1": "x"}})";
  REQUIRE_THROWS_WITH(data::load_decathlon_set(data::read_decathlon(ds)),
                      Catch::Contains("labelsTr/a.nii.gz") && Catch::Contains("voxel value 2"));
}
