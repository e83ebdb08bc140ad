// Checkpoints: exact round trip, readable by the format's rules, and every bad file rejected with a
// message naming the file, the tensor and the problem — before any weight changes.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "support/backend_under_test.hpp"
#include "mvg/io/checkpoint.hpp"
#include "mvg/io/train_state.hpp"
#include "mvg/nn/model.hpp"

using namespace mvg;
namespace fs = std::filesystem;
using Catch::Contains;

namespace {
constexpr config small_cfg{.image_size = 16, .patch = 4, .embed_dim = 16, .depth = 4, .heads = 2, .mlp_ratio = 2,
                           .decoder_channels = 4};
using model_t = model<small_cfg, test_backend>;

std::string temp_dir() {
  auto d = fs::temp_directory_path() / ("mvg_ckpt_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d.string();
}
std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void spit(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

// Rewrites a file's JSON header through f (keeping the data block), with a correct length prefix.
void edit_header(const std::string& in, const std::string& out, const std::function<void(nlohmann::json&)>& f) {
  const std::string b = slurp(in);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(b[i]);
  auto j = nlohmann::json::parse(b.substr(8, n));
  f(j);
  std::string h = j.dump();
  h.append((8 - h.size() % 8) % 8, ' ');
  std::string len(8, '\0');
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((h.size() >> (8 * i)) & 0xff);
  spit(out, len + h + b.substr(8 + n));
}
}  // namespace

TEST_CASE("checkpoint round trip is exact and carries config + metadata", "[io]") {
  const std::string dir = temp_dir(), path = dir + "/model.safetensors";
  model_t a(1), b(2);
  io::save_checkpoint(path, a, {{"mvg.step", "42"}});
  REQUIRE_FALSE(fs::exists(path + ".tmp." + std::to_string(::getpid())));
  const auto md = io::load_checkpoint(path, b);
  REQUIRE(md.at("mvg.step") == "42");
  REQUIRE(md.at("mvg.format") == "1");
  REQUIRE(a.parameters().values().to_host() == b.parameters().values().to_host());
  // Names and layouts as SPEC §2 lists them.
  const auto f = io::safetensors_file::read(path);
  REQUIRE(f.at("patch_embed.proj.weight").dims == (shape{16, 1, 4, 4}));
  REQUIRE(f.at("pos_embed").dims == (shape{1, 16, 16}));
  REQUIRE(f.at("role_embed").dims == (shape{4, 16}));
  REQUIRE(f.at("mask_token").dims == (shape{1, 1, 16}));
  REQUIRE(f.at("blocks.3.attn.qkv.weight").dims == (shape{48, 16}));
  REQUIRE(f.at("blocks.3.mlp.fc1.bias").dims == (shape{32}));
  REQUIRE(f.at("decoder.embed.weight").dims == (shape{4 * 4 * 4, 64}));
  REQUIRE(f.at("decoder.conv1.weight").dims == (shape{4, 4, 3, 3}));
  REQUIRE(f.at("decoder.conv2.weight").dims == (shape{1, 4, 1, 1}));
  REQUIRE(f.entries().size() == a.parameters().size());
  fs::remove_all(dir);
}

TEST_CASE("bad checkpoints are rejected with clear errors and leave the model untouched", "[io][errors]") {
  const std::string dir = temp_dir(), good = dir + "/good.safetensors", bad = dir + "/bad.safetensors";
  model_t a(1), b(2);
  io::save_checkpoint(good, a);
  const auto before = b.parameters().values().to_host();
  auto expect_error = [&](const std::string& path, auto matcher) {
    REQUIRE_THROWS_WITH(io::load_checkpoint(path, b), matcher);
    REQUIRE(b.parameters().values().to_host() == before);
  };
  expect_error(dir + "/missing.safetensors", Contains("missing.safetensors") && Contains("cannot open"));
  const std::string bytes = slurp(good);
  spit(bad, bytes.substr(0, 5));
  expect_error(bad, Contains("too short"));
  spit(bad, bytes.substr(0, bytes.size() - 100));  // truncated data
  expect_error(bad, Contains("bad.safetensors") && Contains("outside the"));
  std::string lying = bytes;
  lying[0] = '\xff';
  lying[1] = '\xff';
  lying[2] = '\xff';  // header length far past the end
  spit(bad, lying);
  expect_error(bad, Contains("header length"));
  std::string garbage = bytes;
  garbage[8] = '#';  // the opening brace of the JSON header
  spit(bad, garbage);
  expect_error(bad, Contains("not valid JSON"));
  edit_header(good, bad, [](auto& j) { j.erase("blocks.2.attn.proj.bias"); });
  expect_error(bad, Contains("'blocks.2.attn.proj.bias' is missing"));
  edit_header(good, bad, [](auto& j) { j["norm.weight"]["shape"] = {8, 2}; });
  expect_error(bad, Contains("'norm.weight' has shape [8, 2], expected [16]"));
  edit_header(good, bad, [](auto& j) { j["norm.bias"]["dtype"] = "I32"; });
  expect_error(bad, Contains("'norm.bias' has dtype I32"));
  edit_header(good, bad, [](auto& j) { j["norm.bias"]["dtype"] = "Q7"; });
  expect_error(bad, Contains("unknown dtype 'Q7'"));
  edit_header(good, bad, [](auto& j) { j["norm.bias"]["data_offsets"] = {0, 1ull << 40}; });
  expect_error(bad, Contains("'norm.bias'") && Contains("outside the"));
  edit_header(good, bad, [](auto& j) { j["norm.bias"]["shape"] = {1ull << 40, 1ull << 40}; });
  expect_error(bad, Contains("'norm.bias'") && Contains("cannot fit"));
  edit_header(good, bad, [](auto& j) {
    auto c = nlohmann::json::parse(j["__metadata__"]["mvg.config"].template get<std::string>());
    c["depth"] = 12;
    j["__metadata__"]["mvg.config"] = c.dump();
  });
  expect_error(bad, Contains("mvg.config 'depth' is 12 but this build's model has 4"));
  edit_header(good, bad, [](auto& j) { j["__metadata__"].erase("mvg.format"); });
  expect_error(bad, Contains("'mvg.format'"));
  fs::remove_all(dir);
}

#include "mvg/ops/loss.hpp"

TEST_CASE("resuming from weights + optimizer state continues bit-exactly", "[io]") {
  const std::string dir = temp_dir(), o = dir + "/train_state.safetensors";
  using T = model_t::tensor_type;
  mvg::rng g(3);
  std::vector<float> px(2 * 3 * 256), tg(2 * 2 * 256);
  for (auto& v : px) v = float(g.uniform());
  for (auto& v : tg) v = float(g.uniform());
  const auto pixels = T::from_host({2, 3, 16, 16}, px);
  const model_t::var_type target(T::from_host({2, 2, 16, 16}, tg));
  auto step = [&](model_t& m, optim::adamw<float, test_backend>& opt) {
    m.parameters().zero_grad();
    auto loss = ops::smooth_l1_loss(m.forward(pixels, sequence_roles(1, 3), nullptr, attention_kind::block_causal, {0, 2}),
                                    target, 0.01);
    autograd::backward(loss);
    opt.step(1e-3);
    return loss.value().item();
  };
  model_t a(1);
  optim::adamw<float, test_backend> opt_a(a.parameters());
  for (int i = 0; i < 3; ++i) step(a, opt_a);
  io::save_train_state(o, a, opt_a, {});
  const float next_a = step(a, opt_a);

  model_t b(99);
  optim::adamw<float, test_backend> opt_b(b.parameters());
  io::load_train_state(o, b, opt_b);
  REQUIRE(opt_b.steps() == 3);
  const float next_b = step(b, opt_b);
  REQUIRE(next_a == next_b);
  REQUIRE(a.parameters().values().to_host() == b.parameters().values().to_host());

  edit_header(o, dir + "/bad.safetensors", [](auto& j) { j.erase("exp_avg_sq.norm.bias"); });
  REQUIRE_THROWS_WITH(io::load_train_state(dir + "/bad.safetensors", b, opt_b),
                      Contains("'exp_avg_sq.norm.bias' is missing"));
  fs::remove_all(dir);
}

TEST_CASE("a train-state file restores weights, moments and step together, or nothing", "[io]") {
  const std::string dir = temp_dir(), s = dir + "/train_state.safetensors";
  model_t a(1);
  optim::adamw<float, test_backend> opt_a(a.parameters());
  // Distinct, non-zero moments so a swapped or missing copy would show.
  std::vector<float> m(static_cast<size_t>(a.parameters().numel())), v(m.size());
  for (size_t i = 0; i < m.size(); ++i) m[i] = 0.001f * float(i % 97) + 0.5f, v[i] = 0.002f * float(i % 89) + 0.25f;
  test_backend::upload(m.data(), opt_a.exp_avg().data(), a.parameters().numel());
  test_backend::upload(v.data(), opt_a.exp_avg_sq().data(), a.parameters().numel());
  opt_a.set_steps(17);
  io::save_train_state(s, a, opt_a, {{"mvg.train.rng", "abc"}});

  model_t b(2);
  optim::adamw<float, test_backend> opt_b(b.parameters());
  const auto md = io::load_train_state(s, b, opt_b);
  REQUIRE(md.at("mvg.train.rng") == "abc");
  REQUIRE(opt_b.steps() == 17);
  REQUIRE(b.parameters().values().to_host() == a.parameters().values().to_host());
  REQUIRE(opt_b.exp_avg().to_host() == m);
  REQUIRE(opt_b.exp_avg_sq().to_host() == v);

  // A file missing one moment leaves weights, moments and step exactly as they were.
  model_t c(3);
  optim::adamw<float, test_backend> opt_c(c.parameters());
  const auto before = c.parameters().values().to_host();
  edit_header(s, dir + "/bad.safetensors", [](auto& j) { j.erase("exp_avg.blocks.1.mlp.fc2.weight"); });
  REQUIRE_THROWS_WITH(io::load_train_state(dir + "/bad.safetensors", c, opt_c),
                      Contains("'exp_avg.blocks.1.mlp.fc2.weight' is missing"));
  REQUIRE(c.parameters().values().to_host() == before);
  REQUIRE(opt_c.steps() == 0);
  // A plain weights file is not a train state: its tensors lack the "model." prefix.
  io::save_checkpoint(dir + "/weights.safetensors", a);
  REQUIRE_THROWS_WITH(io::load_train_state(dir + "/weights.safetensors", c, opt_c), Contains("mvg.adamw.step"));
  fs::remove_all(dir);
}

TEST_CASE("load_pretrained copies the kept tensors only, and refuses a file missing one of them", "[io]") {
  const auto dir = temp_dir();
  model_t src(1), dst(2), fresh(2);
  const std::string path = dir + "/pretrained.safetensors";
  io::save_checkpoint(path, src);
  auto encoder = [](const std::string& name) { return !name.starts_with("decoder."); };
  const std::size_t copied = io::load_pretrained(path, dst, encoder);
  std::size_t kept = 0;
  for (const auto& p : dst.parameters().infos()) {
    const auto got = dst.parameters()[p.name].value().to_host();
    const auto& from = encoder(p.name) ? src : fresh;
    INFO(p.name);
    REQUIRE(got == from.parameters()[p.name].value().to_host());
    kept += encoder(p.name);
  }
  REQUIRE(copied == kept);
  REQUIRE(kept > 0);
  REQUIRE(kept < dst.parameters().infos().size());

  // A kept tensor missing from the file: refused by name before any weight changes.
  edit_header(path, dir + "/no_norm.safetensors", [](auto& j) { j.erase("norm.weight"); });
  model_t untouched(3), before(3);
  REQUIRE_THROWS_WITH(io::load_pretrained(dir + "/no_norm.safetensors", untouched, encoder),
                      Contains("no_norm.safetensors") && Contains("'norm.weight' is missing"));
  REQUIRE(untouched.parameters().values().to_host() == before.parameters().values().to_host());
  // ...while a filter that does not keep it loads the rest.
  REQUIRE(io::load_pretrained(dir + "/no_norm.safetensors", untouched,
                              [](const std::string& n) { return n.starts_with("blocks."); }) > 0);
  fs::remove_all(dir);
}

TEST_CASE("a resumed run must keep its options, and older states resume as the old defaults", "[io]") {
  const std::map<std::string, std::string> stored{{"mvg.train.steps", "1000"}, {"mvg.train.lr", "0.0002"}};
  const std::map<std::string, std::string> older{{"init", "timm"}};
  // Same options, and one the state predates whose value is the old default: accepted.
  io::check_resume_options(stored, {{"steps", "1000"}, {"lr", "0.0002"}, {"init", "timm"}}, older, "s.safetensors");
  REQUIRE_THROWS_WITH(io::check_resume_options(stored, {{"steps", "2000"}}, older, "s.safetensors"),
                      Contains("--steps is '2000'") && Contains("s.safetensors") && Contains("used '1000'"));
  REQUIRE_THROWS_WITH(io::check_resume_options(stored, {{"init", "mae"}}, older, "s.safetensors"),
                      Contains("--init is 'mae'") && Contains("used 'timm'"));
  // An option the state lacks and no older default covers: not a state mvg_train wrote.
  REQUIRE_THROWS_WITH(io::check_resume_options(stored, {{"prompt_distance", "20"}}, older, "s.safetensors"),
                      Contains("'mvg.train.prompt_distance' is missing") && Contains("s.safetensors"));
}
