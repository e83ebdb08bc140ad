// The backends' caching allocator (backend/block_pool.hpp) is plain C++ over two function
// pointers, so its logic is tested here with a counting fake of cudaMalloc/cudaFree.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>

#include "mvg/backend/block_pool.hpp"
#include "mvg/backend/cpu/cpu.hpp"
#include "mvg/tensor/tensor.hpp"

namespace {
struct fake_driver {
  static inline std::size_t budget = 0;  // bytes the fake "device" still has
  static inline std::map<void*, std::size_t> live;  // block -> bytes
  static void* alloc(std::size_t bytes) {
    if (bytes > budget) return nullptr;
    budget -= bytes;
    void* p = std::malloc(bytes);
    live[p] = bytes;
    return p;
  }
  static void release(void* p) {
    budget += live.at(p);
    live.erase(p);
    std::free(p);
  }
};
}  // namespace

TEST_CASE("block pool: size classes round small blocks to 512 B and large ones to 2 MiB", "[core][cuda]") {
  using mvg::detail::block_pool;
  CHECK(block_pool::size_class(0) == 512);
  CHECK(block_pool::size_class(1) == 512);
  CHECK(block_pool::size_class(512) == 512);
  CHECK(block_pool::size_class(513) == 1024);
  CHECK(block_pool::size_class((1u << 20) - 1) == (1u << 20));
  CHECK(block_pool::size_class((1u << 20) + 1) == (2u << 20));
  CHECK(block_pool::size_class(5u << 20) == (6u << 20));
}

TEST_CASE("block pool: freed blocks are reused, out of memory empties the cache and retries once", "[core][cuda]") {
  fake_driver::budget = 4096;
  {
    mvg::detail::block_pool pool(&fake_driver::alloc, &fake_driver::release);
    std::size_t c1 = 0, c2 = 0, c3 = 0;
    void* a = pool.acquire(1000, c1);  // 1024 B class
    CHECK(c1 == 1024);
    pool.release(a, c1);
    void* b = pool.acquire(700, c2);  // same class: the cached block comes back, no driver call
    CHECK(b == a);
    CHECK(pool.statistics().raw_allocations == 1);
    pool.release(b, c2);
    CHECK(pool.statistics().cached == 1024);
    // 3584 B left on the "device"; 3584 B fits only after the cached 1024 B block is given back.
    void* big = pool.acquire(4000, c3);  // 4096 B class: fails, the cache is freed, the retry succeeds
    CHECK(big != nullptr);
    CHECK(pool.statistics().cached == 0);
    CHECK(pool.statistics().raw_allocations == 2);
    CHECK(pool.statistics().peak_in_use == 4096);
    std::size_t c4 = 0;
    CHECK_THROWS_WITH(pool.acquire(10, c4), Catch::Contains("out of device memory: 512 bytes requested, 4096 bytes held by live tensors"));
    pool.release(big, c3);
  }
  CHECK(fake_driver::live.empty());  // the destructor returns every cached block to the driver
}

TEST_CASE("cpu backend: tensors of 1 MiB and more reuse pooled blocks, smaller ones do not", "[core]") {
  using mvg::cpu;
  const auto before = cpu::pool().statistics();
  const bool pooled = cpu::pooled_from <= (2u << 20);  // false only under AddressSanitizer
  const void* first = nullptr;
  {
    mvg::tensor<float, cpu> big(mvg::shape{512, 1024});  // 2 MiB: pooled
    first = big.data();
    CHECK(cpu::pool().statistics().in_use == before.in_use + (pooled ? (2u << 20) : 0u));
    mvg::tensor<float, cpu> small(mvg::shape{1000});  // 4 KB: plain malloc, the pool never sees it
    CHECK(cpu::pool().statistics().in_use == before.in_use + (pooled ? (2u << 20) : 0u));
  }
  CHECK(cpu::pool().statistics().in_use == before.in_use);
  // A later tensor of the same size class (here 1.5 MiB → the 2 MiB class) gets the cached block.
  mvg::tensor<float, cpu> again(mvg::shape{384, 1024});
  if (pooled) {
    CHECK(again.data() == first);
    CHECK(cpu::pool().statistics().raw_allocations == before.raw_allocations + 1);
  } else {  // under ASan every block is the allocator's own, so a use after free is reported
    CHECK(cpu::pool().statistics().raw_allocations == before.raw_allocations);
  }
  cpu::release_cached();
  CHECK(cpu::pool().statistics().cached == 0);
}
