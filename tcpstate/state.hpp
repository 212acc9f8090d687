// The TCP state names moved to capture/state.hpp (the ladder needs them
// too); this header stays for the code that still includes it here.
#pragma once

#include "capture/state.hpp"
