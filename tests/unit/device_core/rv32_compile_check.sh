#!/usr/bin/env bash
# Compiles every source of the device core for a bare-metal rv32 target (ESP32-C3's ISA) with the
# firmware's rules: C++17, no exceptions, no RTTI, header-only parts of the standard library.
# The recipe is ../shared/DEPENDENCIES.md "The rv32 compile check of the device core".
# Usage: rv32_compile_check.sh FIRMWARE_CORE_DIR
set -euo pipefail

core=${1:?usage: rv32_compile_check.sh FIRMWARE_CORE_DIR}
cxx=riscv64-unknown-elf-g++
cxx_include=/usr/riscv64-linux-gnu/include/c++/12

if ! command -v "$cxx" >/dev/null; then
  echo "rv32_compile_check: $cxx not found: run scripts/setup.sh" \
       "(gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf libstdc++-12-dev-riscv64-cross)" >&2
  exit 1
fi
if [[ ! -d $cxx_include ]]; then
  echo "rv32_compile_check: $cxx_include missing: install libstdc++-12-dev-riscv64-cross" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/stub"
# The glibc-targeted C++ headers ask for __GLIBC_PREREQ, which picolibc does not define.
echo '#define __GLIBC_PREREQ(maj, min) 0' >"$work/stub/features.h"

shopt -s nullglob
sources=("$core"/src/*.cpp)
if [[ ${#sources[@]} -eq 0 ]]; then
  echo "rv32_compile_check: no sources in $core/src" >&2
  exit 1
fi

failed=0
for src in "${sources[@]}"; do
  obj="$work/$(basename "$src" .cpp).o"
  if ! "$cxx" --specs=picolibcpp.specs -march=rv32imc -mabi=ilp32 -fno-exceptions -fno-rtti \
       -std=c++17 -Os -Wall -Wextra -Werror \
       -isystem "$cxx_include" -isystem "$cxx_include/riscv64-linux-gnu" -isystem "$work/stub" \
       -I "$core/include" -c "$src" -o "$obj"; then
    echo "rv32_compile_check: FAILED $src" >&2
    failed=1
  fi
done
[[ $failed -eq 0 ]] || exit 1

# Nothing may need libstdc++'s compiled code (or the heap): only the C string functions.
undefined=$(riscv64-unknown-elf-nm -u "$work"/*.o | awk 'NF == 2 { print $2 }' | sort -u)
defined=$(riscv64-unknown-elf-nm --defined-only "$work"/*.o | awk 'NF == 3 { print $3 }' | sort -u)
external=$(comm -23 <(echo "$undefined") <(echo "$defined"))
unexpected=$(echo "$external" | grep -vxE 'memcpy|memmove|memset|memcmp|strlen|' || true)
if [[ -n $unexpected ]]; then
  echo "rv32_compile_check: the core needs symbols a bare-metal build does not have:" >&2
  echo "$unexpected" >&2
  exit 1
fi
echo "rv32_compile_check: ${#sources[@]} sources compiled for rv32imc/ilp32"
