// catch_main.cpp: Catch2 v2's main, compiled once for every test binary (Debian's prebuilt
// libCatch2WithMain.a is x86-64 only, which breaks cross builds).
#define CATCH_CONFIG_MAIN
#include "qlin_catch.hpp"
