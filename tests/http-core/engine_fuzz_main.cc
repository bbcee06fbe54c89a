// The bounded ctest run of engine_fuzz.cc: N pseudo-random inputs (fixed seed, 0–4 KiB each) through
// the same entry point libFuzzer calls, so every build exercises the invariants.
//
//   http_core_engine_fuzz [ITERATIONS=1000] [SEED=1]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1000;
  const unsigned long seed = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1;
  std::mt19937 rng(static_cast<std::mt19937::result_type>(seed));
  std::vector<uint8_t> input;
  for (long i = 0; i < iterations; ++i) {
    input.resize(rng() % 4097);
    for (uint8_t& b : input) b = static_cast<uint8_t>(rng());
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::printf("engine_fuzz: %ld inputs, seed %lu: every invariant held\n", iterations, seed);
  return 0;
}
