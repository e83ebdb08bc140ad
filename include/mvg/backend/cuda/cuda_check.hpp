// mvg/backend/cuda/cuda_check.hpp: CUDA runtime and cuBLAS failures become mvg::error exceptions
// that name the call and the driver's reason (nvcc build of the CUDA backend only).
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "mvg/core/error.hpp"

#define MVG_CUDA_CHECK(call)                                                                          \
  do {                                                                                                \
    const cudaError_t mvg_cuda_status_ = (call);                                                      \
    MVG_CHECK(mvg_cuda_status_ == cudaSuccess, "CUDA: ", #call, " failed: ",                          \
              cudaGetErrorName(mvg_cuda_status_), " (", cudaGetErrorString(mvg_cuda_status_), ")"); \
  } while (0)

#define MVG_CUBLAS_CHECK(call)                                                                           \
  do {                                                                                                   \
    const cublasStatus_t mvg_cublas_status_ = (call);                                                    \
    MVG_CHECK(mvg_cublas_status_ == CUBLAS_STATUS_SUCCESS, "cuBLAS: ", #call, " failed: ",               \
              cublasGetStatusName(mvg_cublas_status_), " (", cublasGetStatusString(mvg_cublas_status_), ")"); \
  } while (0)
