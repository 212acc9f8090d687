// What every fuzz target uses to state its property: FUZZ_CHECK(cond, what)
// aborts with the property that broke, so libFuzzer saves the input as a
// crash and the report names the rule, not just a line number.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                                         \
  do {                                                                                                 \
    if (!(cond)) {                                                                                     \
      std::fprintf(stderr, "fuzz property broken: %s (%s:%d: %s)\n", what, __FILE__, __LINE__, #cond); \
      std::abort();                                                                                    \
    }                                                                                                  \
  } while (0)
