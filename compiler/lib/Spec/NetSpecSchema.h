//===- NetSpecSchema.h - The reader of `pfc: 1` net specs -------*- C++ -*-===//
//
// Private to the spec library: the state of reading one net spec, shared by
// the net's structure (NetSpecParser.cpp: data, layers, how they connect)
// and its training settings (NetSpecTrain.cpp: optimizer, learning-rate
// schedule).
//
//===----------------------------------------------------------------------===//
#ifndef PFC_LIB_SPEC_NETSPECSCHEMA_H
#define PFC_LIB_SPEC_NETSPECSCHEMA_H

#include "SpecSchema.h"

#include "pfc/Spec/NetSpec.h"

#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"

#include <optional>
#include <vector>

namespace pfc {

/// A module as read, with where its values stand: its input count is known
/// only once the whole net is read.
struct PendingModule {
  NetModule module;
  LayerLocs locs;
  llvm::SMLoc item;       ///< the list item, or the `model:` value
  bool fromModel = false; ///< planned from a model spec: its shape is fixed
};

class NetSpecParser {
public:
  explicit NetSpecParser(llvm::SourceMgr &sourceMgr)
      : sourceMgr(sourceMgr), reader(sourceMgr), schema(reader) {}

  std::optional<NetSpec> parse();

private:
  bool readRoot(llvm::yaml::Node *root, llvm::SMLoc start, NetSpec &net);
  bool readNet(llvm::yaml::Node *node, llvm::SMLoc ownerLoc, NetSpec &net);
  bool readData(llvm::yaml::Node *node, llvm::SMLoc ownerLoc, DataSpec &data);
  bool readLayerItem(llvm::yaml::Node *item,
                     std::vector<PendingModule> &modules);
  bool readDense(llvm::yaml::Node *node, llvm::SMLoc ownerLoc,
                 const LayerContext &context, LayerSpec &layer,
                 LayerLocs &locs);
  bool readModelFile(llvm::yaml::Node *node,
                     std::vector<PendingModule> &modules);
  bool connect(std::vector<PendingModule> &modules, llvm::SMLoc layersLoc,
               NetSpec &net);
  bool readTrain(llvm::yaml::Node *node, llvm::SMLoc ownerLoc,
                 TrainSpec &train);
  bool readOptimizer(llvm::yaml::Node *node, llvm::SMLoc ownerLoc,
                     OptimizerSpec &optimizer);
  bool readSchedule(llvm::yaml::Node *node, llvm::SMLoc ownerLoc,
                    ScheduleSpec &schedule);

  /// A choice among named variants: a one-key mapping `{name: settings}`,
  /// or, for the names in `bare`, the name alone (the handler then gets a
  /// null value). `what` names a variant in messages ("layer").
  bool readVariant(llvm::yaml::Node *node, llvm::StringRef context,
                   llvm::SMLoc ownerLoc, llvm::StringRef what,
                   llvm::ArrayRef<llvm::StringRef> choices,
                   llvm::ArrayRef<llvm::StringRef> bare,
                   YamlReader::KeyHandler handler);
  /// A number in (0, max]; `range` spells the interval for users.
  std::optional<double> readPositive(llvm::yaml::Node *node,
                                     llvm::StringRef key, double max,
                                     llvm::StringRef range);
  /// A number in [0, 1).
  std::optional<double> readBelowOne(llvm::yaml::Node *node,
                                     llvm::StringRef key);

  llvm::SourceMgr &sourceMgr;
  YamlReader reader;
  SpecSchema schema;
};

} // namespace pfc

#endif // PFC_LIB_SPEC_NETSPECSCHEMA_H
