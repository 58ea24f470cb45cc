#!/usr/bin/env bash
# Peak memory (max RSS) of `sigv4 request` uploading from standard input (issue 21 item 10):
# 200 MB piped into `-T -` (S3: UNSIGNED-PAYLOAD), `--aws-chunked -T -` (S3: signed chunks)
# and `--data-binary @-` (another service: signed by the body's hash), each against a
# 127.0.0.1 sink that reads and discards the body. Standard input is spooled to a
# temporary file, so the peak must stay well under 32 MB whatever the size. A measurement,
# not a pass/fail test (the test suite's tests/request_stdin.rs asserts the bound at 40 MiB).
#
#   bash benches/scripts/stdin-rss.sh            # builds the release binary, prints a table
#
# Environment: STDIN_RSS_MB (size, default 200), SIGV4_BIN (a sigv4 binary to use instead
# of building target/release/sigv4).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
mb=${STDIN_RSS_MB:-200}
bin=${SIGV4_BIN:-}
if [ -z "$bin" ]; then
  (cd "$repo" && cargo build -q --release -p sigv4-rs-cli)
  bin=$repo/target/release/sigv4
fi
work=$(mktemp -d)
sink_pid=
cleanup() { [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# The sink: answers 200 after reading Content-Length bytes (aws-chunked bodies carry one).
cat >"$work/sink.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        n = int(self.headers.get("Content-Length", "0"))
        while n > 0:
            got = self.rfile.read(min(n, 1 << 20))
            if not got:
                break
            n -= len(got)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_POST = do_PUT
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_port, flush=True)
s.serve_forever()
PY
python3 "$work/sink.py" >"$work/port" &
sink_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")

export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null
export AWS_SHARED_CREDENTIALS_FILE=/dev/null

run() { # label, flags...
  local label=$1
  shift
  local start end
  start=$(date +%s.%N)
  head -c "${mb}M" /dev/zero | /usr/bin/time -f '%M' -o "$work/rss" "$bin" request -s -f "$@"
  end=$(date +%s.%N)
  printf '| %s | %s MB | %.1f MB | %.1f s |\n' "$label" "$mb" \
    "$(echo "$(cat "$work/rss") / 1024" | bc -l)" "$(echo "$end - $start" | bc -l)"
}

echo "| upload from standard input | size | peak RSS | wall time |"
echo "|---|---:|---:|---:|"
run "S3, -T - (UNSIGNED-PAYLOAD)" --service s3 -T - "http://127.0.0.1:$port/bkt/a"
run "S3, --aws-chunked -T -" --service s3 --aws-chunked -T - "http://127.0.0.1:$port/bkt/b"
run "es, --data-binary @- (hash)" --service es --data-binary @- "http://127.0.0.1:$port/idx/_bulk"
