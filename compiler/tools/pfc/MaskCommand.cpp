//===- MaskCommand.cpp - `pfc mask`: draw a layer's or attention's mask ---===//
#include "Commands.h"

#include "pfc/Cli/JsonOutput.h"
#include "pfc/Pattern/Butterfly.h"
#include "pfc/Spec/SpecParser.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace llvm;

namespace pfc {

static cl::SubCommand
    sub("mask", "Show a layer's block mask or an attention's support");
static SpecArgument specPath(sub, "<spec.yaml>");
static JsonFlag json(sub, "Print the mask as one JSON object");
static cl::opt<std::string> imagePath("image",
                                      cl::desc("Also draw the mask as SVG"),
                                      cl::value_desc("file.svg"), cl::sub(sub),
                                      cl::cat(pfcCategory()));

/// What a mask is drawn for: a layer's weight or an attention's support.
struct MaskSubject {
  std::string name;
  /// The shape and the pattern, such as "3072x768, S=16 k=2,4".
  std::string shape;
  json::Object spec;
  BlockMask mask;
};

static MaskSubject subjectOf(const LayerSpec &spec) {
  std::string shape;
  raw_string_ostream os(shape);
  BlockMask mask = spec.blockMask();
  os << spec.outFeatures << "x" << spec.inFeatures;
  if (mask.rows != spec.outFeatures || mask.cols != spec.inFeatures)
    os << " (padded " << mask.rows << "x" << mask.cols << ")";
  os << ", " << spec.butterfly.str();
  return {spec.name, std::move(shape), toJson(spec), std::move(mask)};
}

static MaskSubject subjectOf(const AttentionSpec &spec) {
  std::string shape;
  raw_string_ostream os(shape);
  os << spec.seqLen << " tokens";
  if (spec.paddedSeq() != spec.seqLen)
    os << " (padded " << spec.paddedSeq() << ")";
  os << ", " << (spec.butterfly ? spec.butterfly->str() : "no support")
     << (spec.causal ? ", causal" : "");
  return {spec.name, std::move(shape), toJson(spec), spec.support()};
}

static void printText(const MaskSubject &subject, raw_ostream &os) {
  const BlockMask &mask = subject.mask;
  os << subject.name << ": " << subject.shape << ", block " << mask.block
     << ": " << mask.blockRows << "x" << mask.blockCols << " blocks, "
     << mask.nnzBlocks() << " nonzero, density "
     << format("%.4f", mask.density()) << "\n";
  for (int64_t r = 0; r < mask.blockRows; ++r) {
    std::string row(mask.blockCols, '.');
    for (int64_t i = mask.rowStart[r]; i < mask.rowStart[r + 1]; ++i)
      row[mask.colIndex[i]] = '#';
    os << row << "\n";
  }
}

static void printJson(const MaskSubject &subject, raw_ostream &os) {
  const BlockMask &mask = subject.mask;
  json::Array blocks;
  for (auto [row, col] : mask.blocks())
    blocks.push_back(json::Array{row, col});
  json::Object object = subject.spec;
  object["block_rows"] = mask.blockRows;
  object["block_cols"] = mask.blockCols;
  object["nnz_blocks"] = mask.nnzBlocks();
  object["density"] = mask.density();
  object["blocks"] = std::move(blocks);
  os << json::Value(std::move(object)) << "\n";
}

static void printSvg(const MaskSubject &subject, raw_ostream &os) {
  const BlockMask &mask = subject.mask;
  const int64_t cell = std::clamp<int64_t>(
      960 / std::max(mask.blockRows, mask.blockCols), 1, 16);
  const int64_t width = mask.blockCols * cell, height = mask.blockRows * cell;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
     << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " "
     << height << "\" shape-rendering=\"crispEdges\">\n"
     << "<title>" << subject.name << ": " << mask.nnzBlocks() << " of "
     << mask.blockRows * mask.blockCols << " blocks of " << mask.block << "x"
     << mask.block << "</title>\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"#f4f4f4\"/>\n";
  for (auto [row, col] : mask.blocks())
    os << "<rect x=\"" << col * cell << "\" y=\"" << row * cell << "\" width=\""
       << cell << "\" height=\"" << cell << "\" fill=\"#1f4e79\"/>\n";
  os << "</svg>\n";
}

static int run() {
  if (!imagePath.empty() &&
      !sys::path::extension(imagePath).equals_insensitive(".svg"))
    return reportError("--image writes SVG: '" + imagePath +
                       "' does not end in .svg");
  std::optional<Spec> spec = parseSpecFile(
      specPath, diagnostics(), SpecKind::Layer | SpecKind::Attention);
  if (!spec)
    return ExitBadInput;
  const MaskSubject subject = std::holds_alternative<LayerSpec>(*spec)
                                  ? subjectOf(std::get<LayerSpec>(*spec))
                                  : subjectOf(std::get<AttentionSpec>(*spec));
  if (!imagePath.empty())
    if (int code = writeOutput(imagePath,
                               [&](raw_ostream &os) { printSvg(subject, os); }))
      return code;
  if (json)
    printJson(subject, outs());
  else
    printText(subject, outs());
  return ExitOk;
}

Command &maskCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc
