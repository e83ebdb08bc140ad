// tests/support/backend_under_test.hpp: the backend the core, tape, op, layer, model, optimiser and
// checkpoint tests run on. The plain build tests mvg::cpu; the same sources are built again with
// -DMVG_TEST_BACKEND_CUDA to run against mvg::cuda — its thrust host build (OpenMP) in CI, or the GPU
// when nvcc compiles them (tests/cuda/CMakeLists.txt).
#pragma once
#if defined(MVG_TEST_BACKEND_CUDA)
#include "mvg/backend/cuda/cuda.hpp"
namespace mvg {
using test_backend = mvg::cuda;  // qualified: CCCL has a namespace ::cuda too
}
#else
#include "mvg/backend/cpu/cpu.hpp"
namespace mvg {
using test_backend = cpu;
}
#endif
