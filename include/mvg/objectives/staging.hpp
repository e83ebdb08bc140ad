// mvg/objectives/staging.hpp: one batch on its way to the device, staged once.
//   Every objective (AR, MIM, pretraining) and inference turn host samples into the same few tensors:
//   the slot pixels, the token mask, and the decoded slots' targets and per-pixel loss weights. Each is
//   written on the host directly in the model's scalar type and uploaded once; nothing is downloaded
//   again. staged_batch::forward runs the model on them under the one drop-path contract of every
//   objective: a generator trains with the config's drop-path, nullptr runs without (inference).
#pragma once
#include <cstdint>
#include <vector>

#include "mvg/nn/model.hpp"
#include "mvg/objectives/sample.hpp"

namespace mvg::objectives {

template <class T, backend B>
struct staged_batch {
  tensor<T, B> pixels;          // [Bt, S, H, W]
  std::vector<int64_t> roles;   // S role ids
  tensor<T, B> token_mask;      // [Bt, S·G], 1 = the mask token; undefined: no masking
  attention_kind attention = attention_kind::full;
  std::vector<int64_t> decode;  // the slots the decoder reads (empty: all)
  tensor<T, B> target, weight;  // [Bt, S', H, W] over the decoded slots; undefined at inference

  template <class Model>
  typename Model::var_type forward(const Model& m, rng* drop_path = nullptr) const {
    return m.forward(pixels, roles, token_mask.defined() ? &token_mask : nullptr, attention, decode, drop_path);
  }
};

// Slot images gathered on the host in the scalar type T, then uploaded as one tensor.
template <class T>
class host_images {
public:
  explicit host_images(std::size_t size) : size_(size) {}

  void add(const data::image2d<float>& img, const char* what) {
    MVG_CHECK(img.shape()[0] == size_ && img.shape()[1] == size_, "sample: ", what, " is ", img.shape()[0], "×",
              img.shape()[1], ", the model expects ", size_, "×", size_);
    values_.insert(values_.end(), img.begin(), img.end());
  }
  // One slot's token mask (grid×grid, 1 = masked) spread over its pixels, times per-pixel weights if given:
  // the loss weight of a masked-patch objective.
  void add_masked(const float* slot_mask, int64_t grid, const data::image2d<float>* weights = nullptr) {
    const int64_t n = static_cast<int64_t>(size_), p = n / grid;
    for (int64_t y = 0; y < n; ++y)
      for (int64_t x = 0; x < n; ++x) {
        const float masked = slot_mask[(y / p) * grid + x / p];
        values_.push_back(static_cast<T>(weights ? masked * (*weights)(y, x) : masked));
      }
  }
  void add_constant(float v) { values_.insert(values_.end(), size_ * size_, static_cast<T>(v)); }
  // A sample's sequence up to its query: Px1, Py1, …, Pxn, Pyn, X.
  void add_sequence(const sample& s) {
    for (std::size_t i = 0; i < s.pairs(); ++i) {
      add(s.prompt_images[i], "a prompt image");
      add(s.prompt_labels[i], "a prompt label");
    }
    add(s.query, "the query");
  }

  template <backend B>
  tensor<T, B> upload(int64_t batch, int64_t slots) const {
    const int64_t n = static_cast<int64_t>(size_);
    return tensor<T, B>::from_host(shape{batch, slots, n, n}, values_);
  }

private:
  std::size_t size_;
  std::vector<T> values_;
};

// Slot pixels [Bt, slots, H, W] of the sequences [Px1, Py1, …, Pxn, Pyn, X (, Y)].
template <class T, backend B>
tensor<T, B> sequence_pixels(const std::vector<sample>& batch, std::size_t size, bool with_target) {
  detail::check_batch(batch);
  host_images<T> host(size);
  for (const auto& s : batch) {
    host.add_sequence(s);
    if (with_target) host.add(s.target, "the target");
  }
  const int64_t slots = 2 * static_cast<int64_t>(batch[0].pairs()) + 1 + (with_target ? 1 : 0);
  return host.template upload<B>(static_cast<int64_t>(batch.size()), slots);
}

// The image of slot s of a sample's sequence [Px1, Py1, …, Pxn, Pyn, X, Y].
inline const data::image2d<float>& slot_image(const sample& smp, int64_t s) {
  const int64_t slots = 2 * static_cast<int64_t>(smp.pairs()) + 2;
  const std::size_t i = static_cast<std::size_t>(s / 2);
  if (s % 2 == 1) return s == slots - 1 ? smp.target : smp.prompt_labels[i];
  return s == slots - 2 ? smp.query : smp.prompt_images[i];
}

}  // namespace mvg::objectives
