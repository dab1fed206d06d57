//===- Einsum.cpp - Einsum equations as loop nests ------------------------===//

#include "mnemo/Dialect/Graph/IR/Einsum.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"

#include <map>

using namespace mlir;
using namespace mnemo::graph;

namespace {

/// One side of an equation term: its labels, and where the ellipsis sits
/// among them (-1: none).
struct Term {
  std::string labels;
  int64_t ellipsisAt = -1;
};

FailureOr<Term> parseTerm(std::optional<Location> loc, StringRef text) {
  Term t;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (text.substr(i).starts_with("...")) {
      if (t.ellipsisAt >= 0)
        return emitOptionalError(loc, "einsum term '", text,
                                 "' has two ellipses");
      t.ellipsisAt = t.labels.size();
      i += 2;
    } else if (llvm::isAlpha(ch)) {
      t.labels.push_back(ch);
    } else {
      return emitOptionalError(loc, "einsum term '", text,
                               "' has an invalid character '",
                               std::string(1, ch), "'");
    }
  }
  return t;
}

} // namespace

FailureOr<EinsumSpec> mnemo::graph::parseEinsum(std::optional<Location> loc,
                                                StringRef equation,
                                                ArrayRef<int64_t> ranks) {
  std::string eq;
  for (char ch : equation)
    if (ch != ' ')
      eq.push_back(ch);
  StringRef lhs = eq, rhs;
  bool explicitOutput = false;
  if (size_t arrow = lhs.find("->"); arrow != StringRef::npos) {
    rhs = lhs.substr(arrow + 2);
    lhs = lhs.substr(0, arrow);
    explicitOutput = true;
  }
  SmallVector<StringRef> texts;
  lhs.split(texts, ',');
  if (texts.size() != ranks.size())
    return emitOptionalError(loc, "einsum equation '", equation, "' names ",
                             texts.size(), " inputs, the op has ",
                             ranks.size());
  SmallVector<Term> terms;
  int64_t ellipsisDims = 0;
  for (auto [text, rank] : llvm::zip(texts, ranks)) {
    FailureOr<Term> t = parseTerm(loc, text);
    if (failed(t))
      return failure();
    int64_t covered = rank - (int64_t)t->labels.size();
    if (covered < 0 || (t->ellipsisAt < 0 && covered != 0))
      return emitOptionalError(loc, "einsum term '", text, "' does not fit ",
                               "an input of rank ", rank);
    ellipsisDims = std::max(ellipsisDims, covered);
    terms.push_back(*t);
  }
  EinsumSpec spec;
  std::map<char, int64_t> loopOf, uses;
  for (const Term &t : terms)
    for (char ch : t.labels) {
      if (!loopOf.count(ch))
        loopOf.emplace(ch, ellipsisDims + (int64_t)loopOf.size());
      ++uses[ch];
    }
  spec.numLoops = ellipsisDims + loopOf.size();
  for (auto [t, rank] : llvm::zip(terms, ranks)) {
    SmallVector<int64_t> dims;
    int64_t covered = rank - (int64_t)t.labels.size();
    for (int64_t i = 0; i <= (int64_t)t.labels.size(); ++i) {
      if (i == t.ellipsisAt)
        for (int64_t j = 0; j < covered; ++j)
          dims.push_back(ellipsisDims - covered + j);
      if (i < (int64_t)t.labels.size())
        dims.push_back(loopOf[t.labels[i]]);
    }
    spec.inputs.push_back(dims);
  }
  if (!explicitOutput) {
    for (int64_t d = 0; d < ellipsisDims; ++d)
      spec.output.push_back(d);
    for (auto [ch, n] : uses) // std::map: alphabetical
      if (n == 1)
        spec.output.push_back(loopOf[ch]);
    return spec;
  }
  FailureOr<Term> out = parseTerm(loc, rhs);
  if (failed(out))
    return failure();
  if (out->ellipsisAt < 0 && ellipsisDims > 0)
    return emitOptionalError(loc, "einsum output '", rhs,
                             "' must keep the inputs' ellipsis");
  for (int64_t i = 0; i <= (int64_t)out->labels.size(); ++i) {
    if (i == out->ellipsisAt)
      for (int64_t d = 0; d < ellipsisDims; ++d)
        spec.output.push_back(d);
    if (i == (int64_t)out->labels.size())
      break;
    char ch = out->labels[i];
    if (!loopOf.count(ch))
      return emitOptionalError(loc, "einsum output label '",
                               std::string(1, ch), "' is not in any input");
    if (llvm::is_contained(spec.output, loopOf[ch]))
      return emitOptionalError(loc, "einsum output label '",
                               std::string(1, ch), "' is repeated");
    spec.output.push_back(loopOf[ch]);
  }
  return spec;
}

FailureOr<SmallVector<int64_t>>
mnemo::graph::einsumLoopSizes(std::optional<Location> loc,
                              const EinsumSpec &spec,
                              ArrayRef<ArrayRef<int64_t>> shapes) {
  // 0: nothing known yet.
  SmallVector<int64_t> sizes(spec.numLoops, 0);
  for (auto [dims, shape] : llvm::zip(spec.inputs, shapes))
    for (auto [loop, size] : llvm::zip(dims, shape)) {
      int64_t &s = sizes[loop];
      if (ShapedType::isDynamic(size) || size == s)
        continue;
      if (s == 0 || s == 1 || ShapedType::isDynamic(s)) {
        if (!(ShapedType::isDynamic(s) && size == 1))
          s = size;
      } else if (size != 1)
        return emitOptionalError(loc, "einsum inputs disagree on a dim: ", s,
                                 " vs ", size);
    }
  for (auto [loop, s] : llvm::enumerate(sizes))
    if (s == 0) {
      // Only dynamic sizes seen (or none).
      bool seen = false;
      for (auto [dims, shape] : llvm::zip(spec.inputs, shapes))
        for (auto [d, size] : llvm::zip(dims, shape))
          seen |= (int64_t)d == (int64_t)loop;
      s = seen ? ShapedType::kDynamic : 1;
    }
  return sizes;
}
