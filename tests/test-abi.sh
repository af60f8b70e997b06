#!/usr/bin/env bash
# libhvcore exports exactly what its public headers declare: every hv_* function or object
# named in lib/hvcore/include/hvcore/*.h is in the .so's dynamic symbol table, and nothing
# else is (internal hv_* functions stay hidden). Also: the soname is versioned.
set -euo pipefail
: "${HVD_TOP_BUILDDIR:?run through make check}" "${HVD_TOP_SRCDIR:?}"
so=$(ls "$HVD_TOP_BUILDDIR"/lib/hvcore/.libs/libhvcore.so.[0-9]* 2>/dev/null | head -1)
[ -n "$so" ] || { echo "libhvcore.so not built"; exit 1; }
fail=0

# Declared: identifiers followed by "(" (functions), and the name an "extern" declares (objects).
declared=$(cat "$HVD_TOP_SRCDIR"/lib/hvcore/include/hvcore/*.h | perl -0777 -ne '
        s{/\*.*?\*/}{}gs;
        print "$1\n" while /\b(hv_[a-z0-9_]+)\s*\(/g;
        print "$1\n" while /\bextern\b[^;(]*\b(hv_[a-z0-9_]+)\s*(?:\[[^\]]*\])?\s*;/g;' | sort -u)
exported=$(nm -D --defined-only "$so" | awk '{print $3}' | sed 's/@.*//' | grep -E '^hv_' | sort -u)

missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
if [ -n "$missing" ]; then echo "FAIL: declared in a public header but not exported: $missing"; fail=1
else echo "PASS: every public declaration is exported ($(echo "$declared" | wc -l) symbols)"; fi
if [ -n "$extra" ]; then echo "FAIL: exported but not in a public header: $extra"; fail=1
else echo "PASS: nothing else is exported"; fi

soname=$(objdump -p "$so" | awk '/SONAME/ {print $2}')
if [[ "$soname" =~ ^libhvcore\.so\.[0-9]+$ ]]; then echo "PASS: versioned soname $soname"
else echo "FAIL: soname '$soname' is not versioned"; fail=1; fi
if nm -D --defined-only "$so" | grep -q '@@HVCORE_0$'; then echo "PASS: symbols carry the HVCORE_0 version"
else echo "FAIL: no HVCORE_0 symbol version"; fail=1; fi
exit $fail
