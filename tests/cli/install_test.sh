#!/usr/bin/env bash
# `cmake --install` puts the program, its bash and zsh completion and its man page in place;
# the bash completion completes commands and options from the program's own definitions; and
# `cpack -G DEB` makes a .deb holding the same files, with its library dependencies.
set -eu
build="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL $*"; exit 1; }

cmake --install "$build" --prefix "$tmp/usr" >/dev/null
for f in bin/trend share/bash-completion/completions/trend share/zsh/vendor-completions/_trend \
  share/man/man1/trend.1; do
  [ -s "$tmp/usr/$f" ] || fail "cmake --install: no $f"
done
"$tmp/usr/bin/trend" --version | grep -q '^trend [0-9]' || fail "installed trend --version"
grep -q '^\.SH NAME' "$tmp/usr/share/man/man1/trend.1" || fail "the man page has no NAME section"

# The words bash would offer after the given command line (its last word being completed).
offered() {
  (
    # shellcheck disable=SC1091
    source "$tmp/usr/share/bash-completion/completions/trend"
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    _trend
    echo "${COMPREPLY[*]}"
  )
}
[ "$(offered trend ru)" = "run" ] || fail "trend ru<TAB>: $(offered trend ru)"
[ "$(offered trend r)" = "run report" ] || fail "trend r<TAB>: $(offered trend r)"
[ "$(offered trend run --con)" = "--config" ] || fail "trend run --con<TAB>: $(offered trend run --con)"
[ "$(offered trend bloom b)" = "build" ] || fail "trend bloom b<TAB>: $(offered trend bloom b)"
[[ " $(offered trend bloom build --) " == *" --capacity "* ]] ||
  fail "trend bloom build --<TAB>: $(offered trend bloom build --)"
[[ " $(offered trend app --re) " == *" --reuse-port "* ]] || fail "trend app --re<TAB>"
touch "$tmp/returns.csv"
(cd "$tmp" && [ "$(offered trend run --returns ret)" = "returns.csv" ]) || fail "file names after an option"
if command -v zsh >/dev/null; then  # bootstrap installs it
  zsh -n "$tmp/usr/share/zsh/vendor-completions/_trend" || fail "the zsh completion does not parse"
fi

if command -v dpkg-deb >/dev/null && [ -f "$build/CPackConfig.cmake" ]; then
  cpack --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1 ||
    fail "cpack: $(tail -n 5 "$tmp/cpack.log")"
  deb=$(ls "$tmp"/pkg/*.deb)
  contents=$(dpkg-deb -c "$deb")
  for f in ./usr/bin/trend ./usr/share/bash-completion/completions/trend ./usr/share/man/man1/trend.1; do
    grep -q " $f\$" <<<"$contents" || fail "the .deb lacks $f"
  done
  dpkg-deb -f "$deb" Depends | grep -q 'libc6' || fail "the .deb names no dependencies"
  echo "ok   .deb $(basename "$deb"): $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | wc -l) dependencies"
fi
echo "ok   install: program, completion (bash, zsh), man page"
