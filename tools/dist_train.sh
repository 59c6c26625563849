#!/usr/bin/env bash
# Multi-GPU / multi-node training: bash tools/dist_train.sh CONFIG GPUS [train.py args...]
# Multi-node: set NNODES, MASTER_ADDR (and PORT) on every node.
# A failed worker restarts the group up to MAX_RESTARTS times (default 3),
# resuming from the newest checkpoint; MAX_RESTARTS=0 stops at the first.
MAX_RESTARTS="${MAX_RESTARTS:-3}" \
exec bash "$(dirname "$0")/dist_launch.sh" "$2" tools/train.py "$1" "${@:3}"
