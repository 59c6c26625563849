#!/usr/bin/env bash
# Multi-GPU / multi-node testing: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]
# Multi-node: set NNODES, MASTER_ADDR (and PORT) on every node.
exec bash "$(dirname "$0")/dist_launch.sh" "$3" tools/test.py "$1" "$2" "${@:4}"
