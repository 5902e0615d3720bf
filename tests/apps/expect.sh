#!/bin/sh
# Runs a command and checks how it ended, for the CLI tests in this folder.
#
#   expect.sh [-o STDOUT_ERE]... [-e STDERR_ERE | -n] EXIT_CODE -- COMMAND [ARG]...
#
#   EXIT_CODE     the exit status the command must end with
#   -o ERE        stdout must hold a line matching ERE (grep -E); may be given more than once
#   -e ERE        stderr must be exactly one line, and it must match ERE
#   -n            stderr must be empty
#
# Prints what the command wrote and why the check failed; exits 0 when every check holds, else 1.
set -u

usage() {
  echo "usage: expect.sh [-o STDOUT_ERE]... [-e STDERR_ERE | -n] EXIT_CODE -- COMMAND [ARG]..." >&2
  exit 1
}

stdout_count=0
stderr_re=""
stderr_check=none
while [ $# -gt 0 ]; do
  case "$1" in
    -o) [ $# -ge 2 ] || usage; stdout_count=$((stdout_count + 1)); eval "stdout_re_$stdout_count=\$2"; shift 2 ;;
    -e) [ $# -ge 2 ] || usage; stderr_re=$2; stderr_check=line; shift 2 ;;
    -n) stderr_check=empty; shift ;;
    --) usage ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -ge 3 ] || usage
want=$1
shift
[ "$1" = "--" ] || usage
shift

tmp=$(mktemp -d "${TMPDIR:-/tmp}/seedval-expect.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
"$@" >"$tmp/out" 2>"$tmp/err"
got=$?

failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}

[ "$got" -eq "$want" ] || fail "exit status $got, expected $want"

i=1
while [ "$i" -le "$stdout_count" ]; do
  eval "re=\$stdout_re_$i"
  grep -Eq -- "$re" "$tmp/out" || fail "no line of stdout matches: $re"
  i=$((i + 1))
done

case "$stderr_check" in
  line)
    # awk counts a last line without a newline too.
    lines=$(awk 'END { print NR }' "$tmp/err")
    [ "$lines" -eq 1 ] || fail "stderr has $lines lines, expected exactly one"
    grep -Eq -- "$stderr_re" "$tmp/err" || fail "stderr does not match: $stderr_re"
    ;;
  empty)
    [ ! -s "$tmp/err" ] || fail "stderr is not empty"
    ;;
esac

if [ "$failed" -ne 0 ]; then
  echo "command: $*"
  echo "--- stdout"
  cat "$tmp/out"
  echo "--- stderr"
  cat "$tmp/err"
  exit 1
fi
echo "ok: $* (exit $got)"
exit 0
