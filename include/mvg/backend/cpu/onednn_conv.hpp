// mvg/backend/cpu/onednn_conv.hpp: 2-D convolutions through oneDNN's convolution primitives in bf16
// (bf16 operands, fp32 accumulation and results), where the CPU has AMX or AVX512-BF16. ops/conv2d.hpp
// otherwise lowers a convolution to im2col + one product per image: on an AMX Xeon the decoder's
// 3×3 convolutions over 64×64 pixels then convert a 66 MB column matrix to bf16 for every product, and
// their forward product ran slower in bf16 than in fp32 (docs/benchmarks.md). oneDNN's AMX kernels read
// the image itself, channels last, so the only extra passes are one reorder per operand.
// mvg's tensors are NCHW fp32; each call reorders its operands to NHWC bf16 (the layout oneDNN 2.6's
// AMX kernels take), runs the primitive and reorders the fp32 result back, adding into the gradient
// where a backward pass accumulates. fp32 products keep ops/'s im2col path (its numbers unchanged).
// Every function returns false, having computed nothing, where oneDNN offers no kernel of its own
// (only gemm- or reference-based ones): the caller then takes the im2col path.
#pragma once
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "mvg/backend/backend.hpp"
#include "mvg/backend/cpu/onednn_gemm.hpp"

namespace mvg::detail {
inline namespace MVG_CPU_ABI {

#if MVG_CPU_ONEDNN

struct onednn_conv_descs {
  dnnl::memory::dims src, weights, dst, strides, padding;
};

inline onednn_conv_descs onednn_conv_dims(const conv_args& a) {
  return {{a.n, a.cin, a.h, a.w}, {a.cout, a.cin, a.kh, a.kw}, {a.n, a.cout, a.oh, a.ow}, {a.stride, a.stride},
          {a.pad, a.pad}};
}

// Whether a primitive descriptor's kernel is one of oneDNN's own convolution kernels (not its im2col
// GEMM, which is what ops/ does already, nor its slow reference code).
inline bool onednn_conv_native(const char* impl) {
  return std::strncmp(impl, "ref", 3) != 0 && std::strstr(impl, "gemm") == nullptr;
}

// A reusable scratch buffer per purpose and thread: the reordered operands are megabytes, and fresh
// ones would be fresh pages every call.
inline void* onednn_scratch(int which, std::size_t bytes) {
  thread_local std::vector<char> buf[4];
  auto& b = buf[which];
  if (b.size() < bytes) b.resize(bytes);
  return b.data();
}

// dst (a user's plain fp32 memory, or the scratch) ← src through a reorder; beta 1 adds into dst.
inline void onednn_reorder(dnnl::memory& from, dnnl::memory& to, float beta = 0.f) {
  dnnl::primitive_attr attr;
  if (beta != 0.f) {
    dnnl::post_ops ops;
    ops.append_sum(beta);
    attr.set_post_ops(ops);
  }
  dnnl::stream s(onednn_engine());
  dnnl::reorder(dnnl::reorder::primitive_desc(from, to, attr)).execute(s, from, to);
  s.wait();
}

// The forward descriptor (also the hint every backward descriptor needs), NHWC bf16 in, NHWC fp32 out.
inline dnnl::convolution_forward::primitive_desc onednn_conv_forward_pd(const conv_args& a) {
  using dnnl::memory;
  const auto d = onednn_conv_dims(a);
  const memory::desc src(d.src, memory::data_type::bf16, memory::format_tag::nhwc),
      wei(d.weights, memory::data_type::bf16, memory::format_tag::any),
      dst(d.dst, memory::data_type::f32, memory::format_tag::nhwc);
  return dnnl::convolution_forward::primitive_desc(
      dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src,
                                      wei, dst, d.strides, d.padding, d.padding),
      onednn_engine());
}

// A plain NCHW / OIHW fp32 tensor of the caller's, as oneDNN memory.
inline dnnl::memory onednn_plain(const dnnl::memory::dims& dims, const float* p) {
  using dnnl::memory;
  return memory(memory::desc(dims, memory::data_type::f32, memory::format_tag::abcd), onednn_engine(),
                const_cast<float*>(p));
}

// `plain` reordered into the layout `want` (bf16), in scratch buffer `which`.
inline dnnl::memory onednn_packed(const dnnl::memory::desc& want, dnnl::memory plain, int which) {
  dnnl::memory m(want, onednn_engine(), onednn_scratch(which, want.get_size()));
  onednn_reorder(plain, m);
  return m;
}

// The descriptor `make()` builds, if oneDNN has a kernel of its own for it (else none: the caller declines).
template <class PD, class Make>
std::optional<PD> onednn_native_pd(Make make) {
  try {
    PD pd = make();
    if (onednn_conv_native(pd.impl_info_str())) return pd;
  } catch (const dnnl::error&) {
  }
  return std::nullopt;
}

// Runs a convolution primitive on its two packed operands into a scratch result laid out as `result`, then
// reorders that into the caller's plain fp32 tensor `out`: overwriting it (beta 0) or adding into it (beta 1).
inline void onednn_conv_run(const dnnl::primitive& prim, int arg_a, const dnnl::memory& a, int arg_b,
                            const dnnl::memory& b, int arg_result, const dnnl::memory::desc& result, dnnl::memory out,
                            float beta) {
  dnnl::memory r(result, onednn_engine(), onednn_scratch(2, result.get_size()));
  dnnl::stream s(onednn_engine());
  prim.execute(s, {{arg_a, a}, {arg_b, b}, {arg_result, r}});
  s.wait();
  onednn_reorder(r, out, beta);
}

// y = conv(x, w), x [N, Cin, H, W], w [Cout, Cin, kh, kw], y [N, Cout, OH, OW] (overwritten; no bias).
inline bool conv2d_forward_onednn(const conv_args& a, const float* x, const float* w, float* y) {
  using pd_t = dnnl::convolution_forward::primitive_desc;
  const std::optional<pd_t> pd = onednn_native_pd<pd_t>([&] { return onednn_conv_forward_pd(a); });
  if (!pd) return false;
  const auto d = onednn_conv_dims(a);
  onednn_conv_run(dnnl::convolution_forward(*pd), DNNL_ARG_SRC, onednn_packed(pd->src_desc(), onednn_plain(d.src, x), 0),
                  DNNL_ARG_WEIGHTS, onednn_packed(pd->weights_desc(), onednn_plain(d.weights, w), 1), DNNL_ARG_DST,
                  pd->dst_desc(), onednn_plain(d.dst, y), 0.f);
  return true;
}

// gx += conv's input gradient for output gradient gy.
inline bool conv2d_backward_data_onednn(const conv_args& a, const float* gy, const float* w, float* gx) {
  using dnnl::memory;
  using pd_t = dnnl::convolution_backward_data::primitive_desc;
  const auto d = onednn_conv_dims(a);
  const std::optional<pd_t> pd = onednn_native_pd<pd_t>([&] {
    const memory::desc dsrc(d.src, memory::data_type::f32, memory::format_tag::nhwc),
        wei(d.weights, memory::data_type::bf16, memory::format_tag::any),
        ddst(d.dst, memory::data_type::bf16, memory::format_tag::nhwc);
    return pd_t(dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, dsrc, wei, ddst, d.strides,
                                                      d.padding, d.padding),
                onednn_engine(), onednn_conv_forward_pd(a));
  });
  if (!pd) return false;
  onednn_conv_run(dnnl::convolution_backward_data(*pd), DNNL_ARG_DIFF_DST,
                  onednn_packed(pd->diff_dst_desc(), onednn_plain(d.dst, gy), 0), DNNL_ARG_WEIGHTS,
                  onednn_packed(pd->weights_desc(), onednn_plain(d.weights, w), 1), DNNL_ARG_DIFF_SRC,
                  pd->diff_src_desc(), onednn_plain(d.src, gx), 1.f);
  return true;
}

// gw += conv's weight gradient for input x and output gradient gy.
inline bool conv2d_backward_weights_onednn(const conv_args& a, const float* x, const float* gy, float* gw) {
  using dnnl::memory;
  using pd_t = dnnl::convolution_backward_weights::primitive_desc;
  const auto d = onednn_conv_dims(a);
  const std::optional<pd_t> pd = onednn_native_pd<pd_t>([&] {
    const memory::desc src(d.src, memory::data_type::bf16, memory::format_tag::nhwc),
        dwei(d.weights, memory::data_type::f32, memory::format_tag::any),
        ddst(d.dst, memory::data_type::bf16, memory::format_tag::nhwc);
    return pd_t(dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, src, dwei, ddst,
                                                         d.strides, d.padding, d.padding),
                onednn_engine(), onednn_conv_forward_pd(a));
  });
  if (!pd) return false;
  onednn_conv_run(dnnl::convolution_backward_weights(*pd), DNNL_ARG_SRC,
                  onednn_packed(pd->src_desc(), onednn_plain(d.src, x), 0), DNNL_ARG_DIFF_DST,
                  onednn_packed(pd->diff_dst_desc(), onednn_plain(d.dst, gy), 1), DNNL_ARG_DIFF_WEIGHTS,
                  pd->diff_weights_desc(), onednn_plain(d.weights, gw), 1.f);
  return true;
}

#else

inline bool conv2d_forward_onednn(const conv_args&, const float*, const float*, float*) { return false; }
inline bool conv2d_backward_data_onednn(const conv_args&, const float*, const float*, float*) { return false; }
inline bool conv2d_backward_weights_onednn(const conv_args&, const float*, const float*, float*) { return false; }

#endif

}  // namespace MVG_CPU_ABI
}  // namespace mvg::detail
