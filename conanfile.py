# conanfile.py: Conan 2 recipe of qlin, a header-only C++17 library (docs/packaging.md).
#
#   conan create . --build=missing          # builds nothing: copies the headers, runs test_package/
#
# qlin's own qlinConfig.cmake is not packaged: Conan's CMakeDeps generator writes the config file
# from package_info() (file name "qlin", target "qlin::qlin"), as conan-center-index does for
# every CMake project. Consumers write the same `find_package(qlin CONFIG)` +
# `target_link_libraries(app PRIVATE qlin::qlin)` as with a `cmake --install` of qlin.
import os
import re

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"


class QlinConan(ConanFile):
    name = "qlin"
    description = ("Header-only C++17 quantization math: parameters, observers, and quantize / "
                   "dequantize / requantize kernels bit-exact to PyTorch, TFLite, gemmlowp and XNNPACK")
    license = "Apache-2.0"
    topics = ("quantization", "int8", "simd", "inference", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    exports_sources = "include/*", "CMakeLists.txt", "cmake/*", "LICENSE"
    no_copy_source = True

    def set_version(self):
        # The one version number is project(qlin VERSION x.y.z) in CMakeLists.txt.
        cmakelists = load(self, os.path.join(self.recipe_folder, "CMakeLists.txt"))
        match = re.search(r"project\(qlin\s+VERSION\s+([0-9]+\.[0-9]+\.[0-9]+)", cmakelists)
        self.version = self.version or match.group(1)

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        # qlin/simd.hpp uses xsimd (8.1 is what Debian 12 ships; the kernels need only its 8.x API).
        self.requires("xsimd/[>=8.1 <14]")

    def package_id(self):
        self.info.clear()

    def validate(self):
        if self.settings.compiler.get_safe("cppstd"):
            check_min_cppstd(self, 17)

    def package(self):
        copy(self, "LICENSE", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))
        copy(self, "*.hpp", src=os.path.join(self.source_folder, "include"),
             dst=os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.set_property("cmake_file_name", "qlin")
        self.cpp_info.set_property("cmake_target_name", "qlin::qlin")
        self.cpp_info.set_property("pkg_config_name", "qlin")
        self.cpp_info.requires = ["xsimd::xsimd"]
        # What the CMake target qlin::qlin adds to its users (CMakeLists.txt): the SIMD kernels are
        # enabled by QLIN_HAVE_XSIMD, and bit-exactness needs -ffp-contract=off on GCC and Clang.
        self.cpp_info.defines = ["QLIN_HAVE_XSIMD=1"]
        if str(self.settings.compiler) in ("gcc", "clang", "apple-clang"):
            self.cpp_info.cxxflags = ["-ffp-contract=off"]
