# Generate help_text.c and fuin.1 from docs/commands/*.txt.
#
#   cmake -DSRC=<source dir> -DOUT=<binary dir> -DVERSION=x.y.z -P gen_help.cmake
#
# One source for both outputs, so `fuin help CMD`, `fuin CMD --help` and the
# man page section "fuin CMD" cannot drift apart.  Outputs are written to a
# temporary name and renamed, so an interrupted run never leaves a half file
# that a later build would take as up to date.
cmake_minimum_required(VERSION 3.25)

foreach(var SRC OUT VERSION)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "gen_help.cmake: -D${var}=... is required")
  endif()
endforeach()

set(cmd_dir "${SRC}/docs/commands")
# Man page order; commands found beyond these are appended in name order.
set(man_order keygen encrypt decrypt inspect key sign verify pack unpack label store ciso policy wipe ledger request approve help)

# ---------------------------------------------------------------------------
# Read a help text.  Tabs, CRs and other control characters are refused:
# alignment must look the same in a terminal, in C and in roff.
function(read_help path outvar)
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "gen_help.cmake: missing ${path}")
  endif()
  file(READ "${path}" text)
  string(HEX "${text}" hex)
  # Bytes 00-09, 0b-1f and 7f; 0a (newline) is the only control allowed.
  string(LENGTH "${hex}" n)
  set(i 0)
  while(i LESS n)
    string(SUBSTRING "${hex}" ${i} 2 byte)
    if(byte MATCHES "^(0[0-9]|0[b-f]|1[0-9a-f]|7f)$")
      math(EXPR off "${i} / 2")
      message(FATAL_ERROR
        "gen_help.cmake: ${path}: control byte 0x${byte} at offset ${off} "
        "(use spaces, LF line ends)")
    endif()
    math(EXPR i "${i} + 2")
  endwhile()
  if(text STREQUAL "")
    message(FATAL_ERROR "gen_help.cmake: ${path} is empty")
  endif()
  if(NOT text MATCHES "\n$")
    string(APPEND text "\n")
  endif()
  set(${outvar} "${text}" PARENT_SCOPE)
endfunction()

# ---------------------------------------------------------------------------
# C string literal, one literal per line.  '?' is escaped too: with
# -std=c11 trigraphs such as "??(" would otherwise be replaced.
function(c_literal text outvar)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "?" "\\?" text "${text}")
  # Every line ends in "\n" (read_help guarantees a final newline).
  string(REGEX REPLACE "\n$" "" text "${text}")
  string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
  set(${outvar} "    \"${text}\\n\"" PARENT_SCOPE)
endfunction()

# ---------------------------------------------------------------------------
# Non-ASCII characters as groff \[uXXXX] escapes: troff reads bytes, not
# UTF-8, and warns about raw multibyte input unless preconv ran first
# (man(1) runs it, `groff -man` does not).
function(roff_unicode line outvar)
  string(HEX "${line}" hex)
  string(LENGTH "${hex}" n)
  set(out "")
  set(i 0)
  while(i LESS n)
    string(SUBSTRING "${hex}" ${i} 2 b0)
    math(EXPR c "0x${b0}")
    if(c LESS 128)
      # Printable ASCII: copy the byte back from its hex form.
      string(ASCII ${c} ch)
      string(APPEND out "${ch}")
      math(EXPR i "${i} + 2")
      continue()
    elseif(c GREATER_EQUAL 240 AND c LESS 245)
      set(extra 3)
      math(EXPR cp "${c} & 7")
    elseif(c GREATER_EQUAL 224)
      set(extra 2)
      math(EXPR cp "${c} & 15")
    elseif(c GREATER_EQUAL 194 AND c LESS 224)
      set(extra 1)
      math(EXPR cp "${c} & 31")
    else()
      message(FATAL_ERROR "gen_help.cmake: invalid UTF-8 in: ${line}")
    endif()
    foreach(k RANGE 1 ${extra})
      math(EXPR j "${i} + 2 * ${k}")
      if(j GREATER_EQUAL n)
        message(FATAL_ERROR "gen_help.cmake: truncated UTF-8 in: ${line}")
      endif()
      string(SUBSTRING "${hex}" ${j} 2 bk)
      math(EXPR cb "0x${bk}")
      if(cb LESS 128 OR cb GREATER_EQUAL 192)
        message(FATAL_ERROR "gen_help.cmake: invalid UTF-8 in: ${line}")
      endif()
      math(EXPR cp "(${cp} << 6) | (${cb} & 63)")
    endforeach()
    if((extra EQUAL 2 AND cp LESS 2048) OR (extra EQUAL 3 AND cp LESS 65536)
       OR cp GREATER 1114111 OR (cp GREATER_EQUAL 55296 AND cp LESS 57344))
      message(FATAL_ERROR "gen_help.cmake: invalid UTF-8 in: ${line}")
    endif()
    math(EXPR cphex "${cp}" OUTPUT_FORMAT HEXADECIMAL)
    string(REGEX REPLACE "^0x" "" cphex "${cphex}")
    string(TOUPPER "${cphex}" cphex)
    # groff: at least four digits, no leading zeros beyond that.
    string(LENGTH "${cphex}" len)
    while(len LESS 4)
      string(PREPEND cphex "0")
      math(EXPR len "${len} + 1")
    endwhile()
    string(APPEND out "\\[u${cphex}]")
    math(EXPR i "${i} + 2 + 2 * ${extra}")
  endwhile()
  set(${outvar} "${out}" PARENT_SCOPE)
endfunction()

# Roff text line by line.  Mode BODY: help text for a no-fill block, where
# '-' becomes \- and quotes become \(aq / \(ga so that options and tokens
# copied from the rendered page are plain ASCII, and a leading '.' or '\''
# would start a request.  Mode RAW: roff source (fuin.1.head/.tail), where
# only non-ASCII characters are converted.
function(roff_lines text mode outvar)
  if(NOT text MATCHES "\n$")
    string(APPEND text "\n")
  endif()
  set(out "")
  string(LENGTH "${text}" total)
  set(pos 0)
  while(pos LESS total)
    string(SUBSTRING "${text}" ${pos} -1 rest)
    string(FIND "${rest}" "\n" nl)
    string(SUBSTRING "${rest}" 0 ${nl} line)
    math(EXPR pos "${pos} + ${nl} + 1")
    if(mode STREQUAL "BODY")
      string(REPLACE "\\" "\\e" line "${line}")
      string(REPLACE "-" "\\-" line "${line}")
      string(REPLACE "'" "\\(aq" line "${line}")
      string(REPLACE "`" "\\(ga" line "${line}")
      if(line MATCHES "^\\.")
        string(PREPEND line "\\&")
      endif()
    endif()
    if(NOT line MATCHES "^[ -~]*$")
      roff_unicode("${line}" line)
    endif()
    string(APPEND out "${line}\n")
  endwhile()
  set(${outvar} "${out}" PARENT_SCOPE)
endfunction()

# ---------------------------------------------------------------------------
file(GLOB txt_files RELATIVE "${cmd_dir}" "${cmd_dir}/*.txt")
list(SORT txt_files)
set(commands "")
foreach(f IN LISTS txt_files)
  string(REGEX REPLACE "\\.txt$" "" name "${f}")
  if(name STREQUAL "overview")
    continue()
  endif()
  if(NOT name MATCHES "^[a-z][a-z0-9-]*$")
    message(FATAL_ERROR "gen_help.cmake: bad command file name ${f}")
  endif()
  list(APPEND commands "${name}")
endforeach()
foreach(name IN LISTS man_order)
  if(NOT name IN_LIST commands)
    message(FATAL_ERROR "gen_help.cmake: missing ${cmd_dir}/${name}.txt")
  endif()
endforeach()
set(man_commands ${man_order})
foreach(name IN LISTS commands)
  if(NOT name IN_LIST man_order)
    list(APPEND man_commands "${name}")
  endif()
endforeach()

# --- help_text.c -------------------------------------------------------------
set(c "/* Generated by cmake/gen_help.cmake from docs/commands/<cmd>.txt.\n")
string(APPEND c " * Do not edit: change the .txt file, which is also the man page source. */\n")
string(APPEND c "#include <string.h>\n\n#include \"help.h\"\n\n")

read_help("${cmd_dir}/overview.txt" text)
c_literal("${text}" lit)
string(APPEND c "static const char help_overview[] =\n${lit};\n\n")

set(table "")
foreach(name IN LISTS commands)
  read_help("${cmd_dir}/${name}.txt" text)
  c_literal("${text}" lit)
  string(MAKE_C_IDENTIFIER "help_cmd_${name}" ident)
  string(APPEND c "static const char ${ident}[] =\n${lit};\n\n")
  string(APPEND table "    {\"${name}\", ${ident}},\n")
endforeach()

string(APPEND c "static const struct {\n    const char *name;\n    const char *text;\n} help_table[] = {\n${table}};\n\n")
string(APPEND c [=[
const char *fuin_help_for(const char *cmd)
{
    size_t i;

    if (cmd == NULL)
        return NULL;
    for (i = 0; i < sizeof help_table / sizeof help_table[0]; i++) {
        if (strcmp(cmd, help_table[i].name) == 0)
            return help_table[i].text;
    }
    return NULL;
}

const char *fuin_help_overview(void)
{
    return help_overview;
}
]=])

# --- fuin.1 ----------------------------------------------------------------
foreach(part head tail)
  if(NOT EXISTS "${SRC}/docs/fuin.1.${part}")
    message(FATAL_ERROR "gen_help.cmake: missing ${SRC}/docs/fuin.1.${part}")
  endif()
  file(READ "${SRC}/docs/fuin.1.${part}" text)
  roff_lines("${text}" RAW man_${part})
endforeach()
string(REPLACE "@VERSION@" "${VERSION}" man_head "${man_head}")

# SYNOPSIS: the usage lines of every command, in man page order, so that
# the synopsis cannot fall behind the commands.
set(synopsis "")
foreach(name IN LISTS man_commands)
  read_help("${cmd_dir}/${name}.txt" text)
  string(FIND "${text}" "\n\n" end)
  if(end LESS 0 OR NOT text MATCHES "^usage: ")
    message(FATAL_ERROR "gen_help.cmake: ${name}.txt must start with a usage: block")
  endif()
  string(SUBSTRING "${text}" 0 ${end} usage)
  # "usage: fuin ..." and the aligned continuation lines lose the prefix's
  # seven columns.
  string(REGEX REPLACE "^usage: " "" usage "${usage}")
  string(REGEX REPLACE "\n       " "\n" usage "${usage}")
  roff_lines("${usage}" BODY usage_roff)
  string(APPEND synopsis "${usage_roff}")
endforeach()
if(NOT man_head MATCHES "@SYNOPSIS@")
  message(FATAL_ERROR "gen_help.cmake: fuin.1.head has no @SYNOPSIS@")
endif()
string(REPLACE "@SYNOPSIS@\n" "${synopsis}" man_head "${man_head}")

set(man "${man_head}")
if(NOT man MATCHES "\n$")
  string(APPEND man "\n")
endif()
foreach(name IN LISTS man_commands)
  read_help("${cmd_dir}/${name}.txt" text)
  roff_lines("${text}" BODY body)
  string(APPEND man ".SS \"fuin ${name}\"\n.nf\n${body}.fi\n")
endforeach()
string(APPEND man "${man_tail}")

# --- write both, each atomically ---------------------------------------------
file(MAKE_DIRECTORY "${OUT}")
foreach(pair "help_text.c|c" "fuin.1|man")
  string(REPLACE "|" ";" pair "${pair}")
  list(GET pair 0 fname)
  list(GET pair 1 var)
  file(WRITE "${OUT}/${fname}.tmp" "${${var}}")
  file(RENAME "${OUT}/${fname}.tmp" "${OUT}/${fname}")
endforeach()
