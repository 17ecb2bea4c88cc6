#!/usr/bin/env python3
"""check_recipes.py: what can be checked of the Conan recipe and the vcpkg port without Conan or vcpkg.

    check_recipes.py <qlin source tree> <install prefix of `cmake --install`>

Neither tool is installable on qlin's CI machines (docs/packaging.md). This script checks that
  - conanfile.py and test_package/conanfile.py are valid Python, and the recipe states what
    docs/packaging.md says (header-library, xsimd/[>=8.1 <14], exports_sources, no_copy_source,
    cmake_file_name qlin, cmake_target_name qlin::qlin, empty bindirs / libdirs);
  - every exports_sources pattern matches files, and the package() copy of include/**.hpp gives
    exactly the headers `cmake --install` installs;
  - ports/qlin/vcpkg.json is valid JSON with the project's name and version and the dependencies
    the portfile uses;
  - the portfile passes only options that CMakeLists.txt defines, and the paths it fixes up
    (share/cmake/qlin, share/pkgconfig) are where `cmake --install` put qlinConfig.cmake and qlin.pc;
  - the version is the same in CMakeLists.txt, include/qlin/config.hpp and vcpkg.json.
Exit status 0 when all hold; otherwise every failed check is printed and the status is 1.
"""
import ast
import glob
import json
import os
import re
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def class_assignments(tree):
    """name -> ast value node of the assignments in the first class body."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out = {}
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                    out[stmt.targets[0].id] = stmt.value
            return out
    return {}


def literal(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        return None


def main(src, prefix):
    cmakelists = open(os.path.join(src, "CMakeLists.txt"), encoding="utf-8").read()
    m = re.search(r"project\(qlin\s+VERSION\s+([0-9]+\.[0-9]+\.[0-9]+)", cmakelists)
    version = m.group(1) if m else None
    check(version is not None, "CMakeLists.txt: no project(qlin VERSION x.y.z)")
    config = open(os.path.join(src, "include/qlin/config.hpp"), encoding="utf-8").read()
    parts = [re.search(r"#define QLIN_VERSION_%s (\d+)" % k, config) for k in ("MAJOR", "MINOR", "PATCH")]
    if check(all(parts), "config.hpp: QLIN_VERSION_MAJOR/MINOR/PATCH missing"):
        check(".".join(p.group(1) for p in parts) == version, "config.hpp's version differs from CMakeLists.txt's")

    # --- Conan
    recipe_src = open(os.path.join(src, "conanfile.py"), encoding="utf-8").read()
    recipe = ast.parse(recipe_src, "conanfile.py")
    ast.parse(open(os.path.join(src, "test_package/conanfile.py"), encoding="utf-8").read(), "test_package/conanfile.py")
    attrs = class_assignments(recipe)
    check(literal(attrs.get("name")) == "qlin", "conanfile.py: name must be 'qlin'")
    check(literal(attrs.get("package_type")) == "header-library", "conanfile.py: package_type must be header-library")
    check(literal(attrs.get("no_copy_source")) is True, "conanfile.py: no_copy_source must be True")
    check(literal(attrs.get("license")) == "Apache-2.0", "conanfile.py: license must be Apache-2.0")
    exports = literal(attrs.get("exports_sources")) or ()
    for pattern in ("include/*", "CMakeLists.txt", "cmake/*", "LICENSE"):
        check(pattern in exports, "conanfile.py: exports_sources lacks %s" % pattern)
    for pattern in exports:
        check(glob.glob(os.path.join(src, pattern)), "conanfile.py: exports_sources pattern %s matches nothing" % pattern)
    check('self.requires("xsimd/[>=8.1 <14]")' in recipe_src, "conanfile.py: requires xsimd/[>=8.1 <14] missing")
    check('set_property("cmake_file_name", "qlin")' in recipe_src, "conanfile.py: cmake_file_name qlin missing")
    check('set_property("cmake_target_name", "qlin::qlin")' in recipe_src, "conanfile.py: cmake_target_name qlin::qlin missing")
    check("self.cpp_info.bindirs = []" in recipe_src and "self.cpp_info.libdirs = []" in recipe_src,
          "conanfile.py: bindirs / libdirs must be empty")
    check(r"project\(qlin\s+VERSION" in recipe_src,
          "conanfile.py: set_version() no longer reads project(qlin VERSION ...)")
    # package() copies include/**.hpp: the same headers as the CMake install.
    installed = sorted(os.path.relpath(p, prefix) for p in glob.glob(os.path.join(prefix, "include/**/*"), recursive=True)
                       if os.path.isfile(p))
    conan_headers = sorted(os.path.relpath(p, src) for p in glob.glob(os.path.join(src, "include/**/*.hpp"), recursive=True))
    check(installed, "nothing installed under %s/include" % prefix)
    check(installed == conan_headers,
          "Conan package() (include/**.hpp) and cmake --install differ: only conan %s, only install %s"
          % (sorted(set(conan_headers) - set(installed)), sorted(set(installed) - set(conan_headers))))
    test_cmake = open(os.path.join(src, "test_package/CMakeLists.txt"), encoding="utf-8").read()
    check("find_package(qlin CONFIG REQUIRED)" in test_cmake and "qlin::qlin" in test_cmake,
          "test_package/CMakeLists.txt must use find_package(qlin CONFIG REQUIRED) and qlin::qlin")
    check(os.path.isfile(os.path.join(src, "test_package/test_package.cpp")), "test_package/test_package.cpp missing")

    # --- vcpkg
    manifest = json.load(open(os.path.join(src, "ports/qlin/vcpkg.json"), encoding="utf-8"))
    check(manifest.get("name") == "qlin", "vcpkg.json: name must be qlin")
    check(manifest.get("version") == version, "vcpkg.json: version %s differs from CMakeLists.txt's %s"
          % (manifest.get("version"), version))
    deps = {d if isinstance(d, str) else d.get("name"): d for d in manifest.get("dependencies", [])}
    check("xsimd" in deps, "vcpkg.json: xsimd dependency missing")
    for tool in ("vcpkg-cmake", "vcpkg-cmake-config"):
        check(isinstance(deps.get(tool), dict) and deps[tool].get("host") is True,
              "vcpkg.json: %s must be a host dependency" % tool)
    portfile = open(os.path.join(src, "ports/qlin/portfile.cmake"), encoding="utf-8").read()
    options = set(re.findall(r"^\s*option\((QLIN_\w+)", cmakelists, re.M))
    for opt in re.findall(r"-D(QLIN_\w+)=", portfile):
        check(opt in options, "portfile.cmake passes -D%s, which CMakeLists.txt does not define" % opt)
    check("-DQLIN_BUILD_TESTS=OFF" in portfile, "portfile.cmake must pass -DQLIN_BUILD_TESTS=OFF")
    fixup = re.search(r"vcpkg_cmake_config_fixup\(PACKAGE_NAME qlin CONFIG_PATH (\S+)\)", portfile)
    if check(fixup, "portfile.cmake: vcpkg_cmake_config_fixup(PACKAGE_NAME qlin CONFIG_PATH ...) missing"):
        for f in ("qlinConfig.cmake", "qlinConfigVersion.cmake", "qlinTargets.cmake"):
            check(os.path.isfile(os.path.join(prefix, fixup.group(1), f)),
                  "cmake --install put no %s in %s (the portfile's CONFIG_PATH)" % (f, fixup.group(1)))
    if "vcpkg_fixup_pkgconfig()" in portfile:
        check(os.path.isfile(os.path.join(prefix, "share/pkgconfig/qlin.pc")), "no share/pkgconfig/qlin.pc installed")
    check("vcpkg_install_copyright" in portfile and os.path.isfile(os.path.join(src, "LICENSE")),
          "portfile.cmake must install LICENSE as the copyright")
    check(os.path.isfile(os.path.join(src, "ports/qlin/usage")), "ports/qlin/usage missing")

    for f in failures:
        print("check_recipes: FAILED: " + f)
    if not failures:
        print("check_recipes: Conan recipe and vcpkg port agree with CMakeLists.txt and the install (%d headers)"
              % len(installed))
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
