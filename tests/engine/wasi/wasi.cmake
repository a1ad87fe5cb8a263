# tests/engine/wasi/wasi.cmake (included by tests/engine/CMakeLists.txt): the WASI
# program tests. Each C program here is built at test time twice -- for wasm32-wasi with
# Debian's clang + lld + wasi-libc, and natively with gcc -- and the two runs must print
# exactly the same stdout and stderr and end with the same status (run_case.cmake).
# all_imports.c is WASI-only and has an expected output; cli_case.cmake checks the
# `troupe wasm` command line (traps, fuel, --invoke, --max-memory, validate, errors).
# A missing toolchain makes these tests fail loudly, never skip (scripts/deps.sh).
set(wasi_dir ${CMAKE_CURRENT_LIST_DIR})
set(wasi_work ${CMAKE_CURRENT_BINARY_DIR}/wasi)
find_program(TROUPE_WASI_CLANG NAMES clang-14 clang)
find_program(TROUPE_NATIVE_GCC NAMES gcc)
set(wasi_native ${TROUPE_NATIVE_GCC})
if(NOT wasi_native)
  set(wasi_native ${CMAKE_C_COMPILER})
endif()

# Lists travel to the scripts with '|' for ';' (add_test would split them).
function(troupe_wasi_program name src)
  cmake_parse_arguments(W "" "STDIN;EXPECT;EXPECT_RC" "ARGS;ENV;WASM_FLAGS" ${ARGN})
  string(REPLACE ";" "|" args "${W_ARGS}")
  string(REPLACE ";" "|" env "${W_ENV}")
  add_test(NAME wasi_${name}
           COMMAND ${CMAKE_COMMAND} -DTROUPE=$<TARGET_FILE:troupe> -DCLANG=${TROUPE_WASI_CLANG}
                   -DNATIVE_CC=${wasi_native} -DSRC=${wasi_dir}/${src} -DNAME=${name}
                   -DWORK=${wasi_work} "-DARGS_BAR=${args}" "-DENV_BAR=${env}"
                   -DSTDIN=${W_STDIN} -DEXPECT=${W_EXPECT} -DEXPECT_RC=${W_EXPECT_RC}
                   -P ${wasi_dir}/run_case.cmake)
  set_tests_properties(wasi_${name} PROPERTIES LABELS "wasi;engine" TIMEOUT 300)
endfunction()

function(troupe_wasi_cli name)
  cmake_parse_arguments(W "" "SRC;RC;OUT;ERR" "CMD;WASM_FLAGS" ${ARGN})
  string(REPLACE ";" "|" cmd "${W_CMD}")
  string(REPLACE ";" "|" flags "${W_WASM_FLAGS}")
  set(defs -DTROUPE=$<TARGET_FILE:troupe> -DCLANG=${TROUPE_WASI_CLANG} "-DCMD_BAR=${cmd}"
           -DRC=${W_RC} -DWASM=${wasi_work}/cli_${name}.wasm "-DWASM_FLAGS_BAR=${flags}")
  if(W_SRC)
    list(APPEND defs -DSRC=${wasi_dir}/${W_SRC})
  endif()
  if(DEFINED W_OUT)
    list(APPEND defs "-DOUT=${W_OUT}")
  endif()
  if(DEFINED W_ERR)
    list(APPEND defs "-DERR=${W_ERR}")
  endif()
  add_test(NAME wasi_cli_${name} COMMAND ${CMAKE_COMMAND} ${defs} -P ${wasi_dir}/cli_case.cmake)
  set_tests_properties(wasi_cli_${name} PROPERTIES LABELS "wasi;engine" TIMEOUT 120)
endfunction()

# ---- C programs: wasm run == native run -------------------------------------------------
troupe_wasi_program(hello hello.c)
troupe_wasi_program(floats floats.c)
troupe_wasi_program(strings strings.c)
troupe_wasi_program(int64 int64.c)
troupe_wasi_program(recursion recursion.c)
troupe_wasi_program(alloc alloc.c)
troupe_wasi_program(clocks clocks.c)
troupe_wasi_program(nofile nofile.c)
troupe_wasi_program(stdio_err stdio_err.c)
troupe_wasi_program(stdin_wc stdin_wc.c STDIN ${wasi_dir}/stdin.txt)
troupe_wasi_program(args_env args_env.c ARGS one "two words" "--not-an-option" "ünïcödé"
                    ENV GREETING=hello PATH=/nowhere EMPTY=)
troupe_wasi_program(exit_return exit_code.c ARGS return 7)
troupe_wasi_program(exit_nested exit_code.c ARGS exit 300)
troupe_wasi_program(exit_underscore exit_code.c ARGS _exit 5)
troupe_wasi_program(exit_usage exit_code.c)
troupe_wasi_program(all_imports all_imports.c ARGS hello EXPECT ${wasi_dir}/all_imports.expected
                    EXPECT_RC 5)

# ---- the command line ----------------------------------------------------------------------
set(trap_line "^troupe: trap: [^\n]+ \\(function [0-9]+, offset 0x[0-9a-f]+\\)\n$")
troupe_wasi_cli(trap SRC trap.c CMD wasm run @WASM@ RC 3 OUT "^before the trap\n$"
                ERR "^troupe: trap: unreachable \\(function [0-9]+, offset 0x[0-9a-f]+\\)\n$")
troupe_wasi_cli(fuel SRC trap.c CMD wasm run --fuel 200000 @WASM@ loop RC 3
                OUT "^before the trap\n$" ERR "^troupe: trap: fuel exhausted \\(function")
troupe_wasi_cli(invoke_i32 SRC exports.c WASM_FLAGS -mexec-model=reactor
                CMD wasm run --invoke add @WASM@ 40 2 RC 0 OUT "^i32:42\n$")
troupe_wasi_cli(invoke_i64 SRC exports.c WASM_FLAGS -mexec-model=reactor
                CMD wasm run --invoke mul64 @WASM@ 0x100000000 -3 RC 0 OUT "^i64:-12884901888\n$")
troupe_wasi_cli(invoke_f64 SRC exports.c WASM_FLAGS -mexec-model=reactor
                CMD wasm run --invoke fdiv @WASM@ 1 3 RC 0 OUT "^f64:0.3333333333333333\n$")
troupe_wasi_cli(invoke_f32 SRC exports.c WASM_FLAGS -mexec-model=reactor
                CMD wasm run --invoke fsqrt @WASM@ 2 RC 0 OUT "^f32:1.4142135\n$")
troupe_wasi_cli(invoke_inf SRC exports.c WASM_FLAGS -mexec-model=reactor
                CMD wasm run --invoke fdiv @WASM@ -inf 2 RC 0 OUT "^f64:-inf\n$")
troupe_wasi_cli(invoke_void SRC exports.c WASM_FLAGS -mexec-model=reactor
                CMD wasm run --invoke greet @WASM@ 2 RC 0 OUT "^hello 0\nhello 1\n$")
troupe_wasi_cli(invoke_trap SRC exports.c WASM_FLAGS -mexec-model=reactor
                CMD wasm run --invoke udiv @WASM@ 1 0 RC 3
                ERR "^troupe: trap: integer divide by zero \\(function [0-9]+, offset 0x")
troupe_wasi_cli(invoke_badarg SRC exports.c WASM_FLAGS -mexec-model=reactor
                CMD wasm run --invoke add @WASM@ 1 x RC 2 ERR "not a valid i32")
troupe_wasi_cli(invoke_arity SRC exports.c WASM_FLAGS -mexec-model=reactor
                CMD wasm run --invoke add @WASM@ 1 RC 2 ERR "takes 2 arguments, 1 given")
troupe_wasi_cli(invoke_missing SRC exports.c WASM_FLAGS -mexec-model=reactor
                CMD wasm run --invoke nope @WASM@ RC 1 ERR "no exported function 'nope'")
troupe_wasi_cli(not_command SRC exports.c WASM_FLAGS -mexec-model=reactor
                CMD wasm run @WASM@ RC 1 ERR "no _start export")
troupe_wasi_cli(max_memory_ok SRC grow.c CMD wasm run @WASM@ RC 0 OUT "^malloc\\(8 MiB\\) worked: 1\n$")
troupe_wasi_cli(max_memory_low SRC grow.c CMD wasm run --max-memory 32 @WASM@ RC 1
                OUT "^malloc\\(8 MiB\\) failed\n$")
troupe_wasi_cli(unlinkable SRC unlinkable.c CMD wasm run @WASM@ RC 1 ERR "^troupe: [^\n]*not_provided")
troupe_wasi_cli(validate_ok SRC hello.c CMD wasm validate @WASM@ RC 0 OUT "^ok\n$")
troupe_wasi_cli(validate_bad CMD wasm validate ${wasi_dir}/hello.c RC 1 ERR "^troupe: [^\n]+\n$")
troupe_wasi_cli(validate_missing CMD wasm validate ${wasi_work}/does-not-exist.wasm RC 4
                ERR "cannot open")
troupe_wasi_cli(run_bad_module CMD wasm run ${wasi_dir}/stdin.txt RC 1 ERR "^troupe: [^\n]+\n$")
troupe_wasi_cli(usage CMD wasm RC 2 ERR "usage: troupe wasm")
troupe_wasi_cli(usage_option CMD wasm run --bogus x.wasm RC 2 ERR "unknown option '--bogus'")
troupe_wasi_cli(run_help CMD wasm run --help RC 0 OUT "--invoke NAME")

# ---- the examples of docs/WASI.md ------------------------------------------------------------
troupe_wasi_cli(example_hello SRC ../../../examples/wasm/hello.c
                CMD wasm run --env NAME=world @WASM@ Ada Grace RC 0
                OUT "^Hello, world!
  argument 1: Ada
  argument 2: Grace
slept about [0-9]+ ms
$")
troupe_wasi_cli(example_mathlib SRC ../../../examples/wasm/mathlib.c WASM_FLAGS -mexec-model=reactor
                CMD wasm run --invoke collatz @WASM@ 27 RC 0 OUT "^27 82 41 [0-9 ]+ 4 2 1
i32:111
$")

# The unit tests of the host functions (tests/engine/test_wasi.c) belong here too.
if(TEST engine_wasi)
  set_property(TEST engine_wasi APPEND PROPERTY LABELS wasi)
endif()
