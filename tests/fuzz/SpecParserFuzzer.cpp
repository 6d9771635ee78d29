//===- SpecParserFuzzer.cpp - libFuzzer target for the spec parser --------===//
//
// Any input must parse or be rejected with one diagnostic, never crash. A
// layer or attention spec that parses must survive a print/parse round trip
// unchanged and yield a mask (a support); a model spec must plan. Each input is
// also read as a net spec, under the same rule; a net that parses chains its
// layers.
//
//===----------------------------------------------------------------------===//
#include "pfc/Plan/Planner.h"
#include "pfc/Spec/NetSpecParser.h"
#include "pfc/Spec/SpecParser.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace llvm;

static std::optional<pfc::Spec> parse(StringRef text, unsigned &diagnostics) {
  SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      MemoryBuffer::getMemBufferCopy(text, "fuzz.yaml"), SMLoc());
  sourceMgr.setDiagHandler(
      [](const SMDiagnostic &, void *count) {
        ++*static_cast<unsigned *>(count);
      },
      &diagnostics);
  return pfc::parseSpec(sourceMgr);
}

/// Reads `text` as a net spec: parsed, with modules that chain from the
/// data's features to its classes, or rejected with exactly one diagnostic.
static void checkNet(StringRef text) {
  unsigned diagnostics = 0;
  SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      MemoryBuffer::getMemBufferCopy(text, "fuzz.yaml"), SMLoc());
  sourceMgr.setDiagHandler(
      [](const SMDiagnostic &, void *count) {
        ++*static_cast<unsigned *>(count);
      },
      &diagnostics);
  std::optional<pfc::NetSpec> net = pfc::parseNetSpec(sourceMgr);
  if (!net) {
    if (diagnostics != 1)
      std::abort();
    return;
  }
  int64_t width = net->data.features;
  for (const pfc::NetModule &module : net->modules) {
    if (module.layer.inFeatures != width)
      std::abort();
    width = module.layer.outFeatures;
  }
  if (diagnostics != 0 || net->modules.empty() ||
      !net->modules.back().isLinear() || width != net->data.classes ||
      pfc::describeNet(*net).empty())
    std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  checkNet(StringRef(reinterpret_cast<const char *>(data), size));
  unsigned diagnostics = 0;
  std::optional<pfc::Spec> spec =
      parse(StringRef(reinterpret_cast<const char *>(data), size), diagnostics);
  if (!spec) {
    if (diagnostics == 0)
      std::abort(); // rejected without saying why
    return 0;
  }
  if (auto *layer = std::get_if<pfc::LayerSpec>(&*spec)) {
    pfc::BlockMask mask = pfc::buildBlockMask(
        layer->butterfly, layer->outFeatures, layer->inFeatures, layer->block);
    if (mask.nnzBlocks() == 0)
      std::abort();
    std::string printed;
    raw_string_ostream os(printed);
    pfc::printLayerSpec(*layer, os);
    unsigned again = 0;
    std::optional<pfc::Spec> reparsed = parse(os.str(), again);
    if (!reparsed || !(std::get<pfc::LayerSpec>(*reparsed) == *layer))
      std::abort();
    return 0;
  }
  if (auto *attention = std::get_if<pfc::AttentionSpec>(&*spec)) {
    // Building the support touches every block-row: keep it to grids small
    // enough to stay fast.
    const int64_t rows = attention->paddedSeq() / attention->block;
    if (rows <= (1 << 10)) {
      pfc::BlockMask support = attention->support();
      if (support.blockRows != rows ||
          (attention->butterfly && support.nnzBlocks() == 0))
        std::abort();
    }
    std::string printed;
    raw_string_ostream os(printed);
    pfc::printAttentionSpec(*attention, os);
    unsigned again = 0;
    std::optional<pfc::Spec> reparsed = parse(os.str(), again);
    if (!reparsed || !(std::get<pfc::AttentionSpec>(*reparsed) == *attention))
      std::abort();
    return 0;
  }
  // Planning walks every candidate pattern of every layer: keep it to inputs
  // small enough to stay fast.
  const pfc::ModelSpec &model = std::get<pfc::ModelSpec>(*spec);
  int64_t blocks = 0;
  for (const pfc::ModelLayer &layer : model.layers)
    blocks += (layer.inFeatures / model.block + 1) *
              (layer.outFeatures / model.block + 1);
  if (blocks <= (1 << 18))
    (void)pfc::planModel(model);
  return 0;
}
