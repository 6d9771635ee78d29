//===- MaskCommand.cpp - `pfc mask`: draw a layer's block mask ------------===//
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

static cl::SubCommand sub("mask", "Show the block mask of a layer spec");
static SpecArgument specPath(sub, "<layer.yaml>");
static JsonFlag json(sub, "Print the mask as one JSON object");
static cl::opt<std::string> imagePath("image",
                                      cl::desc("Also draw the mask as SVG"),
                                      cl::value_desc("file.svg"), cl::sub(sub),
                                      cl::cat(pfcCategory()));

static void printText(const LayerSpec &spec, const BlockMask &mask,
                      raw_ostream &os) {
  os << spec.name << ": " << spec.outFeatures << "x" << spec.inFeatures;
  if (mask.rows != spec.outFeatures || mask.cols != spec.inFeatures)
    os << " (padded " << mask.rows << "x" << mask.cols << ")";
  os << ", " << spec.butterfly.str() << ", block " << mask.block << ": "
     << mask.blockRows << "x" << mask.blockCols << " blocks, "
     << mask.nnzBlocks() << " nonzero, density "
     << format("%.4f", mask.density()) << "\n";
  for (int64_t r = 0; r < mask.blockRows; ++r) {
    std::string row(mask.blockCols, '.');
    for (int64_t i = mask.rowStart[r]; i < mask.rowStart[r + 1]; ++i)
      row[mask.colIndex[i]] = '#';
    os << row << "\n";
  }
}

static void printJson(const LayerSpec &spec, const BlockMask &mask,
                      raw_ostream &os) {
  json::Array blocks;
  for (auto [row, col] : mask.blocks())
    blocks.push_back(json::Array{row, col});
  json::Object object = toJson(spec);
  object["block_rows"] = mask.blockRows;
  object["block_cols"] = mask.blockCols;
  object["nnz_blocks"] = mask.nnzBlocks();
  object["density"] = mask.density();
  object["blocks"] = std::move(blocks);
  os << json::Value(std::move(object)) << "\n";
}

static void printSvg(const LayerSpec &spec, const BlockMask &mask,
                     raw_ostream &os) {
  const int64_t cell = std::clamp<int64_t>(
      960 / std::max(mask.blockRows, mask.blockCols), 1, 16);
  const int64_t width = mask.blockCols * cell, height = mask.blockRows * cell;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
     << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " "
     << height << "\" shape-rendering=\"crispEdges\">\n"
     << "<title>" << spec.name << ": " << mask.nnzBlocks() << " of "
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
  std::optional<LoadedLayer> loaded = loadLayerSpec(specPath);
  if (!loaded)
    return ExitBadInput;
  const LayerSpec &layer = loaded->spec;
  const BlockMask &mask = loaded->mask;
  if (!imagePath.empty())
    if (int code = writeOutput(
            imagePath, [&](raw_ostream &os) { printSvg(layer, mask, os); }))
      return code;
  if (json)
    printJson(layer, mask, outs());
  else
    printText(layer, mask, outs());
  return ExitOk;
}

Command &maskCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc
