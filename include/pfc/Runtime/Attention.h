//===- Attention.h - A compiled Pixelfly attention, ready to run -*- C++
//-*-===//
//
// The runtime side of Pixelfly attention (docs/ATTENTION.md): its kernel's
// entry points, the fixed random features, and the threads that run it.
// Free of LLVM and MLIR: the kernel may come from the JIT or an AOT object.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_ATTENTION_H
#define PFC_RUNTIME_ATTENTION_H

#include "pfc/Pattern/Butterfly.h"
#include "pfc/Spec/Spec.h"

#include <cstdint>
#include <memory>
#include <vector>

extern "C" {
/// o, for the heads [h0, h1) of q, k, v, o [heads, tokens, d] (row-major;
/// heads = batch × the spec's heads) and, of each, the queries of block-rows
/// [r0, r1) (blocks of the spec's block tokens). features is Wᵀ [d, m/2]
/// (unused when m = 0). stats [heads, tokens, 3] gets, per query, what the
/// backward needs: the row's scale M, its scaled denominator D·exp(−M), and
/// 1 where the low-rank part of the denominator was clamped to ε (else 0).
/// tokens is at most the spec's seq_len. Disjoint (head, block-row) ranges
/// may run on different threads.
typedef void (*pfc_attention_forward_fn)(const float *q, const float *k,
                                         const float *v, const float *features,
                                         float *o, float *stats, int64_t tokens,
                                         int64_t h0, int64_t h1, int64_t r0,
                                         int64_t r1);

/// dq, dk, dv [heads, tokens, d] (overwritten) for the heads [h0, h1), given
/// what the forward read and wrote (o, stats) and dout = d(loss)/do, from
/// the queries of block-rows [r0, r1) alone: over a split of the block-rows
/// the sums of what the parts wrote are the gradients (dq is zero outside
/// the part's rows). Disjoint heads may run on different threads, and so
/// may a split of one head's block-rows that write to different buffers.
typedef void (*pfc_attention_backward_fn)(
    const float *q, const float *k, const float *v, const float *features,
    const float *o, const float *stats, const float *dout, float *dq, float *dk,
    float *dv, int64_t tokens, int64_t h0, int64_t h1, int64_t r0, int64_t r1);
}

namespace pfc {

/// A kernel's entry points and whatever keeps their code alive.
struct AttentionKernel {
  pfc_attention_forward_fn forward = nullptr;
  pfc_attention_backward_fn backward = nullptr;
  /// Parts to split a call's heads into, on ThreadPool::shared().
  int64_t threads = 1;
  std::shared_ptr<void> owner;
};

/// Pixelfly attention with a compiled kernel.
class Attention {
public:
  Attention(AttentionSpec spec, AttentionKernel kernel);

  const AttentionSpec &spec() const { return attentionSpec; }
  /// The support's blocks over the padded seq_len (AttentionSpec::support).
  const BlockMask &support() const { return supportMask; }
  /// W [m/2, d], drawn from the spec's seed.
  const std::vector<float> &features() const { return featureMatrix; }

  /// o [batch, heads, tokens, d] for q, k, v of that shape, 0 < tokens <=
  /// seq_len. `stats`, when given, gets [batch, heads, tokens, 3] (see
  /// pfc_attention_forward_fn).
  void forward(const float *q, const float *k, const float *v, int64_t batch,
               int64_t tokens, float *o, float *stats = nullptr) const;

  /// Whether the backward kernel was compiled (CompileOptions::backward).
  bool hasBackward() const { return kernel.backward != nullptr; }

  /// dq, dk, dv [batch, heads, tokens, d] = d(loss)/d(q, k, v) given
  /// dout = d(loss)/do, with the o and stats a forward of the same q, k, v
  /// wrote. Needs hasBackward (else it aborts).
  void backward(const float *q, const float *k, const float *v, int64_t batch,
                int64_t tokens, const float *o, const float *stats,
                const float *dout, float *dq, float *dk, float *dv) const;

private:
  /// Into how many ranges of block-rows each of `heads` heads is split (1
  /// where there are at least as many heads as threads).
  int64_t chunksFor(int64_t heads, int64_t tokens) const;
  /// Runs `call(h0, h1, r0, r1, chunk)` over the heads, and each head's
  /// block-rows in `chunks` ranges, split between the threads.
  template <typename Call>
  void forParts(int64_t heads, int64_t tokens, int64_t chunks, Call call) const;

  AttentionSpec attentionSpec;
  BlockMask supportMask;
  std::vector<float> featureMatrix, featuresT;
  AttentionKernel kernel;
};

} // namespace pfc

#endif // PFC_RUNTIME_ATTENTION_H
