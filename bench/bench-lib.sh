# Helpers shared by the bench scripts (sourced by bash).

# bench_unwrap VAR PROGRAM: sets VAR to the program to run for PROGRAM as an installation runs
# it. A libtool wrapper script (an uninstalled program linked with an uninstalled libhvcore)
# starts a shell first, whose start-up would count in what is measured: VAR names the program
# it wraps, in .libs/, and the library path the wrapper would set is exported. Any other
# PROGRAM is used as it is.
bench_unwrap() {
        local dir name libpath
        dir=$(dirname "$2") name=$(basename "$2")
        printf -v "$1" '%s' "$2"
        sed -n 1,5p "$2" 2>/dev/null | grep -q "temporary wrapper script" || return 0
        [ -x "$dir/.libs/$name" ] || return 0
        libpath=$(sed -n 's/^ *LD_LIBRARY_PATH="\(.*\):\$LD_LIBRARY_PATH"$/\1/p' "$2")
        export LD_LIBRARY_PATH=$libpath${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        printf -v "$1" '%s' "$dir/.libs/$name"
}

# bench_vm_binary BUILD: the hvd-vm for BUILD's hvd: bench/hvd-vm (an ELF file, see
# bench/local.mk) where there is one. An in-process hvd (a baseline build) has none, and needs none.
bench_vm_binary() {
        if [ -x "$1/bench/hvd-vm" ]; then echo "$1/bench/hvd-vm"; else echo "$1/daemon/hvd-vm/hvd-vm"; fi
}
