//===- RunCommand.cpp - `pfc run`: a layer's or attention's forward -------===//
//
// Runs a layer on x [T, in], or an attention on q, k, v [batch, heads, T, d],
// and with --grad-output its backward too. Every input is read and checked
// before anything is compiled; outputs are written atomically, all or none.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "pfc/Runtime/Params.h"
#include "pfc/Runtime/TensorFile.h"
#include "pfc/Spec/SpecParser.h"
#include "pfc/Target/Jit.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

using namespace llvm;

namespace pfc {

static cl::SubCommand
    sub("run", "Run a layer's forward on a [T, in] array, or an attention's "
               "on q, k, v (and the backward: --grad-output)");
static SpecArgument specPath(sub, "<spec.yaml>");
static cl::opt<std::string> paramsPath(
    "params",
    cl::desc("A layer's parameters (from pfc init or training); required "
             "for a layer"),
    cl::value_desc("params.safetensors"), cl::sub(sub), cl::cat(pfcCategory()));
static cl::opt<std::string>
    inputPath("input",
              cl::desc("A layer's input x, f32 [T, in]; required "
                       "for a layer"),
              cl::value_desc("x.npy"), cl::sub(sub), cl::cat(pfcCategory()));
static cl::opt<std::string> queryPath(
    "q",
    cl::desc("An attention's queries, f32 [batch, heads, T, head_dim], "
             "T <= seq_len; required for an attention, with --k and --v"),
    cl::value_desc("q.npy"), cl::sub(sub), cl::cat(pfcCategory()));
static cl::opt<std::string>
    keyPath("k", cl::desc("An attention's keys, the shape of q"),
            cl::value_desc("k.npy"), cl::sub(sub), cl::cat(pfcCategory()));
static cl::opt<std::string>
    valuePath("v", cl::desc("An attention's values, the shape of q"),
              cl::value_desc("v.npy"), cl::sub(sub), cl::cat(pfcCategory()));
static cl::opt<std::string> gradOutputPath(
    "grad-output",
    cl::desc("Also run the backward of d(loss)/dy, f32 [T, out] (attention: "
             "d(loss)/do, the shape of q); -o is then a directory"),
    cl::value_desc("dy.npy"), cl::sub(sub), cl::cat(pfcCategory()));
static OutputOption
    outputPath(sub,
               "Write y, f32 [T, out] (attention: o, the shape of q); with "
               "--grad-output, write y.npy, dx.npy and grads.safetensors "
               "(attention: o.npy, dq.npy, dk.npy and dv.npy) to <dir>, "
               "created if missing",
               "y.npy|dir", /*required=*/true);
static ThreadsOption threads(sub, "Threads to run on (default: all)");
static ScheduleFlags scheduleFlags(sub);

/// Reports a usage mistake (an option that does not go with the spec's
/// kind, or one that is missing) and returns ExitUsage.
static int usageError(const Twine &message) {
  reportError(message);
  return ExitUsage;
}

/// `pfc run` of a layer spec.
static int runLayer(const LoadedLayer &loaded) {
  if (!queryPath.empty() || !keyPath.empty() || !valuePath.empty())
    return usageError(specPath + ": --q, --k and --v go with an attention "
                                 "spec, not a layer spec (use --input)");
  if (paramsPath.empty() || inputPath.empty())
    return usageError(specPath + ": a layer spec needs --params and --input");
  const LayerSpec &spec = loaded.spec;
  const BlockMask &mask = loaded.mask;
  const bool backward = !gradOutputPath.empty();

  std::string error;
  TensorMap tensors;
  if (!readSafetensors(paramsPath, tensors, error))
    return reportFileError(error);
  LayerParams params;
  if (!paramsFromTensors(spec, mask, tensors, params, error))
    return reportFileError(paramsPath + ": error: " + error);
  Tensor x;
  if (!readNpy(inputPath, x, error))
    return reportFileError(error);
  if (x.shape.size() != 2 || x.shape[1] != spec.inFeatures)
    return reportFileError(fmt::format(
        "{}: error: input has shape {} (expected [T, {}] for layer '{}')",
        inputPath.getValue(), shapeString(x.shape), spec.inFeatures,
        spec.name));
  const int64_t tokens = x.shape[0];
  Tensor dy;
  if (backward) {
    if (!readNpy(gradOutputPath, dy, error))
      return reportFileError(error);
    if (dy.shape != std::vector<int64_t>{tokens, spec.outFeatures})
      return reportFileError(fmt::format(
          "{}: error: output gradient has shape {} (expected [{}, {}]: [T, "
          "out] for layer '{}' and the input's {} tokens)",
          gradOutputPath.getValue(), shapeString(dy.shape), tokens,
          spec.outFeatures, spec.name, tokens));
  }

  // y, and with the backward dx and the gradients.
  if (int code = checkFitsInMemory(
          4.0 * tokens *
              (double(spec.outFeatures) + (backward ? spec.inFeatures : 0)),
          "the outputs of " + Twine(tokens) + " tokens"))
    return code;
  CompileOptions options(threads, scheduleFlags.choice(), tokens);
  options.backward = backward;
  auto layer = compileLayer(spec, options);
  if (!layer)
    return reportError(specPath + ": " + toString(layer.takeError()));
  if (!(*layer)->setParams(params, error))
    return reportFileError(paramsPath + ": error: " + error);
  Tensor y;
  y.shape = {tokens, spec.outFeatures};
  y.data.resize(tokens * spec.outFeatures);
  (*layer)->forward(x.data.data(), tokens, y.data.data());
  if (!backward)
    return writeNpy(outputPath, y, error) ? ExitOk : reportFileError(error);

  Tensor dx;
  dx.shape = x.shape;
  dx.data.resize(x.data.size());
  LayerParams grads;
  (*layer)->backward(x.data.data(), dy.data.data(), tokens, dx.data.data(),
                     grads);

  // Everything is encoded before the directory is made or a file written.
  // The gradients carry the parameters' names and shapes; the metadata says
  // they are gradients.
  TensorMetadata metadata = {{"pfc.layer", spec.name},
                             {"pfc.gradients", "d(sum(y * dy))/d(parameter)"},
                             {"pfc.version", PFC_VERSION}};
  raw_string_ostream specText(metadata["pfc.spec"]);
  printLayerSpec(spec, specText);
  const std::string dir = outputPath;
  std::vector<std::pair<std::string, std::string>> files = {
      {dir + "/y.npy", ""},
      {dir + "/dx.npy", ""},
      {dir + "/grads.safetensors", ""}};
  if (!encodeNpy(y, files[0].second, error) ||
      !encodeNpy(dx, files[1].second, error) ||
      !encodeSafetensors(tensorsFromParams(spec, mask, grads), metadata,
                         files[2].second, error))
    return reportError(error);
  if (int code =
          makeOutputDirectory(dir, "y.npy, dx.npy and grads.safetensors"))
    return code;
  return writeOutputs(files);
}

/// Reads the attention input `path` (`what`: "q", "k", "v" or "output
/// gradient") into `tensor`; each must have the shape `want` (empty: q,
/// which sets it). Returns ExitOk or reports why not.
static int readAttentionInput(const AttentionSpec &spec,
                              const std::string &path, const char *what,
                              std::vector<int64_t> &want, Tensor &tensor) {
  std::string error;
  if (!readNpy(path, tensor, error))
    return reportFileError(error);
  const std::vector<int64_t> &shape = tensor.shape;
  if (!want.empty()) {
    if (shape != want)
      return reportFileError(fmt::format(
          "{}: error: {} has shape {} (expected {}, the shape of q)", path,
          what, shapeString(shape), shapeString(want)));
    return ExitOk;
  }
  if (shape.size() != 4 || shape[1] != spec.heads || shape[3] != spec.headDim)
    return reportFileError(fmt::format(
        "{}: error: {} has shape {} (expected [batch, {}, T, {}]: [batch, "
        "heads, T, head_dim] for attention '{}')",
        path, what, shapeString(shape), spec.heads, spec.headDim, spec.name));
  if (shape[0] < 1 || shape[2] < 1)
    return reportFileError(fmt::format(
        "{}: error: {} has shape {}: no {} (expected at least 1)", path, what,
        shapeString(shape), shape[0] < 1 ? "batch" : "tokens"));
  if (shape[2] > spec.seqLen)
    return reportFileError(fmt::format(
        "{}: error: {} has {} tokens, more than attention '{}' takes "
        "(seq_len {})",
        path, what, shape[2], spec.name, spec.seqLen));
  want = shape;
  return ExitOk;
}

/// `pfc run` of an attention spec: o for q, k, v and with --grad-output
/// dq, dk and dv.
static int runAttention(const AttentionSpec &spec) {
  if (!paramsPath.empty() || !inputPath.empty())
    return usageError(specPath + ": --params and --input go with a layer "
                                 "spec; an attention takes --q, --k and --v");
  if (queryPath.empty() || keyPath.empty() || valuePath.empty())
    return usageError(specPath + ": an attention spec needs --q, --k and --v");
  if (!scheduleFlags.choice().empty())
    return usageError(specPath + ": the schedule's flags (--tile, --vector, "
                                 "--chunk, ...) apply to layers, not to "
                                 "attention");
  const bool backward = !gradOutputPath.empty();

  std::vector<int64_t> shape;
  Tensor q, k, v, dout;
  if (int code = readAttentionInput(spec, queryPath, "q", shape, q))
    return code;
  if (int code = readAttentionInput(spec, keyPath, "k", shape, k))
    return code;
  if (int code = readAttentionInput(spec, valuePath, "v", shape, v))
    return code;
  if (backward)
    if (int code = readAttentionInput(spec, gradOutputPath, "output gradient",
                                      shape, dout))
      return code;
  const int64_t batch = shape[0], tokens = shape[2];
  const double elements = static_cast<double>(q.data.size());

  // o and the row statistics, and with the backward dq, dk and dv.
  if (int code = checkFitsInMemory(
          4.0 * elements *
              (1 + 3.0 / double(spec.headDim) + (backward ? 3 : 0)),
          "the outputs of " + Twine(batch) + " x " + Twine(spec.heads) +
              " heads of " + Twine(tokens) + " tokens"))
    return code;
  CompileOptions options(threads);
  options.backward = backward;
  auto attention = compileAttention(spec, options);
  if (!attention)
    return reportError(specPath + ": " + toString(attention.takeError()));
  Tensor o;
  o.shape = shape;
  o.data.resize(q.data.size());
  std::vector<float> stats(
      static_cast<size_t>(batch * spec.heads * tokens * 3));
  (*attention)
      ->forward(q.data.data(), k.data.data(), v.data.data(), batch, tokens,
                o.data.data(), stats.data());
  std::string error;
  if (!backward)
    return writeNpy(outputPath, o, error) ? ExitOk : reportFileError(error);

  Tensor dq, dk, dv;
  for (Tensor *grad : {&dq, &dk, &dv}) {
    grad->shape = shape;
    grad->data.resize(q.data.size());
  }
  (*attention)
      ->backward(q.data.data(), k.data.data(), v.data.data(), batch, tokens,
                 o.data.data(), stats.data(), dout.data.data(), dq.data.data(),
                 dk.data.data(), dv.data.data());

  // Everything is encoded before the directory is made or a file written.
  const std::string dir = outputPath;
  std::vector<std::pair<std::string, std::string>> files = {
      {dir + "/o.npy", ""},
      {dir + "/dq.npy", ""},
      {dir + "/dk.npy", ""},
      {dir + "/dv.npy", ""}};
  const Tensor *tensors[] = {&o, &dq, &dk, &dv};
  for (size_t i = 0; i < files.size(); ++i)
    if (!encodeNpy(*tensors[i], files[i].second, error))
      return reportError(error);
  if (int code = makeOutputDirectory(dir, "o.npy, dq.npy, dk.npy and dv.npy"))
    return code;
  return writeOutputs(files);
}

static int run() {
  std::optional<Spec> spec =
      parseSpecFile(specPath, diagnostics(),
                    SpecKind::Layer | SpecKind::Attention, "the CPU target");
  if (!spec)
    return ExitBadInput;
  if (auto *attention = std::get_if<AttentionSpec>(&*spec))
    return runAttention(*attention);
  LayerSpec &layer = std::get<LayerSpec>(*spec);
  BlockMask mask = layer.blockMask();
  const LoadedLayer loaded{std::move(layer), std::move(mask)};
  return runLayer(loaded);
}

Command &runCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc
