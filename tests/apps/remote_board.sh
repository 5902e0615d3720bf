#!/bin/sh
# End to end with real processes: `seedval agent` serving the simulated board on a free loopback port,
# clients reaching it with --board zmq+tcp://..., a second client refused while a lease is held, the
# lease freed when its holder is killed with SIGKILL, and CurveZMQ off loopback.
#   remote_board.sh SEEDVAL
set -u
seedval=$1
dir=$(mktemp -d)
agent_pid=
cleanup() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$dir"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
  exit 1
}
wait_for_file() {
  i=0
  while [ ! -s "$1" ]; do
    i=$((i + 1))
    [ $i -gt 100 ] && fail "$1 did not appear"
    sleep 0.1
  done
}

# An agent bound off loopback without keys refuses to start.
"$seedval" agent --bind 'tcp://0.0.0.0:*' >"$dir/open.log" 2>&1
[ $? -eq 2 ] || fail "an agent off loopback without CurveZMQ started"
grep -q "CurveZMQ" "$dir/open.log" || fail "the refusal does not mention CurveZMQ"

"$seedval" agent --board sim --bind 'tcp://127.0.0.1:*' --endpoint-file "$dir/endpoint" >"$dir/agent.log" 2>&1 &
agent_pid=$!
wait_for_file "$dir/endpoint"
uri="zmq+$(cat "$dir/endpoint")"

"$seedval" probe --board "$uri" --json >"$dir/probe.log" 2>&1 || fail "probe over $uri"
grep -q '"chip_id": "0x5eedc41b"' "$dir/probe.log" || fail "probe did not identify the chip"

# The same lot over the network bins every unit as it does in-process (dies inserted at the agent).
"$seedval" lot --board sim --units 12 --out "$dir/local" --quiet >"$dir/local.log" 2>&1
local_rc=$?
"$seedval" lot --board "$uri" --units 12 --out "$dir/remote" --quiet >"$dir/remote.log" 2>&1
[ $? -eq $local_rc ] || fail "the remote lot ended otherwise than the local one"
bins() { grep -o '"ecid":"[^"]*"\|"soft_bin":[0-9]*' "$1/units.jsonl"; }
[ -n "$(bins "$dir/local")" ] || fail "the local lot wrote no units"
[ "$(bins "$dir/local")" = "$(bins "$dir/remote")" ] || fail "the remote lot binned units differently"

# A lot holds the lease; a second client is refused with the holder named.
"$seedval" lot --board "$uri" --units 2000 --out "$dir/lot" --quiet >"$dir/lot.log" 2>&1 &
lot_pid=$!
sleep 1.5
"$seedval" probe --board "$uri" >"$dir/refused.log" 2>&1
[ $? -eq 3 ] || fail "a second client was not refused while the lease was held"
grep -q "leased by .* pid $lot_pid" "$dir/refused.log" || fail "the refusal does not name the holder (pid $lot_pid)"

# The holder dies without a word: the lease expires and the board is free again.
kill -9 "$lot_pid"
wait "$lot_pid" 2>/dev/null
i=0
until "$seedval" probe --board "$uri" >"$dir/after.log" 2>&1; do
  i=$((i + 1))
  [ $i -gt 40 ] && fail "the board stayed leased after its holder was killed"
  sleep 0.25
done
grep -q "ended: no message from" "$dir/agent.log" || fail "the agent did not log the expiry"
kill "$agent_pid"
wait "$agent_pid"
[ $? -eq 0 ] || fail "the agent did not end cleanly on SIGTERM"
agent_pid=
grep -q "seedval agent: stopped" "$dir/agent.log" || fail "the agent did not say it stopped"

# CurveZMQ off loopback: only the allowed client key gets in.
"$seedval" keygen "$dir/agent" >/dev/null || fail "keygen"
"$seedval" keygen "$dir/client" >/dev/null || fail "keygen"
cp "$dir/client.pub" "$dir/allowed"
"$seedval" agent --board sim --bind 'tcp://0.0.0.0:*' --curve-secret "$dir/agent.key" --allow "$dir/allowed" \
  --endpoint-file "$dir/endpoint2" >"$dir/agent2.log" 2>&1 &
agent_pid=$!
wait_for_file "$dir/endpoint2"
endpoint2=$(cat "$dir/endpoint2")
port=${endpoint2##*:}
server_key=$(cat "$dir/agent.pub")
"$seedval" probe --board "zmq+tcp://127.0.0.1:$port" >"$dir/plain.log" 2>&1
[ $? -eq 3 ] || fail "a client without CurveZMQ got in"
grep -q "requires CurveZMQ" "$dir/plain.log" || fail "the plain client was not told why"
"$seedval" probe --board "zmq+tcp://127.0.0.1:$port?server_key=$server_key" >"$dir/stranger.log" 2>&1
[ $? -eq 3 ] || fail "a client with a key the agent does not allow got in"
grep -q "refused this client's CurveZMQ key" "$dir/stranger.log" || fail "the stranger was not told why"
SEEDVAL_CURVE_SECRET_KEY="$dir/client.key" "$seedval" probe --board "zmq+tcp://127.0.0.1:$port?server_key=$server_key" \
  >"$dir/allowed.log" 2>&1 || fail "the allowed client was refused"
grep -q "SeedChip" "$dir/allowed.log" || fail "the allowed client did not identify the chip"
echo "remote board: agent, lease refusal, SIGKILLed holder freed, CurveZMQ off loopback: ok"
