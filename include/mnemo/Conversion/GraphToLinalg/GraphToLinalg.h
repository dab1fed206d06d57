//===- GraphToLinalg.h - graph to linalg patterns ---------------*- C++ -*-===//

#ifndef MNEMO_CONVERSION_GRAPHTOLINALG_GRAPHTOLINALG_H
#define MNEMO_CONVERSION_GRAPHTOLINALG_GRAPHTOLINALG_H

#include "mlir/Transforms/DialectConversion.h"

namespace mnemo {

/// Converts tensor types with unsigned integer elements to signless ones;
/// everything else is legal as is.
class GraphTypeConverter : public mlir::TypeConverter {
public:
  GraphTypeConverter();
};

void populateGraphElementwiseToLinalgPatterns(
    const mlir::TypeConverter &converter, mlir::RewritePatternSet &patterns);
void populateGraphContractionToLinalgPatterns(
    const mlir::TypeConverter &converter, mlir::RewritePatternSet &patterns);
void populateGraphPoolingToLinalgPatterns(
    const mlir::TypeConverter &converter, mlir::RewritePatternSet &patterns);
void populateGraphReductionToLinalgPatterns(
    const mlir::TypeConverter &converter, mlir::RewritePatternSet &patterns);
void populateGraphNormalizationToLinalgPatterns(
    const mlir::TypeConverter &converter, mlir::RewritePatternSet &patterns);
void populateGraphDataMovementToLinalgPatterns(
    const mlir::TypeConverter &converter, mlir::RewritePatternSet &patterns);

/// If, Loop and Scan as scf.if / scf.while / scf.for.
void populateGraphControlFlowToSCFPatterns(
    const mlir::TypeConverter &converter, mlir::RewritePatternSet &patterns);

/// All of the above.
void populateGraphToLinalgPatterns(const mlir::TypeConverter &converter,
                                   mlir::RewritePatternSet &patterns);

} // namespace mnemo

#endif // MNEMO_CONVERSION_GRAPHTOLINALG_GRAPHTOLINALG_H
