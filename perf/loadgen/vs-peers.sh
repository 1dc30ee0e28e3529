#!/usr/bin/env bash
# Checks the load generator against the standard tools on the same target in
# one run: a private nginx (one worker, core 0) serves a 2 KB static file over
# HTTP/1.1 and a canned gRPC answer over h2c; wrk and `loadgen -s get`, then
# h2load and `loadgen -s events`, take turns on core 1 with the same
# connections (and streams). Prints each tool's req/s (median of the rounds)
# and loadgen's ratio to its peer; the report goes to .local/loadgen-vs-peers/.
#
# Environment: LOADGEN (build-release/perf/loadgen/loadgen, built if missing),
# ROUNDS (3), SECONDS_EACH (10), CONNS (64), H2_CONNS (4), H2_STREAMS (32).
set -euo pipefail

cd "$(dirname "$0")/../.."
REPO=$(pwd)
CH_LOG_TAG=loadgen
source scripts/lib/common.sh

ROUNDS=${ROUNDS:-3}
SECS=${SECONDS_EACH:-10}
CONNS=${CONNS:-64}
H2_CONNS=${H2_CONNS:-4}
H2_STREAMS=${H2_STREAMS:-32}
WORK=$REPO/.local/loadgen-vs-peers
LOADGEN=${LOADGEN:-}

mkdir -p "$WORK/www" "$WORK/tmp"
if [[ -z $LOADGEN ]]; then
  ch_meson_setup build-release --buildtype=release
  ninja -C build-release perf/loadgen/loadgen >/dev/null
  LOADGEN=$REPO/build-release/perf/loadgen/loadgen
fi
for tool in wrk h2load nginx; do
  command -v "$tool" >/dev/null || { ch_log "$tool is missing (scripts/setup installs it)"; exit 1; }
done

if (($(nproc) >= 2)); then
  SERVE=(taskset -c 0)
  LOAD=(taskset -c 1)
else
  SERVE=()
  LOAD=()
fi

nginx_pid=""
cleanup() {
  [[ -n $nginx_pid ]] && { ch_stop_pid "$nginx_pid" 10 || true; }
}
trap cleanup EXIT

head -c 1536 /dev/urandom | base64 -w 0 >"$WORK/www/file.txt"  # 2048 bytes
http_port=$(ch_free_port)
h2_port=$(ch_free_port)
user_line=""
[[ $(id -u) -eq 0 ]] && user_line="user root;"
cat >"$WORK/nginx.conf" <<EOF
$user_line
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  http2_max_concurrent_streams 1000;
  client_body_temp_path $WORK/tmp/body;
  proxy_temp_path $WORK/tmp/proxy;
  fastcgi_temp_path $WORK/tmp/fastcgi;
  uwsgi_temp_path $WORK/tmp/uwsgi;
  scgi_temp_path $WORK/tmp/scgi;
  server {
    listen 127.0.0.1:$http_port;
    root $WORK/www;
  }
  # A unary gRPC answer: empty body, grpc-status 0 in the trailers.
  server {
    listen 127.0.0.1:$h2_port http2;
    location / {
      add_header content-type application/grpc always;
      add_trailer grpc-status 0 always;
      return 200 "";
    }
  }
}
EOF
"${SERVE[@]}" nginx -e "$WORK/error.log" -p "$WORK" -c "$WORK/nginx.conf" &
nginx_pid=$!
ch_wait_http "http://127.0.0.1:$http_port/file.txt" "$nginx_pid" 20 || { cat "$WORK/error.log" >&2; exit 1; }

# A body as loadgen's events scenario sends (a StatItemUpdated of ~60 bytes).
printf '\0\0\0\0\x35\x0a\x16\x12\x0benemy_kills\x21\0\0\0\0\0\x38\x8f\x40\x12\x08lg-0-123\x2a\x04test\x4a\x0buser-000042' \
  >"$WORK/grpc-body.bin"

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rps_json() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["rps"]) if d["errors"] == 0 else print(0)'; }

: >"$WORK/report.raw"
declare -a wrk_r lg_r h2_r lg2_r
for ((i = 1; i <= ROUNDS; i++)); do
  out=$("${LOAD[@]}" wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "http://127.0.0.1:$http_port/file.txt")
  echo "$out" >>"$WORK/report.raw"
  wrk_r+=("$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")")
  out=$("${LOAD[@]}" "$LOADGEN" -q -s get -t1 -c"$CONNS" -d"$SECS" -u "http://127.0.0.1:$http_port/file.txt")
  echo "$out" >>"$WORK/report.raw"
  lg_r+=("$(rps_json <<<"$out")")
  out=$("${LOAD[@]}" h2load -t1 -c"$H2_CONNS" -m"$H2_STREAMS" -D"$SECS" -d "$WORK/grpc-body.bin" \
    -H 'content-type: application/grpc' -H 'te: trailers' "http://127.0.0.1:$h2_port/x")
  echo "$out" >>"$WORK/report.raw"
  h2_r+=("$(awk '/^finished in/ {print $4}' <<<"$out")")
  out=$("${LOAD[@]}" "$LOADGEN" -q -s events -t1 -c"$H2_CONNS" -m"$H2_STREAMS" -d"$SECS" \
    -u "http://127.0.0.1:$h2_port")
  echo "$out" >>"$WORK/report.raw"
  lg2_r+=("$(rps_json <<<"$out")")
done

W=$(printf '%s\n' "${wrk_r[@]}" | median)
G=$(printf '%s\n' "${lg_r[@]}" | median)
H=$(printf '%s\n' "${h2_r[@]}" | median)
E=$(printf '%s\n' "${lg2_r[@]}" | median)
{
  echo "loadgen vs peers, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, nginx on core 0, load on core 1"
  echo "HTTP/1.1 2 KB static file, -t1 -c$CONNS, ${SECS}s x $ROUNDS rounds (median req/s)"
  printf '  wrk      %10.0f   (rounds: %s)\n' "$W" "${wrk_r[*]}"
  printf '  loadgen  %10.0f   (rounds: %s)   ratio %.2f\n' "$G" "${lg_r[*]}" "$(awk -v a="$G" -v b="$W" 'BEGIN { print a / b }')"
  echo "gRPC unary over h2c, -c$H2_CONNS -m$H2_STREAMS (median req/s)"
  printf '  h2load   %10.0f   (rounds: %s)\n' "$H" "${h2_r[*]}"
  printf '  loadgen  %10.0f   (rounds: %s)   ratio %.2f\n' "$E" "${lg2_r[*]}" "$(awk -v a="$E" -v b="$H" 'BEGIN { print a / b }')"
} | tee "$WORK/report.txt"
