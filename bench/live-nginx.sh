# shellcheck shell=bash
# Sourced by bench/live.sh: an nginx of the benchmark's own, from a config file in a temp dir, serving
# static files (/4k: 4 KiB, /32k: 32 KiB) with keep-alive connections kept for the whole load.
#   nginx_start DIR ADDR PORT [NETNS]   (as root; returns once it answers)
#   nginx_stop DIR [NETNS]

nginx_start() {
  local dir=$1 addr=$2 port=$3 ns=${4:-}
  local run=()
  [ -n "$ns" ] && run=(ip netns exec "$ns")
  mkdir -p "$dir/www" "$dir/tmp"
  head -c 4096 /dev/zero | tr '\0' 'a' > "$dir/www/4k"
  head -c 32768 /dev/zero | tr '\0' 'b' > "$dir/www/32k"
  # worker_connections and worker_rlimit_nofile for the 10,000-connection scenario; one worker so the load
  # generator and the observer keep the second core; no access log (it would be the largest cost).
  cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile 20000;
user root;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  default_type application/octet-stream;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  server {
    listen $addr:$port backlog=16384;
    root $dir/www;
  }
}
CONF
  "${run[@]}" nginx -c "$dir/nginx.conf" -p "$dir" \
    || { echo "live: nginx did not start (config $dir/nginx.conf)" >&2; cat "$dir/error.log" >&2; return 1; }
  for _ in $(seq 50); do
    "${run[@]}" curl -sf -o /dev/null "http://$addr:$port/4k" && return 0
    sleep 0.1
  done
  echo "live: nginx on $addr:$port does not answer" >&2
  return 1
}

nginx_stop() {
  local dir=$1 pid
  pid=$(cat "$dir/nginx.pid" 2>/dev/null) || return 0
  kill -QUIT "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
