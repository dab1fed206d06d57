//===- Decode.cpp - the greedy decode loop --------------------------------===//
//
// Drives a compiled decoder step token by token, the way a serving loop
// does. An exported step (past K/V in, present K/V out) gets its presents
// back as the next pasts: every step copies the whole cache. A step
// rewritten by mnemo-kv-cache gets the same caller-owned cache buffers
// every step and the position to write at; the loop checks that only the
// new tokens' bytes of them change.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Runtime/Decode.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>

using namespace llvm;
using namespace mnemo;

namespace {

HostTensor makeTensor(std::string dtype, std::vector<int64_t> shape) {
  HostTensor t;
  t.dtype = std::move(dtype);
  t.shape = std::move(shape);
  t.data.assign(t.numElements() * dtypeBytes(t.dtype), 0);
  return t;
}

/// Integer-like tensor (ids, positions, masks) of `dtype` with `values`.
HostTensor intTensor(const std::string &dtype, std::vector<int64_t> shape,
                     const std::vector<int64_t> &values) {
  HostTensor t = makeTensor(dtype, std::move(shape));
  size_t eb = dtypeBytes(dtype);
  for (size_t i = 0; i < values.size(); ++i) {
    if (eb == 8)
      memcpy(&t.data[i * 8], &values[i], 8);
    else if (eb == 4) {
      int32_t v = (int32_t)values[i];
      memcpy(&t.data[i * 4], &v, 4);
    } else {
      t.data[i] = (uint8_t)values[i];
    }
  }
  return t;
}

float f32At(const HostTensor &t, int64_t i) {
  float v;
  memcpy(&v, &t.data[i * 4], 4);
  return v;
}

/// One artifact's decode state.
struct Stepper {
  LoadedArtifact &a;
  int64_t pos = 0;                       // tokens already in the KV state
  std::map<std::string, HostTensor> pasts; // exported step: by input name
  std::vector<HostTensor> caches;          // per input (empty if not a cache)
  std::vector<int64_t> table;              // paged block table
  std::vector<uint8_t> ws;
  std::vector<float> logits;               // last step's logits output
  std::vector<int64_t> logitsShape;
  std::optional<int64_t> token;            // a next_token output's last id
  int64_t kvBytesWritten = 0;
  double ms = 0;

  explicit Stepper(LoadedArtifact &a) : a(a) {}

  std::string error;

  bool fail(const Twine &msg) {
    error = a.dir + ": " + msg.str();
    return false;
  }

  /// The kivi2 cache of `past`, as the step would leave it after writing
  /// its tokens one by one: codes for every token, (scale, min) per key
  /// channel over each group or per value token, and the last group's
  /// tokens in full precision. The same arithmetic as the compiled write.
  static void packKivi2(const TensorSignature &t, const HostTensor &past,
                        int8_t *codes, float *scale, float *mins, float *group) {
    int64_t b = past.shape[0], h = past.shape[1], p = past.shape[2],
            d = past.shape[3], m = t.kvMaxSeq, g = t.kvGroup;
    bool key = t.kvKind == "key";
    auto x = [&](int64_t bi, int64_t hi, int64_t ti, int64_t di) {
      return f32At(past, ((bi * h + hi) * p + ti) * d + di);
    };
    auto param = [&](int64_t bi, int64_t hi, int64_t ti, int64_t di) {
      return key ? ((bi * h + hi) * (m / g) + ti / g) * d + di
                 : (bi * h + hi) * m + ti;
    };
    for (int64_t bi = 0; bi < b; ++bi)
      for (int64_t hi = 0; hi < h; ++hi)
        for (int64_t g0 = 0; g0 < p; g0 += g) {
          int64_t n = std::min(g, p - g0);
          // Keys: one (min, max) per channel over the group; values: per
          // token over the channels.
          int64_t outer = key ? d : n, inner = key ? n : d;
          for (int64_t o = 0; o < outer; ++o) {
            float lo = INFINITY, hi2 = -INFINITY;
            for (int64_t k = 0; k < inner; ++k) {
              float v = key ? x(bi, hi, g0 + k, o) : x(bi, hi, g0 + o, k);
              lo = std::min(lo, v);
              hi2 = std::max(hi2, v);
            }
            int64_t at = key ? param(bi, hi, g0, o) : param(bi, hi, g0 + o, 0);
            scale[at] = std::max((hi2 - lo) / 3.0f, 1e-30f);
            mins[at] = lo;
          }
          for (int64_t j = 0; j < n; ++j)
            for (int64_t di = 0; di < d; ++di) {
              float v = x(bi, hi, g0 + j, di);
              int64_t at = param(bi, hi, g0 + j, di);
              float c = std::nearbyint((v - mins[at]) / scale[at]);
              c = std::min(3.0f, std::max(0.0f, c));
              int8_t &byte = codes[((bi * h + hi) * m + g0 + j) * (d / 4) + di / 4];
              byte = (int8_t)(byte | ((int)c << (2 * (di % 4))));
              if (g0 + g >= p) // the group being filled stays exact
                group[((bi * h + hi) * g + j) * d + di] = v;
            }
        }
  }

  /// Fills the caches from the exported pasts (positions [0, P)).
  bool packCache(unsigned i, const HostTensor &past) {
    const TensorSignature &t = a.sig.inputs[i];
    HostTensor &c = caches[i] = makeTensor(t.dtype, t.shape);
    int64_t b = past.shape[0], h = past.shape[1], p = past.shape[2],
            d = past.shape[3];
    if (p > t.kvMaxSeq)
      return fail("the past ('" + t.kvPast + "', " + Twine(p) +
                  " tokens) does not fit --max-seq " + Twine(t.kvMaxSeq));
    auto src = [&](int64_t bi, int64_t hi, int64_t ti, int64_t di) {
      return f32At(past, ((bi * h + hi) * p + ti) * d + di);
    };
    float *dst = (float *)c.data.data();
    int64_t m = t.kvMaxSeq;
    if (t.kvLayout == "head-major" || t.kvLayout == "token-major" ||
        t.kvLayout == "paged") {
      for (int64_t bi = 0; bi < b; ++bi)
        for (int64_t hi = 0; hi < h; ++hi)
          for (int64_t ti = 0; ti < p; ++ti)
            for (int64_t di = 0; di < d; ++di) {
              int64_t o;
              if (t.kvLayout == "head-major")
                o = ((bi * h + hi) * m + ti) * d + di;
              else if (t.kvLayout == "token-major")
                o = ((bi * m + ti) * h + hi) * d + di;
              else
                o = ((table[ti / t.kvBlock] * h + hi) * t.kvBlock +
                     ti % t.kvBlock) * d + di;
              dst[o] = src(bi, hi, ti, di);
            }
      return true;
    }
    // int8: the same quantization the step applies when it writes.
    auto scaleOf = [](float amax) { return std::max(amax / 127.0f, 1e-30f); };
    auto quant = [](float x, float s) {
      float q = std::nearbyint(x / s);
      return (int8_t)std::min(127.0f, std::max(-127.0f, q));
    };
    if (t.kvPart != "data")
      return true; // filled with the data part
    int64_t g = t.kvGroup;
    int8_t *q = (int8_t *)c.data.data();
    // The sibling parts of this past.
    std::map<std::string, HostTensor *> part;
    for (unsigned j = 0; j < a.sig.inputs.size(); ++j)
      if (a.sig.inputs[j].kvPast == t.kvPast && j != i) {
        caches[j] = makeTensor(a.sig.inputs[j].dtype, a.sig.inputs[j].shape);
        part[a.sig.inputs[j].kvPart] = &caches[j];
      }
    HostTensor *scale = part["scale"], *group = part["group"];
    if (t.kvLayout == "kivi2") {
      if (!scale || !group || !part["min"])
        return fail("kivi2 cache '" + t.name + "' lacks its parameters");
      packKivi2(t, past, q, (float *)scale->data.data(),
                (float *)part["min"]->data.data(),
                (float *)group->data.data());
      return true;
    }
    if (!scale || (t.kvKind == "key" && !group))
      return fail("int8 cache '" + t.name + "' lacks its scales");
    float *sc = (float *)scale->data.data();
    for (int64_t bi = 0; bi < b; ++bi)
      for (int64_t hi = 0; hi < h; ++hi) {
        if (t.kvKind == "value") {
          for (int64_t ti = 0; ti < p; ++ti) {
            float amax = 0;
            for (int64_t di = 0; di < d; ++di)
              amax = std::max(amax, std::fabs(src(bi, hi, ti, di)));
            float s = sc[(bi * h + hi) * m + ti] = scaleOf(amax);
            for (int64_t di = 0; di < d; ++di)
              q[((bi * h + hi) * m + ti) * d + di] = quant(src(bi, hi, ti, di), s);
          }
          continue;
        }
        for (int64_t g0 = 0; g0 < p; g0 += g) {
          int64_t n = std::min(g, p - g0);
          for (int64_t di = 0; di < d; ++di) {
            float amax = 0;
            for (int64_t j = 0; j < n; ++j)
              amax = std::max(amax, std::fabs(src(bi, hi, g0 + j, di)));
            float s = sc[((bi * h + hi) * (m / g) + g0 / g) * d + di] =
                scaleOf(amax);
            for (int64_t j = 0; j < n; ++j) {
              float x = src(bi, hi, g0 + j, di);
              q[((bi * h + hi) * m + g0 + j) * d + di] = quant(x, s);
              if (n < g || g0 + g == p) // the group being filled stays f32
                ((float *)group->data.data())[((bi * h + hi) * g + j) * d + di] = x;
            }
          }
        }
      }
    return true;
  }

  bool init(const std::map<std::string, HostTensor> &initial, int64_t past) {
    pos = past;
    caches.resize(a.sig.inputs.size());
    for (auto [i, t] : llvm::enumerate(a.sig.inputs)) {
      if (t.kvRole == "past") {
        auto it = initial.find(t.name);
        if (it == initial.end())
          return fail("no initial value for '" + t.name + "'");
        pasts[t.name] = it->second;
      }
      if (t.kvRole == "block_table") {
        // A permuted table, so a layout that ignored it would read the
        // wrong blocks: block i of the sequence lives in pool block n-1-i.
        int64_t n = t.shape[0];
        table.resize(n);
        for (int64_t j = 0; j < n; ++j)
          table[j] = n - 1 - j;
      }
    }
    for (auto [i, t] : llvm::enumerate(a.sig.inputs))
      if (t.kvRole == "cache" && t.kvPart == "data") {
        auto it = initial.find(t.kvPast);
        if (it == initial.end())
          return fail("no initial value for '" + t.kvPast + "'");
        if (it->second.dtype != "float32" || it->second.shape.size() != 4)
          return fail("'" + t.kvPast + "' must be float32 [B, H, P, D]");
        if (!packCache(i, it->second))
          return false;
      }
    ws.assign(std::max<int64_t>(64, (a.sig.workspaceBytes + 127) / 64 * 64), 0);
    return true;
  }

  bool step(const std::vector<int64_t> &tokens) {
    int64_t s = tokens.size();
    std::vector<HostTensor> owned(a.sig.inputs.size());
    std::vector<const void *> ins;
    std::map<std::string, int64_t> dimValue;
    for (auto [i, t] : llvm::enumerate(a.sig.inputs)) {
      const HostTensor *h = &owned[i];
      if (t.kvRole == "tokens")
        owned[i] = intTensor(t.dtype, {1, s}, tokens);
      else if (t.kvRole == "positions") {
        std::vector<int64_t> v;
        for (int64_t j = 0; j < s; ++j)
          v.push_back(pos + j);
        owned[i] = intTensor(t.dtype, {1, s}, v);
      } else if (t.kvRole == "mask") {
        owned[i] = intTensor(t.dtype, {1, pos + s},
                             std::vector<int64_t>(pos + s, 1));
      } else if (t.kvRole == "position") {
        owned[i] = intTensor(t.dtype, {1}, {pos});
      } else if (t.kvRole == "block_table") {
        owned[i] = intTensor(t.dtype, {(int64_t)table.size()}, table);
      } else if (t.kvRole == "past") {
        h = &pasts[t.name];
      } else if (t.kvRole == "cache") {
        if (pos + s > t.kvMaxSeq)
          return fail("position " + Twine(pos + s) + " is beyond --max-seq " +
                      Twine(t.kvMaxSeq));
        h = &caches[i];
      } else {
        return fail("input '" + t.name + "' has no decode role (tokens, "
                    "positions, mask, past K/V, cache)");
      }
      if (h->shape.size() != t.shape.size())
        return fail("input '" + t.name + "' has the wrong rank");
      for (size_t d = 0; d < t.shape.size(); ++d) {
        if (t.shape[d] >= 0 && t.shape[d] != h->shape[d])
          return fail("input '" + t.name + "' dim " + Twine(d) + " is " +
                      Twine(h->shape[d]) + ", the step takes " +
                      Twine(t.shape[d]));
        if (t.shape[d] < 0)
          dimValue[t.dimNames[d]] = h->shape[d];
      }
      ins.push_back(h->data.data());
    }
    std::vector<int64_t> dims;
    for (const DimBound &d : a.sig.dims) {
      int64_t v = dimValue.count(d.name) ? dimValue[d.name] : d.hi;
      if (v < d.lo || v > d.hi)
        return fail("dim '" + d.name + "' = " + Twine(v) +
                    " is outside the bound it was compiled for (" +
                    Twine(d.lo) + ".." + Twine(d.hi) + ")");
      dims.push_back(v);
    }
    std::vector<std::vector<uint8_t>> outs(a.sig.outputs.size());
    std::vector<void *> outPtrs;
    size_t slots = 0;
    for (auto [j, t] : llvm::enumerate(a.sig.outputs)) {
      int64_t n = 1;
      for (size_t d = 0; d < t.shape.size(); ++d)
        n *= t.shape[d] >= 0 ? t.shape[d]
             : dimValue.count(t.dimNames[d]) ? dimValue[t.dimNames[d]]
                                             : 1;
      int64_t bytes = std::max<int64_t>(n * dtypeBytes(t.dtype), t.maxBytes);
      outs[j].resize(std::max<int64_t>(bytes, 1) + 64);
      outPtrs.push_back(outs[j].data());
      slots += t.shape.size();
    }
    std::vector<int64_t> shapes(slots + 1);
    std::vector<HostTensor> before;
    for (const HostTensor &c : caches)
      before.push_back(c);
    auto t0 = std::chrono::steady_clock::now();
    // The entry points require the header's 64-byte alignment (ws holds
    // 64 bytes of slack for it).
    auto *aligned = reinterpret_cast<uint8_t *>(
        (reinterpret_cast<uintptr_t>(ws.data()) + 63) & ~uintptr_t(63));
    int rc = a.run(dims.data(), ins.data(), outPtrs.data(), shapes.data(),
                   aligned);
    // A CUDA step's latency is its device time (CUDA events), as
    // mnemo-run --repeat reports it; host copies of the staging excluded.
    ms = a.cuda && *a.deviceMs >= 0
             ? *a.deviceMs
             : std::chrono::duration<double, std::milli>(
                   std::chrono::steady_clock::now() - t0)
                   .count();
    if (rc != 0)
      return fail(a.sig.name + "_run_dims returned " + Twine(rc) + " (" +
                  describeRunError(rc) + ")");
    kvBytesWritten = 0;
    for (size_t i = 0; i < caches.size(); ++i)
      for (size_t k = 0; k < caches[i].data.size(); ++k)
        kvBytesWritten += caches[i].data[k] != before[i].data[k];
    size_t slot = 0;
    bool haveLogits = false;
    for (auto [j, t] : llvm::enumerate(a.sig.outputs)) {
      std::vector<int64_t> shape(shapes.begin() + slot,
                                 shapes.begin() + slot + t.shape.size());
      slot += t.shape.size();
      HostTensor out = makeTensor(t.dtype, shape);
      memcpy(out.data.data(), outs[j].data(), out.data.size());
      if (t.kvRole == "logits" && !haveLogits) {
        if (t.dtype != "float32")
          return fail("logits '" + t.name + "' must be float32");
        logits.assign((float *)out.data.data(),
                      (float *)out.data.data() + out.numElements());
        logitsShape = shape;
        haveLogits = true;
      } else if (t.kvRole == "next_token") {
        // [B, S] (or [B, S, 1]) ids: batch 0's last position.
        int64_t b = shape.empty() ? 1 : std::max<int64_t>(1, shape[0]);
        int64_t n = out.numElements() / b;
        if (t.dtype != "int64" || n <= 0)
          return fail("next_token '" + t.name + "' must be int64 ids");
        token = ((const int64_t *)out.data.data())[n - 1];
      } else if (t.kvRole == "present") {
        kvBytesWritten += out.data.size();
        for (auto &in : a.sig.inputs)
          if (in.kvRole == "past" && in.kvPresent == t.name)
            pasts[in.name] = out;
      }
    }
    if (!haveLogits && !token)
      return fail("the step has no logits or next_token output");
    pos += s;
    return true;
  }

  /// argmax over the last position's logits (batch 0).
  int64_t nextToken() const {
    if (token)
      return *token;
    int64_t v = logitsShape.empty() ? 0 : logitsShape.back();
    if (v <= 0 || (int64_t)logits.size() < v)
      return 0;
    const float *row = logits.data() + logits.size() / std::max<int64_t>(1, logitsShape[0]) - v;
    return std::max_element(row, row + v) - row;
  }
};

} // namespace

DecodeResult mnemo::runDecode(LoadedArtifact &main, LoadedArtifact *reference,
                              std::vector<HostTensor> initial,
                              const DecodeOptions &options) {
  DecodeResult result;
  auto stop = [&](int code, std::string why) {
    result.exitCode = code;
    result.error = std::move(why);
    return result;
  };
  // The exported inputs by name: .pb tensors carry names; .npy ones take
  // the names of the exported step's inputs in order.
  const ArtifactSignature &names = reference ? reference->sig : main.sig;
  std::map<std::string, HostTensor> byName;
  std::vector<int64_t> tokens;
  int64_t past = 0;
  for (auto [i, h] : llvm::enumerate(initial)) {
    if (h.name.empty() && i < names.inputs.size())
      h.name = names.inputs[i].name;
    byName[h.name] = h;
  }
  for (const ArtifactSignature *sig : {&main.sig, reference ? &reference->sig : nullptr}) {
    if (!sig)
      continue;
    for (const TensorSignature &t : sig->inputs) {
      std::string src = t.kvRole == "cache" ? t.kvPast : t.name;
      auto it = byName.find(src);
      if ((t.kvRole == "past" || t.kvRole == "cache") && it != byName.end() &&
          it->second.shape.size() == 4)
        past = it->second.shape[2];
      if (t.kvRole == "tokens" && it != byName.end()) {
        if (it->second.dtype != "int64" || it->second.shape.size() != 2 ||
            it->second.shape[0] != 1)
          return stop(2, "decoding needs int64 token ids of shape [1, S] in '" +
                             src + "'");
        tokens.assign((int64_t *)it->second.data.data(),
                      (int64_t *)it->second.data.data() + it->second.shape[1]);
      }
    }
  }
  if (tokens.empty())
    return stop(2, "decoding: no token ids among the inputs (an int64 input "
                   "indexing the embedding table)");
  Stepper m(main);
  std::unique_ptr<Stepper> r;
  if (!m.init(byName, past))
    return stop(2, m.error);
  if (reference) {
    r = std::make_unique<Stepper>(*reference);
    if (!r->init(byName, past))
      return stop(2, r->error);
  }
  std::vector<double> msMain, msRef;
  for (unsigned step = 0; step < options.steps; ++step) {
    if (!m.step(tokens))
      return stop(1, m.error);
    if (r && !r->step(tokens))
      return stop(1, r->error);
    result.logits = !m.logits.empty();
    DecodeStep s;
    s.position = m.pos - tokens.size();
    s.token = m.nextToken();
    s.kvBytesWritten = m.kvBytesWritten;
    s.ms = m.ms;
    msMain.push_back(m.ms);
    if (r) {
      msRef.push_back(r->ms);
      s.referenceMs = r->ms;
      s.referenceToken = r->nextToken();
      s.referenceKvBytesWritten = r->kvBytesWritten;
      if (m.logits.empty()) {
        // Only ids: they must be the reference's greedy choice.
        s.ok = s.token == s.referenceToken;
      } else {
        // Last-position logits are the tail of the reference's (batch 1).
        s.comparedLogits = true;
        s.ok = m.logits.size() <= r->logits.size() && !m.logits.empty() &&
               m.logitsShape.back() == r->logitsShape.back();
        size_t skip = s.ok ? r->logits.size() - m.logits.size() : 0;
        for (size_t i = 0; s.ok && i < m.logits.size(); ++i) {
          double g = m.logits[i], w = r->logits[skip + i];
          double e = std::fabs(g - w);
          s.maxAbsErr = std::max(s.maxAbsErr, e);
          if (!(e <= options.atol + options.rtol * std::fabs(w)))
            s.ok = false;
        }
      }
      if (!s.ok)
        result.exitCode = 1;
    }
    s.next = r ? s.referenceToken : s.token;
    result.steps.push_back(s);
    tokens.assign(1, s.next);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  result.medianMs = median(msMain);
  if (r)
    result.referenceMedianMs = median(msRef);
  return result;
}

std::string mnemo::formatDecode(const DecodeResult &result, bool haveReference) {
  std::string text;
  raw_string_ostream os(text);
  for (auto [i, s] : llvm::enumerate(result.steps)) {
    os << format("step %u: position %lld, ", (unsigned)i, (long long)s.position);
    if (haveReference) {
      if (s.comparedLogits)
        os << format("logits max_abs_err %.3g %s, ", s.maxAbsErr,
                     s.ok ? "ok" : "FAIL");
      else
        os << format("token %lld (reference %lld) %s, ", (long long)s.token,
                     (long long)s.referenceToken, s.ok ? "ok" : "FAIL");
      os << format("kv bytes written %lld (reference %lld), ",
                   (long long)s.kvBytesWritten,
                   (long long)s.referenceKvBytesWritten);
    } else {
      os << format("kv bytes written %lld, ", (long long)s.kvBytesWritten);
    }
    os << format("%.3f ms, next token %lld\n", s.ms, (long long)s.next);
  }
  if (!result.error.empty())
    return text;
  os << format("decode: %u steps, median step %.3f ms",
               (unsigned)result.steps.size(), result.medianMs);
  if (haveReference)
    os << format(" (reference %.3f ms)", result.referenceMedianMs);
  os << (result.logits ? ", logits" : ", tokens")
     << (result.exitCode == 0 ? " match\n" : " MISMATCH\n");
  return text;
}
