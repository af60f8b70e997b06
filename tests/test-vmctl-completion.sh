#!/bin/sh
# The bash completion script: sourced into bash, asked what it offers for partial command lines.
. "${HVD_TOP_SRCDIR:-.}/tests/test-vmctl-lib.sh"
script=$HVD_TOP_SRCDIR/cli/vmctl.bash-completion
command -v bash >/dev/null || { echo "bash is needed to test a bash completion" >&2; exit 99; }

# complete WORDS...: the completions bash offers for the last word of "vmctl WORDS".
complete_words() {
        bash -c '
                . "$1"; shift
                COMP_WORDS=(vmctl "$@"); COMP_CWORD=$(($# ))
                COMP_LINE="vmctl $*"; COMP_POINT=${#COMP_LINE}
                _vmctl
                [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$script" "$@"
}
# offers EXPECTED WORDS...: the completion is exactly EXPECTED (sorted, space-separated).
offers() {
        local expected=$1 got
        shift
        got=$(complete_words "$@")
        if [ "$got" = "$expected" ]; then pass "vmctl $*<TAB> offers '$expected'"
        else fail "vmctl $*<TAB>: got '$got', expected '$expected'"; fi
}

bash -n "$script" && pass "the script parses" || fail "bash -n $script"
offers "start status stop " st
offers "shutdown " sh
offers "console " --user co
offers "help host " h
offers "define " --json d
offers "undefine " --json u
offers "list " help li
offers "reset resume " --address unix:path=/x re
offers "--log " console --l
offers "--timeout " console --t
offers "" start --t
offers "--address --help --json --system --user --version " start --
offers "--timeout " shutdown --t
offers "--address --all " shutdown --a
offers "--address --all " stop --a
offers "--address " start --a
offers "--address " console --a
offers "--timeout " shutdown --all --t
offers "--json " --js
offers "--user " list --u
offers "" start vm extra
offers "" shutdown --timeout ""

# define completes file names
mkdir "$tmp/defs" && : > "$tmp/defs/web.json" && : > "$tmp/defs/db.json"
offers "$tmp/defs/db.json $tmp/defs/web.json " define "$tmp/defs/"

# VM names come from 'vmctl list' on the same bus: a stub vmctl on PATH records its arguments
mkdir "$tmp/bin"
cat > "$tmp/bin/vmctl" <<STUB
#!/bin/sh
echo "\$*" > "$tmp/stub.args"
printf 'NAME    STATE    VCPUS  MEMORY\nweb     running  2      512 MiB\nworker  shutoff  1      128 MiB\ndb      paused   4      1024 MiB\n'
STUB
chmod +x "$tmp/bin/vmctl"
PATH=$tmp/bin:$PATH offers "web worker " start w
PATH=$tmp/bin:$PATH offers "db " --user console d
grep -qx -- "--user list" "$tmp/stub.args" && pass "names are listed on the --user bus" \
        || fail "the stub saw '$(cat "$tmp/stub.args")'"
PATH=$tmp/bin:$PATH offers "db web worker " status ""
PATH=$tmp/bin:$PATH offers "db web worker " stop ""
PATH=$tmp/bin:$PATH offers "" stop --all ""
PATH=$tmp/bin:$PATH offers "" --all shutdown ""
PATH=$tmp/bin:$PATH offers "" shutdown --timeout 5 --all w
finish
