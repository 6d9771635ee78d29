/*===- Kernel.h - The C interface of a compiled Pixelfly layer ----*- C -*-===*\
|*                                                                            *|
|* Every kernel pfc compiles, in process (JIT) or to an object file (AOT),    *|
|* has these three entry points. Pointers to parts a layer lacks (U and V     *|
|* without a rank, gamma in fixed mode, bias) are never read and may be NULL. *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef PFC_RUNTIME_KERNEL_H
#define PFC_RUNTIME_KERNEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Puts the parameters into the kernel layout, once per parameter update:
/// blocks [nnz, b, b] → packed_blocks [nnz, b, b] (each block transposed),
/// U [out, r] → packed_u [r, padded out].
typedef void (*pfc_pack_fn)(const float *blocks, const float *u,
                            float *packed_blocks, float *packed_u);

/// y[t0:t1, outputs of block-rows r0:r1] = the layer applied to x[t0:t1],
/// for x [tokens, in] and y [tokens, out], row-major. gamma is γ (scalar
/// mode) or the gate's weight [in] followed by its bias (gate mode); V is
/// [in, r]. Disjoint (t, r) ranges may run on different threads.
typedef void (*pfc_forward_fn)(const float *x, const float *packed_blocks,
                               const float *packed_u, const float *v,
                               const float *gamma, const float *bias, float *y,
                               int64_t tokens, int64_t t0, int64_t t1,
                               int64_t r0, int64_t r1);

/// The gradients of the layer given dy [tokens, out] = d(loss)/dy, for
/// x [tokens, in]: dx's rows t0:t1 and every parameter's gradient summed over
/// tokens t0:t1 only.
/// Each is overwritten, in the parameters' own layouts: dblocks [nnz, b, b]
/// (zero in the padding), du [out, r], dv [in, r], dgamma [1] (scalar mode)
/// or the gate's weight [in] followed by its bias (gate mode), dbias [out].
/// blocks and u are the user's layouts, not the packed ones. Calls on
/// disjoint token ranges, each with gradient buffers of its own, may run on
/// different threads; the sums of their gradients are the whole gradient.
typedef void (*pfc_backward_fn)(const float *x, const float *dy,
                                const float *blocks, const float *u,
                                const float *v, const float *gamma, float *dx,
                                float *dblocks, float *du, float *dv,
                                float *dgamma, float *dbias, int64_t tokens,
                                int64_t t0, int64_t t1);

#ifdef __cplusplus
}
#endif

#endif /* PFC_RUNTIME_KERNEL_H */
