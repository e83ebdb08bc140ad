// mvg/mvg.hpp: the public API in one include. Each header below can also be included on its own.
#pragma once
#include "mvg/autograd/tape.hpp"
#include "mvg/backend/cpu/cpu.hpp"
#include "mvg/core/error.hpp"
#include "mvg/core/random.hpp"
#include "mvg/core/shape.hpp"
#include "mvg/core/tensor.hpp"
#include "mvg/io/safetensors.hpp"
#include "mvg/ops.hpp"
