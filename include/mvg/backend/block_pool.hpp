// mvg/backend/block_pool.hpp: a caching allocator shared by the backends. A training step allocates
// the same few hundred sizes every iteration. On the GPU, cudaMalloc and cudaFree synchronise the
// whole device; on the CPU, blocks of a few MiB come from fresh mmap pages that the kernel must
// fault in and zero on every step. So freed blocks are kept by size class and handed out again
// (the idea of PyTorch's CUDA caching allocator, without its block splitting).
// The pool is written against two plain functions (allocate, free), so its logic runs and is tested
// on the CPU with a fake driver as well as on the GPU with cudaMalloc/cudaFree.
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "mvg/core/error.hpp"

namespace mvg::detail {

class block_pool {
public:
  using alloc_fn = void* (*)(std::size_t);  // returns nullptr when out of memory
  using free_fn = void (*)(void*);

  struct stats {
    std::size_t in_use = 0, cached = 0, peak_in_use = 0, raw_allocations = 0;
  };

  // memory: what the driver hands out, named in the out-of-memory error ("device", "host").
  block_pool(alloc_fn a, free_fn f, const char* memory = "device") : raw_alloc_(a), raw_free_(f), memory_(memory) {}
  block_pool(const block_pool&) = delete;
  block_pool& operator=(const block_pool&) = delete;
  ~block_pool() { release_cached(); }

  // Small blocks round to 512 B, large ones to 2 MiB: exact reuse for the recurring step shapes
  // while the waste stays under 512 B, or under 2 MiB on blocks of 1 MiB and more.
  static std::size_t size_class(std::size_t bytes) {
    constexpr std::size_t small = 512, large = std::size_t{2} << 20;
    if (bytes == 0) bytes = 1;
    const std::size_t unit = bytes < (std::size_t{1} << 20) ? small : large;
    return (bytes + unit - 1) / unit * unit;
  }

  // A block of at least `bytes`; its size class is returned through cls for release().
  void* acquire(std::size_t bytes, std::size_t& cls) {
    cls = size_class(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(cls);
    void* p = nullptr;
    if (it != cache_.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
      stats_.cached -= cls;
    } else {
      p = raw_alloc_(cls);
      if (!p) {  // out of memory: give every cached block back to the driver and try once more
        release_cached_locked();
        p = raw_alloc_(cls);
        MVG_CHECK(p, "out of ", memory_, " memory: ", cls, " bytes requested, ", stats_.in_use,
                  " bytes held by live tensors (use a smaller batch)");
      }
      ++stats_.raw_allocations;
    }
    stats_.in_use += cls;
    if (stats_.in_use > stats_.peak_in_use) stats_.peak_in_use = stats_.in_use;
    return p;
  }

  void release(void* p, std::size_t cls) {
    std::lock_guard<std::mutex> lock(mutex_);
    cache_[cls].push_back(p);
    stats_.in_use -= cls;
    stats_.cached += cls;
  }

  // Frees every cached (unused) block, like torch.cuda.empty_cache().
  void release_cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cached_locked();
  }

  stats statistics() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

private:
  void release_cached_locked() {
    for (auto& [cls, blocks] : cache_)
      for (void* p : blocks) raw_free_(p);
    cache_.clear();
    stats_.cached = 0;
  }

  alloc_fn raw_alloc_;
  free_fn raw_free_;
  const char* memory_;
  mutable std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> cache_;  // size class -> free blocks
  stats stats_;
};

}  // namespace mvg::detail
