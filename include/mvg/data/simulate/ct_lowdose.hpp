// mvg/data/simulate/ct_lowdose.hpp: one slice of the D1 low-dose CT simulation (shared/DATA.md) at the
// scan's native grid: the noiseless sinogram and its FBP (the target), and the FBP of a noisy sinogram
// (the input). The geometry per grid size, the clean pair per slice (shared by both doses) and the noisy
// FBP per (slice, dose, seed) are memoised for the process: D1's two doses and every test reuse them.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "mvg/core/random.hpp"
#include "mvg/data/simulate/noise.hpp"
#include "mvg/data/simulate/radon.hpp"

namespace mvg::data {

struct ct_native_pair {
  image2d<float> noisy_hu, clean_hu;
};

inline std::shared_ptr<const ct_native_pair> simulate_ct_slice(const std::string& slice_key, const image2d<float>& hu,
                                                               double pixel_mm, const ct_dose& dose,
                                                               std::uint64_t seed) {
  struct clean_entry {
    image2d<float> sino, clean_hu;
  };
  static std::mutex mu;
  static std::map<std::size_t, std::shared_ptr<const parallel_beam>> geos;
  static std::map<std::string, std::shared_ptr<const clean_entry>> cleans;
  static std::map<std::string, std::shared_ptr<const ct_native_pair>> pairs;
  const std::string key = slice_key + "|" + std::to_string(dose.i0) + "|" + std::to_string(dose.electronic_sigma) +
                          "|" + std::to_string(seed);
  std::shared_ptr<const parallel_beam> geo;
  std::shared_ptr<const clean_entry> clean;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = pairs.find(key); it != pairs.end()) return it->second;
    auto& g = geos[hu.shape()[0]];
    if (!g) g = std::make_shared<const parallel_beam>(hu.shape()[0], 360);
    geo = g;
    if (auto it = cleans.find(slice_key); it != cleans.end()) clean = it->second;
  }
  if (!clean) {
    image2d<float> p = ct_sinogram(*geo, hu, pixel_mm);
    image2d<float> c = ct_reconstruct(*geo, p, pixel_mm);
    auto made = std::make_shared<const clean_entry>(clean_entry{std::move(p), std::move(c)});
    std::lock_guard<std::mutex> lock(mu);
    clean = cleans.emplace(slice_key, made).first->second;
  }
  rng g(seed);
  auto out = std::make_shared<const ct_native_pair>(
      ct_native_pair{ct_reconstruct(*geo, noisy_sinogram(clean->sino, dose, g), pixel_mm), clean->clean_hu});
  std::lock_guard<std::mutex> lock(mu);
  return pairs.emplace(key, out).first->second;
}

}  // namespace mvg::data
