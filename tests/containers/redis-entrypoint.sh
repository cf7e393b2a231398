#!/bin/sh
# The official redis image builds redis-server with protected mode off; Debian's keeps it on,
# which refuses every client not on loopback. Turn it off the same way for `redis-server ...`.
set -e
if [ "${1:-}" = "redis-server" ]; then
    shift
    set -- redis-server --protected-mode no "$@"
fi
exec "$@"
