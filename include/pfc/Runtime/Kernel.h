/*===- Kernel.h - The C interface of a compiled Pixelfly layer ----*- C -*-===*\
|*                                                                            *|
|* Every kernel pfc compiles, in process (JIT) or to an object file (AOT),    *|
|* has these two entry points. Pointers to parts a layer lacks (U and V       *|
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

#ifdef __cplusplus
}
#endif

#endif /* PFC_RUNTIME_KERNEL_H */
