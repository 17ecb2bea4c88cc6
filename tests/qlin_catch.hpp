// qlin_catch.hpp: one include for Catch2 v3 (preferred) or v2 (Debian's 2.13).
// CMake passes QLIN_CATCH2_MAJOR from the package it found (TOOLCHAIN.md section 1).
#ifndef QLIN_TESTS_CATCH_HPP_
#define QLIN_TESTS_CATCH_HPP_

#if defined(QLIN_CATCH2_MAJOR) && QLIN_CATCH2_MAJOR >= 3
#include <catch2/catch_approx.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/generators/catch_generators_range.hpp>
#include <catch2/matchers/catch_matchers_floating_point.hpp>
using Catch::Approx;
#else
#include <catch2/catch.hpp>
#endif

#endif  // QLIN_TESTS_CATCH_HPP_
