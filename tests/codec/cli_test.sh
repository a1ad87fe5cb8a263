#!/bin/sh
# tests/codec/cli_test.sh TROUPE EXAMPLES_DIR: `troupe codec` end to end: every
# subcommand's output on the sample, the exit codes (0 ok, 1 bad input, 2 bad command
# line) and that bad input gives exactly one error line.
set -u
T=$1
EX=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect CODE CMD...: run, check the exit code
expect() {
  want=$1; shift
  "$@" >"$W/out" 2>"$W/err"
  got=$?
  [ "$got" = "$want" ] || fail "'$*' exited $got, want $want ($(head -c 200 "$W/err"))"
}
hex() { od -An -tx1 -v "$1" | tr -s ' \n' '  ' | sed 's/^ //; s/ $//'; }

# ---- happy path: encode -> transcode -> decode -> transcode back
expect 0 sh -c "'$T' codec encode --codec json < '$EX/sample.json' > '$W/s.json.msg'"
[ "$(head -c 2 "$W/s.json.msg" | od -An -tx1 | tr -d ' \n')" = "8004" ] || fail "JSON prefix is not 80 04"
tail -c +3 "$W/s.json.msg" > "$W/tail"
cmp -s "$EX/sample.json" "$W/tail" || fail "encode changed the JSON payload"
expect 0 sh -c "'$T' codec transcode --to cbor < '$W/s.json.msg' > '$W/s.cbor.msg'"
[ "$(head -c 1 "$W/s.cbor.msg" | od -An -tx1 | tr -d ' \n')" = "51" ] || fail "CBOR prefix is not 51"
expect 0 sh -c "'$T' codec decode < '$W/s.cbor.msg' > '$W/dec'"
head -n 1 "$W/dec" | grep -q '^codec: cbor (0x51)' || fail "decode header: $(head -n 1 "$W/dec")"
grep -q '"sku":"tea-earl-grey"' "$W/dec" || fail "decode does not show the CBOR as JSON"
grep -q '"price":4.25' "$W/dec" || fail "reals not shown exactly: $(cat "$W/dec")"
expect 0 sh -c "'$T' codec decode --pretty < '$W/s.cbor.msg' > '$W/pretty'"
grep -q '^  "op": "reserve",$' "$W/pretty" || fail "--pretty output not indented"
expect 0 sh -c "'$T' codec transcode --to json < '$W/s.cbor.msg' > '$W/back.msg'"
expect 0 sh -c "'$T' codec transcode --to cbor < '$W/back.msg' > '$W/again.msg'"
cmp -s "$W/s.cbor.msg" "$W/again.msg" || fail "JSON -> CBOR -> JSON -> CBOR is not stable"
expect 0 sh -c "'$T' codec decode < '$W/s.json.msg' > '$W/jdec'"
head -n 1 "$W/jdec" | grep -q '^codec: json (0x200)' || fail "JSON decode header"
grep -q 'déjà vu' "$W/jdec" || fail "JSON payload not printed as is"

# ---- CBOR and Borsh encode, decode shows hex where there is no JSON form
printf '\202\001\102\001\002' > "$W/c.bin"                       # [1, h'0102']
expect 0 sh -c "'$T' codec encode --codec cbor < '$W/c.bin' > '$W/c.msg'"
expect 0 sh -c "'$T' codec decode < '$W/c.msg' > '$W/cdec'"
grep -q 'no JSON form' "$W/cdec" || fail "byte string CBOR not flagged"
grep -q '^82 01 42 01 02$' "$W/cdec" || fail "CBOR hex missing: $(cat "$W/cdec")"
printf '\003\000\000\000abc' > "$W/b.bin"
expect 0 sh -c "'$T' codec encode --codec borsh < '$W/b.bin' > '$W/b.msg'"
[ "$(hex "$W/b.msg")" = "81 0e 03 00 00 00 61 62 63" ] || fail "Borsh message: $(hex "$W/b.msg")"
expect 0 sh -c "'$T' codec decode < '$W/b.msg' > '$W/bdec'"
grep -q '^codec: borsh (0x701)' "$W/bdec" && grep -q '^03 00 00 00 61 62 63$' "$W/bdec" ||
  fail "Borsh decode: $(cat "$W/bdec")"

# ---- bad input: exit 1 and one error line naming the problem
bad() {
  label=$1; needle=$2; shift 2
  "$@" >"$W/out" 2>"$W/err"
  got=$?
  [ "$got" = 1 ] || fail "$label: exit $got, want 1"
  [ "$(wc -l < "$W/err")" = 1 ] || fail "$label: $(wc -l < "$W/err") error lines"
  grep -q "$needle" "$W/err" || fail "$label: error '$(cat "$W/err")' lacks '$needle'"
}
printf '{"a":' > "$W/badjson"
bad "invalid JSON" "json" sh -c "'$T' codec encode --codec json < '$W/badjson'"
printf '\001\002' > "$W/trailing"
bad "CBOR trailing bytes" "trailing" sh -c "'$T' codec encode --codec cbor < '$W/trailing'"
: > "$W/empty"
bad "empty message" "empty" sh -c "'$T' codec decode < '$W/empty'"
printf '\200' > "$W/trunc"
bad "truncated prefix" "inside its codec prefix" sh -c "'$T' codec decode < '$W/trunc'"
printf '\200\000' > "$W/overlong"
bad "overlong prefix" "non-minimal" sh -c "'$T' codec decode < '$W/overlong'"
printf '\125\000' > "$W/unknown"
bad "unknown codec" "0x55" sh -c "'$T' codec decode < '$W/unknown'"
printf '\121\101\000' > "$W/lossy"                               # CBOR h'00'
bad "lossy transcode" "byte string" sh -c "'$T' codec transcode --to json < '$W/lossy'"
bad "borsh transcode" "schema" sh -c "'$T' codec transcode --to json < '$W/b.msg'"

# ---- bad command lines: exit 2
expect 2 "$T" codec
expect 2 "$T" codec frobnicate
expect 2 "$T" codec encode
expect 2 "$T" codec encode --codec yaml
expect 2 "$T" codec encode --codec
expect 2 "$T" codec transcode --to borsh
expect 2 "$T" codec decode --bogus
expect 0 "$T" codec --help
grep -q 'transcode' "$W/out" || fail "codec --help lacks transcode"
for sub in encode decode transcode; do
  expect 0 "$T" codec $sub --help
  grep -q "usage: troupe codec $sub" "$W/out" || fail "$sub --help"
done

if [ $fails -ne 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "codec CLI: all checks passed"
