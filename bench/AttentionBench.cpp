//===- AttentionBench.cpp - `pfc bench` on an attention spec --------------===//
//
// Pixelfly attention against dense attention in one run: the dense side is
// pfc's own kernel compiled with the support covering every block and no
// random features, which is exact softmax attention computed as flash
// attention does (running maxima, no T×T matrix). PyTorch's
// scaled_dot_product_attention is the other dense baseline, timed from
// Python (bench/python/bench_attention.py). Working memory is what each
// kernel allocates per head (it never holds a T×T matrix), computed from
// the shapes, beside the process's peak resident size.
//
//===----------------------------------------------------------------------===//
#include "AttentionBench.h"
#include "Timing.h"

#include "pfc/Cli/Cli.h"
#include "pfc/Target/Jit.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>

#include <sys/resource.h>

namespace pfc {
namespace {

/// The dense attention `spec` is compared with: every block, no features.
AttentionSpec denseOf(const AttentionSpec &spec) {
  AttentionSpec dense = spec;
  dense.name = spec.name + "_dense";
  dense.features = 0;
  ButterflyPattern full;
  full.size = 2;
  full.strides = {2};
  full.global = spec.seqLen;
  dense.butterfly = full;
  return dense;
}

/// Bytes one head's kernels allocate (forward, backward): Kᵀ (and Vᵀ) in
/// rows a cache line longer, the features of queries and keys (the keys' in
/// both layouts backward) and their gradients, the state [m, d] with each
/// key block's share and a block-row's copy (backward also each block-row's
/// aggregate and two more [m, d]), tile buffers.
std::pair<double, double> workspaceBytes(const AttentionSpec &spec,
                                         int64_t tokens) {
  const double p = static_cast<double>(spec.paddedSeq());
  const double t = static_cast<double>(tokens), d = spec.headDim,
               m = spec.features, b = spec.block, blocks = p / b;
  const double rows = p + 16; // Kᵀ, Vᵀ and Φ_Kᵀ
  const double state = m * d + m;
  const double perBlock = blocks * state;
  const double forward =
      d * rows +
      (m ? t * m + t + m * rows + blocks + 2 * state + perBlock : 0) +
      4.0 * (std::max(b, m) + d + 3);
  const double backward = 2 * d * rows +
                          (m ? 2 * t * m + t + m * rows + 2 * p * m + blocks +
                                   4 * state + 2 * perBlock + blocks
                             : 0) +
                          4.0 * (5 * b + 2 * d + m);
  return {4 * forward, 4 * backward};
}

double peakResidentBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) * 1024.0;
}

struct Row {
  int64_t tokens = 0;
  Timing forward, backward, denseForward, denseBackward;
  double workspace = 0, workspaceBackward = 0, denseWorkspace = 0,
         denseWorkspaceBackward = 0, peakResident = 0;
};

/// Times forward and backward of `attention` on random q, k, v.
std::pair<Timing, Timing> timeAttention(const Attention &attention,
                                        int64_t batch, int64_t tokens,
                                        const TimingPolicy &policy) {
  const AttentionSpec &spec = attention.spec();
  const size_t n =
      static_cast<size_t>(batch * spec.heads * tokens * spec.headDim);
  std::mt19937_64 engine(7);
  std::vector<float> q = uniformValues(engine, n), k = uniformValues(engine, n),
                     v = uniformValues(engine, n),
                     dout = uniformValues(engine, n);
  std::vector<float> o(n), dq(n), dk(n), dv(n);
  std::vector<float> stats(n / spec.headDim * 3);
  Timing forward = timeCalls(
      [&] {
        attention.forward(q.data(), k.data(), v.data(), batch, tokens, o.data(),
                          stats.data());
      },
      policy);
  Timing backward = timeCalls(
      [&] {
        attention.backward(q.data(), k.data(), v.data(), batch, tokens,
                           o.data(), stats.data(), dout.data(), dq.data(),
                           dk.data(), dv.data());
      },
      policy);
  return {forward, backward};
}

} // namespace

int runAttentionBench(const AttentionSpec &spec,
                      const AttentionBenchOptions &options) {
  std::vector<int64_t> tokenCounts = options.tokens;
  if (tokenCounts.empty())
    tokenCounts.push_back(spec.seqLen);
  for (int64_t t : tokenCounts)
    if (t < 1 || t > spec.seqLen)
      return reportError(
          fmt::format("--tokens {} is outside [1, {}], the spec's seq_len", t,
                      spec.seqLen));
  const double elements = static_cast<double>(options.batch) * spec.heads *
                          spec.seqLen * spec.headDim;
  if (int code = checkFitsInMemory(4.0 * 9.0 * elements,
                                   "attention '" + spec.name +
                                       "': q, k, v, their gradients and out"))
    return code;
  CompileOptions compile(options.threads);
  double seconds = 0, denseSeconds = 0;
  auto attention = compileAttention(spec, compile, &seconds);
  if (!attention)
    return reportError("compiling '" + spec.name +
                       "': " + llvm::toString(attention.takeError()));
  auto dense = compileAttention(denseOf(spec), compile, &denseSeconds);
  if (!dense)
    return reportError("compiling the dense attention: " +
                       llvm::toString(dense.takeError()));
  TimingPolicy policy;
  policy.callsPerBatch = options.repeat;
  const BlockMask &support = (*attention)->support();
  // The support's share of the blocks a dense row visits (causal: those on
  // or below the diagonal).
  const double blocks = static_cast<double>(support.blockRows);
  const double visited =
      spec.causal ? blocks * (blocks + 1) / 2 : blocks * blocks;
  const double density = support.nnzBlocks() / visited;

  std::vector<Row> rows;
  for (int64_t tokens : tokenCounts) {
    Row row;
    row.tokens = tokens;
    std::tie(row.forward, row.backward) =
        timeAttention(**attention, options.batch, tokens, policy);
    std::tie(row.denseForward, row.denseBackward) =
        timeAttention(**dense, options.batch, tokens, policy);
    std::tie(row.workspace, row.workspaceBackward) =
        workspaceBytes(spec, tokens);
    std::tie(row.denseWorkspace, row.denseWorkspaceBackward) =
        workspaceBytes(denseOf(spec), tokens);
    row.peakResident = peakResidentBytes();
    rows.push_back(row);
  }

  const std::string what = fmt::format(
      "{}: T<={} heads={} d={} b={} {} (support density {:.4f}{}) m={}{}",
      spec.name, spec.seqLen, spec.heads, spec.headDim, spec.block,
      spec.butterfly ? spec.butterfly->str() : std::string("no support"),
      density, spec.causal ? " of the causal blocks" : "", spec.features,
      spec.causal ? " causal" : "");
  const std::string baseline =
      "pfc's dense attention (the same kernel, every block, no features: "
      "exact softmax, flash-style)";
  if (options.json) {
    llvm::json::Array results;
    for (const Row &row : rows)
      results.push_back(llvm::json::Object{
          {"tokens", row.tokens},
          {"forward_ms", row.forward.seconds * 1e3},
          {"backward_ms", row.backward.seconds * 1e3},
          {"dense_forward_ms", row.denseForward.seconds * 1e3},
          {"dense_backward_ms", row.denseBackward.seconds * 1e3},
          {"forward_speedup", row.denseForward.seconds / row.forward.seconds},
          {"backward_speedup",
           row.denseBackward.seconds / row.backward.seconds},
          {"workspace_bytes_per_head", row.workspace},
          {"backward_workspace_bytes_per_head", row.workspaceBackward},
          {"dense_workspace_bytes_per_head", row.denseWorkspace},
          {"peak_resident_bytes", row.peakResident}});
    llvm::outs() << llvm::formatv(
        "{0:2}\n",
        llvm::json::Value(llvm::json::Object{{"spec", spec.name},
                                             {"what", what},
                                             {"dense", baseline},
                                             {"threads", options.threads},
                                             {"batch", options.batch},
                                             {"support_density", density},
                                             {"compile_seconds", seconds},
                                             {"results", std::move(results)}}));
    return ExitOk;
  }
  llvm::outs() << what << "\n"
               << fmt::format("batch {}, {} threads; compiled in {:.2f} s "
                              "(dense {:.2f} s)\n",
                              options.batch, options.threads, seconds,
                              denseSeconds)
               << "dense: " << baseline << "\n\n"
               << fmt::format("{:>7} {:>10} {:>10} {:>7} {:>10} {:>10} {:>7} "
                              "{:>11} {:>11}\n",
                              "T", "fwd ms", "dense ms", "fwd x", "bwd ms",
                              "dense ms", "bwd x", "work/head", "peak RSS");
  for (const Row &row : rows)
    llvm::outs() << fmt::format(
        "{:>7} {:>10.3f} {:>10.3f} {:>7.2f} {:>10.3f} {:>10.3f} {:>7.2f} "
        "{:>9.2f}MB {:>9.1f}MB\n",
        row.tokens, row.forward.seconds * 1e3, row.denseForward.seconds * 1e3,
        row.denseForward.seconds / row.forward.seconds,
        row.backward.seconds * 1e3, row.denseBackward.seconds * 1e3,
        row.denseBackward.seconds / row.backward.seconds,
        row.workspaceBackward / 1e6, row.peakResident / 1e6);
  llvm::outs() << "\nx = dense time / pfc time (above 1: pfc is faster); "
                  "work/head = the backward's working memory per head "
                  "(linear in T)\n";
  return ExitOk;
}

} // namespace pfc
