// A user's program against an installed pfc runtime (tests/install): checks
// a Pixelfly layer run through the runtime against a naive computation of
// its own, sharing nothing with pfc but the parameter layout.
//
//   pfc-consumer        the mask, a safetensors round trip and the
//                       runtime's reference forward, for a layer built here
//   pfc-consumer DIR    also the layer `pfc compile` wrote into DIR, loaded
//                       and run as compiled code
//
// Inputs are drawn from a fresh seed, printed; PFC_TEST_SEED=<seed> repeats.
#include "pfc/Runtime/CompiledLayer.h"
#include "pfc/Runtime/Layer.h"
#include "pfc/Runtime/Params.h"
#include "pfc/Runtime/Reference.h"
#include "pfc/Runtime/TensorFile.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

int failures = 0;

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

void check(bool ok, const std::string &what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
  if (!ok)
    ++failures;
}

// The mask rule (DESIGN.md) applied element by element: a b×b block is
// nonzero iff an element under it lies in a coarse cell (p, q) with
// p XOR q = 0 or k/2 for a stride k. No shuffle, no global rows.
bool naiveBlockNonZero(const pfc::LayerSpec &spec, int64_t br, int64_t bc) {
  const int64_t b = spec.block, s = spec.butterfly.size;
  const int64_t cellRows = spec.paddedOut() / s, cellCols = spec.paddedIn() / s;
  for (int64_t i = br * b; i < (br + 1) * b; ++i)
    for (int64_t j = bc * b; j < (bc + 1) * b; ++j) {
      const int64_t x = (i / cellRows) ^ (j / cellCols);
      if (x == 0)
        return true;
      for (int64_t k : spec.butterfly.strides)
        if (x == k / 2)
          return true;
    }
  return false;
}

// y = γ·x·Bᵀ + (1−γ)·(x·V)·Uᵀ + bias in double, B placed from the BSR blocks.
std::vector<double> naiveForward(const pfc::LayerSpec &spec,
                                 const pfc::BlockMask &mask,
                                 const pfc::LayerParams &p,
                                 const std::vector<float> &x, int64_t tokens) {
  const int64_t in = spec.inFeatures, out = spec.outFeatures, b = spec.block;
  const int64_t r = spec.rank;
  std::vector<double> w(out * in, 0.0);
  for (int64_t br = 0; br < mask.blockRows; ++br)
    for (int64_t n = mask.rowStart[br]; n < mask.rowStart[br + 1]; ++n)
      for (int64_t i = 0; i < b; ++i)
        for (int64_t j = 0; j < b; ++j) {
          const int64_t row = br * b + i, col = mask.colIndex[n] * b + j;
          if (row < out && col < in)
            w[row * in + col] = p.blocks[(n * b + i) * b + j];
        }
  std::vector<double> y(tokens * out);
  for (int64_t t = 0; t < tokens; ++t) {
    const float *xt = &x[t * in];
    double gamma = p.gamma;
    if (spec.gammaMode == pfc::GammaMode::Gate) {
      double z = p.gateBias;
      for (int64_t k = 0; k < in; ++k)
        z += double(xt[k]) * p.gateWeight[k];
      gamma = 1.0 - 1.0 / (1.0 + std::exp(-z));
    }
    std::vector<double> xv(r, 0.0);
    for (int64_t j = 0; j < r; ++j)
      for (int64_t k = 0; k < in; ++k)
        xv[j] += double(xt[k]) * p.v[k * r + j];
    for (int64_t o = 0; o < out; ++o) {
      double sparse = 0.0, low = 0.0;
      for (int64_t k = 0; k < in; ++k)
        sparse += w[o * in + k] * xt[k];
      for (int64_t j = 0; j < r; ++j)
        low += xv[j] * p.u[o * r + j];
      y[t * out + o] =
          gamma * sparse + (1.0 - gamma) * low + (spec.bias ? p.bias[o] : 0.0);
    }
  }
  return y;
}

// ||y − ref|| / ||ref||; infinite when y holds a NaN (an unwritten output).
template <typename T>
double relativeError(const std::vector<T> &y, const std::vector<double> &ref) {
  double diff = 0.0, norm = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (std::isnan(double(y[i])))
      return INFINITY;
    diff += (double(y[i]) - ref[i]) * (double(y[i]) - ref[i]);
    norm += ref[i] * ref[i];
  }
  return std::sqrt(diff / norm);
}

std::vector<float> randomInputs(std::mt19937_64 &rng, size_t count) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float &v : values)
    v = dist(rng);
  return values;
}

void checkLayerBuiltHere(uint64_t seed, std::mt19937_64 &rng) {
  pfc::LayerSpec spec;
  spec.name = "consumer";
  // Padded 120 × 72 in blocks of 8; a coarse cell is 30 × 18 elements, so
  // the OR onto the block grid matters.
  spec.inFeatures = 117;
  spec.outFeatures = 70;
  spec.block = 8;
  spec.butterfly.size = 4;
  spec.butterfly.strides = {2, 4};
  spec.rank = 5;
  spec.gammaMode = pfc::GammaMode::Gate;
  const std::string fits =
      pfc::checkPatternFits(spec.butterfly, spec.paddedOut(), spec.paddedIn());
  if (!fits.empty()) {
    check(false, "the pattern fits: " + fits);
    return;
  }
  const pfc::BlockMask mask = spec.blockMask();
  bool same = mask.blockRows == spec.paddedOut() / spec.block &&
              mask.blockCols == spec.paddedIn() / spec.block;
  for (int64_t br = 0; same && br < mask.blockRows; ++br)
    for (int64_t bc = 0; bc < mask.blockCols; ++bc)
      same = same && mask.contains(br, bc) == naiveBlockNonZero(spec, br, bc);
  check(same, "mask of " + std::to_string(mask.nnzBlocks()) +
                  " blocks matches the rule");

  const pfc::LayerParams params = pfc::initParams(spec, mask, seed);
  std::string error;
  char path[] = "/tmp/pfc-consumer-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) {
    check(false, "a temporary file");
    return;
  }
  close(fd);
  pfc::TensorMap tensors;
  pfc::LayerParams back;
  const bool roundTrip =
      pfc::writeSafetensors(path, pfc::tensorsFromParams(spec, mask, params),
                            {}, error) &&
      pfc::readSafetensors(path, tensors, error) &&
      pfc::paramsFromTensors(spec, mask, tensors, back, error);
  unlink(path);
  check(roundTrip && back.blocks == params.blocks && back.u == params.u &&
            back.v == params.v && back.gateWeight == params.gateWeight &&
            back.gateBias == params.gateBias && back.bias == params.bias,
        "parameters survive a safetensors round trip " + error);

  const int64_t tokens = 5;
  const std::vector<float> x = randomInputs(rng, tokens * spec.inFeatures);
  const double err =
      relativeError(pfc::referenceForward(spec, mask, params, x, tokens),
                    naiveForward(spec, mask, params, x, tokens));
  check(err < 1e-12,
        "the runtime's reference forward, relative error " + number(err));
}

void checkCompiledLayer(const std::string &dir, uint64_t seed,
                        std::mt19937_64 &rng) {
  std::string error;
  std::unique_ptr<pfc::Layer> layer = pfc::loadCompiledLayer(dir, 0, error);
  if (!layer) {
    check(false, "loading " + dir + ": " + error);
    return;
  }
  const pfc::LayerSpec &spec = layer->spec();
  const pfc::LayerParams params = pfc::initParams(spec, layer->mask(), seed);
  if (!layer->setParams(params, error)) {
    check(false, "setting the parameters: " + error);
    return;
  }
  // Not a multiple of any tile, so the remainder tiles run too.
  const int64_t tokens = 13;
  const std::vector<float> x = randomInputs(rng, tokens * spec.inFeatures);
  std::vector<float> y(tokens * spec.outFeatures, NAN);
  layer->forward(x.data(), tokens, y.data());
  const double err =
      relativeError(y, naiveForward(spec, layer->mask(), params, x, tokens));
  check(err < 1e-5, "compiled " + spec.name + " forward on " +
                        std::to_string(tokens) + " tokens, relative error " +
                        number(err));
}

} // namespace

int main(int argc, char **argv) {
  if (argc > 2) {
    std::fprintf(stderr, "usage: %s [DIR]\n", argv[0]);
    return 2;
  }
  const char *fixed = std::getenv("PFC_TEST_SEED");
  const uint64_t seed =
      fixed ? std::strtoull(fixed, nullptr, 10) : std::random_device{}();
  std::printf("seed %llu (PFC_TEST_SEED=%llu repeats it)\n",
              (unsigned long long)seed, (unsigned long long)seed);
  std::mt19937_64 rng(seed);
  checkLayerBuiltHere(seed, rng);
  if (argc == 2)
    checkCompiledLayer(argv[1], seed, rng);
  return failures == 0 ? 0 : 1;
}
